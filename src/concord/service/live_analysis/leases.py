"""Who analyses which conversation when several server processes share one database.

Every analysis process watches every conversation (:func:`log_sizes`, one query a second) but only the
holder of a conversation's lease analyses it. A lease is a row ``(conversation, holder, expires)``
taken with one conditional upsert (:func:`claim`: free, ours already, or run out), renewed every second
by its holder while it lives (:func:`renew`) and given up when it stops (:func:`release`). A process
killed outright stops renewing: its leases run out after :data:`LEASE_SECONDS` and the next process
that sees the conversation change, or finds it behind on its log, takes over. The same statements
run on SQLite (one machine, a process or a few) and PostgreSQL (any number of servers), whose clocks
a deployment keeps in step (NTP): a lease tolerates a skew of a few seconds.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from concord.store.models import AnalysisLease, AnalysisRecord, Log

LEASE_SECONDS = 10.0  # how long a dead holder keeps a conversation from being analysed

_leases = cast(Table, AnalysisLease.__table__)
_logs = cast(Table, Log.__table__)
_analyses = cast(Table, AnalysisRecord.__table__)


def new_holder() -> str:
    """This process's name in the leases: host, process id, and a random part (ids are reused)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def claim_statements(leases: Table, key: str, seconds: float) -> dict[str, Any]:
    """Per dialect, the one conditional upsert that takes a lease of ``leases`` (a row keyed by ``key``,
    with ``holder`` and ``expires``): written when it is new, the holder's already, or run out (its
    expiry before the new one less ``seconds``); it returns a row only then."""

    def statement_for(dialect_name: str):
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        statement = dialect.insert(leases)
        return statement.on_conflict_do_update(
            index_elements=[leases.c[key]],
            set_={"holder": statement.excluded.holder, "expires": statement.excluded.expires},
            where=(leases.c.holder == statement.excluded.holder)
            | (leases.c.expires < statement.excluded.expires - seconds),
        ).returning(leases.c.holder)

    return {name: statement_for(name) for name in ("sqlite", "postgresql")}


_CLAIMS = claim_statements(_leases, "conversation_id", LEASE_SECONDS)


def claim(connection: Connection, conversation_id: int, holder: str, now: float | None = None) -> bool:
    """Take (or keep) the lease of one conversation: True when ``holder`` has it now.

    The row is written when it is new, ``holder``'s already, or run out (``expires < now``: the new
    expiry less :data:`LEASE_SECONDS`)."""
    now = time.time() if now is None else now
    row = connection.execute(
        _CLAIMS[connection.dialect.name],
        {"conversation_id": conversation_id, "holder": holder, "expires": now + LEASE_SECONDS},
    ).first()
    return row is not None


def renew(connection: Connection, holder: str, now: float | None = None) -> set[int]:
    """Extend every lease ``holder`` still has; the conversations it leads."""
    now = time.time() if now is None else now
    kept = connection.execute(
        update(_leases)
        .where(_leases.c.holder == holder)
        .values(expires=now + LEASE_SECONDS)
        .returning(_leases.c.conversation_id)
    )
    return set(kept.scalars())


def release(connection: Connection, holder: str, conversation_ids: set[int] | None = None) -> None:
    """Give up ``holder``'s leases (all of them, or these), so another process may take them at once."""
    condition = _leases.c.holder == holder
    if conversation_ids is not None:
        condition &= _leases.c.conversation_id.in_(sorted(conversation_ids))
    connection.execute(delete(_leases).where(condition))


def led(connection: Connection, conversation_ids: set[int], now: float | None = None) -> set[int]:
    """Which of these conversations someone leads now (one query, however many)."""
    if not conversation_ids:
        return set()
    now = time.time() if now is None else now
    rows = connection.execute(
        select(_leases.c.conversation_id).where(
            _leases.c.conversation_id.in_(sorted(conversation_ids)), _leases.c.expires >= now
        )
    )
    return set(rows.scalars())


def log_sizes(connection: Connection) -> dict[int, int]:
    """Every conversation's log size: what changed since the last look tells what to analyse."""
    rows = connection.execute(select(_logs.c.conversation_id, _logs.c.size).where(_logs.c.conversation_id.is_not(None)))
    return dict(rows.all())


def behind(connection: Connection) -> set[int]:
    """The conversations whose stored analysis is of a shorter log than theirs, or who have none: the
    work a process that starts (or takes over) may find waiting. Logs grow by more than votes (a
    closed conversation's outcome, a budget's ballots), so this is a superset of what needs analysing,
    looked at once per process start."""
    rows = connection.execute(
        select(_logs.c.conversation_id)
        .select_from(_logs.outerjoin(_analyses, _analyses.c.conversation_id == _logs.c.conversation_id))
        .where(
            _logs.c.conversation_id.is_not(None),
            _analyses.c.log_size.is_(None) | (_logs.c.size > _analyses.c.log_size),
        )
    )
    return set(rows.scalars())
