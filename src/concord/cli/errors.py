"""Bad input ends a command with one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

INPUT_ERROR_EXIT = 2


def input_error_types() -> tuple[type[BaseException], ...]:
    from concord.engine.analysis import AnalysisParameterError
    from concord.engine.budgets.election import BudgetDataError
    from concord.engine.decisions import RuleParameterError
    from concord.engine.votes import VoteDataError
    from concord.formats.errors import InputFileError

    errors: tuple[type[BaseException], ...] = (
        InputFileError,
        VoteDataError,
        AnalysisParameterError,
        RuleParameterError,
        BudgetDataError,
    )
    if "concord.service.errors" in sys.modules:  # server commands: service errors are input errors too
        from concord.service.errors import ServiceError

        errors += (ServiceError,)
    if "concord.store.database" in sys.modules:  # a database that cannot be opened, backed up, restored
        from concord.store.database import DatabaseError

        errors += (DatabaseError,)
    return errors


def fail(message: str) -> NoReturn:
    print(f"concord: error: {message}", file=sys.stderr)
    raise SystemExit(INPUT_ERROR_EXIT)


def run_safely(command: Callable[..., Any], *args: Any) -> Any:
    """Run a command, turning known input errors, unreadable files and memory exhaustion into a message."""
    try:
        return command(*args)
    except input_error_types() as error:
        fail(str(error))
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as error:
        fail(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "))
    except UnicodeDecodeError as error:
        fail(f"a file is not UTF-8 text ({error.reason})")
    except MemoryError:
        fail("not enough memory for this conversation")
    except OverflowError:  # an exact number from a file (a budget of 1e999) too large for floating point
        fail("a number in the input is too large to compute with")
    except KeyboardInterrupt:
        print("concord: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
