"""What every decision rule shares: the votes it decides on, and its parameters declared as data
(default, range, meaning), checked when the rule is made, as scikit-learn declares an estimator's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from concord.engine.decisions.outcome import Outcome
from concord.engine.decisions.support import Support


class RuleParameterError(ValueError):
    """A rule's parameter outside what the rule supports."""


@dataclass(frozen=True)
class Param:
    default: Any
    meaning: str
    low: float | None = None  # for numbers: the allowed range, inclusive
    high: float | None = None
    kind: type = float
    choices: tuple[str, ...] = ()  # for words: the allowed ones


@dataclass(frozen=True)
class ProposalVotes:
    """The votes on one proposal: of everyone, of each opinion group found in the votes, and of each
    group of each declared attribute (communities, regions …)."""

    everyone: Support
    opinion_groups: list[Support] = field(default_factory=list)
    declared: dict[str, list[Support]] = field(default_factory=dict)


def checked_parameters(rule: str, declared: dict[str, Param], given: dict[str, Any]) -> dict[str, Any]:
    """The rule's parameters: the given values within their declared ranges, defaults for the rest.
    NaN compares false with everything, so it would pass a range check: a number must be finite first
    (JSON bodies and ``float("nan")`` bring NaN and infinities)."""
    unknown = set(given) - set(declared)
    if unknown:
        raise RuleParameterError(f"{rule} takes no parameter {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, param in declared.items():
        value = values[name] = given.get(name, param.default)
        if value is None:
            continue
        if param.kind in (int, float):
            low = f"{param.low:g}" if param.low is not None else "-inf"
            high = f"{param.high:g}" if param.high is not None else "inf"
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise RuleParameterError(f"{rule}: {name} must be a number between {low} and {high}, not {value!r}")
            if (param.low is not None and value < param.low) or (param.high is not None and value > param.high):
                raise RuleParameterError(f"{rule}: {name} must be between {low} and {high}")
        if param.choices and value not in param.choices:
            raise RuleParameterError(f"{rule}: {name} must be one of {', '.join(param.choices)}")
        words = isinstance(value, list) and all(isinstance(word, str) for word in value)
        if (param.kind is str and not isinstance(value, str)) or (param.kind is list and not words):
            kind = "a text" if param.kind is str else "a list of texts"
            raise RuleParameterError(f"{rule}: {name} must be {kind}, not {value!r}")
    return values


class Rule:
    name: ClassVar[str]
    summary: ClassVar[str]
    parameters: ClassVar[dict[str, Param]] = {}

    def __init__(self, **given: Any) -> None:
        self.values = checked_parameters(self.name, self.parameters, given)

    def decide(self, votes: ProposalVotes) -> Outcome:
        raise NotImplementedError

    def _declared(self, votes: ProposalVotes) -> tuple[str, list[Support]] | None:
        """The declared attribute the rule is about: the one named, else the only one there is."""
        wanted = self.values.get("attribute")
        if wanted:
            return (wanted, votes.declared[wanted]) if wanted in votes.declared else None
        return next(iter(votes.declared.items())) if len(votes.declared) == 1 else None
