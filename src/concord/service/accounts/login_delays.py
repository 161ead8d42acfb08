"""Slowing password guessing without locking anyone out.

A refusal after N failures lets anyone lock the real moderator out by failing N times. Instead every
attempt waits before its password is checked, longer after each recent failure, and the right password
is then accepted:

- per client address, attempts are spaced: each is checked at least ``delay(failures)`` after the
  one before from that address (up to a minute), parallel ones queueing, so a guesser's rate falls
  geometrically;
- per account, from every address, each attempt waits ``delay(failures)`` capped at a few seconds, not
  queued: guesses spread over many addresses are slowed too, and the moderator, from an address of
  their own, waits at most that long.

    delay(f) = 0 for f < 3, else min(2^(f − 3), cap) seconds      (unit = 1 s; tests shrink it)

Failures are forgotten after 15 minutes without one. They are counted in the database
(``login_failures``), so every server process of a deployment slows the same guesser: a row per
account or address with a recent failure, its key a keyed hash (of the address, and of the username as
typed, which may be a mistyped password), deleted once forgotten.
"""

from __future__ import annotations

import time
from typing import cast

from sqlalchemy import Connection, Table, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from concord.service.ratelimit import keyed_hash
from concord.store.models import LoginFailure

FREE_FAILURES = 3
ADDRESS_CAP = 60.0
ACCOUNT_CAP = 5.0
FORGET_AFTER = 15 * 60.0

_failures = cast(Table, LoginFailure.__table__)


def _count_failure(dialect_name: str):
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(_failures)
    fresh = _failures.c.last_failure < statement.excluded.last_failure - FORGET_AFTER
    return statement.on_conflict_do_update(
        index_elements=[_failures.c.kind, _failures.c.key],
        set_={
            "failures": case((fresh, 1), else_=_failures.c.failures + 1),
            "last_failure": statement.excluded.last_failure,
        },
    )


_COUNT = {name: _count_failure(name) for name in ("sqlite", "postgresql")}


class LoginDelays:
    def __init__(self, sessions: sessionmaker[Session], key: bytes = b"", *, enabled: bool = True, unit: float = 1.0):
        """``key``: the instance secret that hashes usernames and addresses (the same on every server)."""
        self._sessions = sessions
        self._key = key
        self.enabled = enabled
        self.unit = unit

    def wait_before_checking(self, username: str, address: str) -> float:
        """Seconds this attempt waits before its password is checked (it also takes its place in the
        address's queue)."""
        if not self.enabled:
            return 0.0
        now = time.time()
        account, source = self._hashed("account", username), self._hashed("address", address)
        with self._sessions.begin() as session:
            connection = session.connection()
            found = {
                (kind, key): (failures, last_failure, last_slot)
                for kind, key, failures, last_failure, last_slot in connection.execute(
                    select(_failures)
                    .where(
                        (_failures.c.kind == "account") & (_failures.c.key == account[1])
                        | ((_failures.c.kind == "address") & (_failures.c.key == source[1]))
                    )
                    .order_by(_failures.c.kind, _failures.c.key)
                    .with_for_update()
                )
                if now - last_failure <= FORGET_AFTER
            }
            wait = 0.0
            if source in found:
                failures, _, last_slot = found[source]
                slot = max(now, last_slot + self._delay(failures, ADDRESS_CAP))
                connection.execute(
                    update(_failures)
                    .where(_failures.c.kind == source[0], _failures.c.key == source[1])
                    .values(last_slot=slot)
                )
                wait = slot - now
            if account in found:
                wait = max(wait, self._delay(found[account][0], ACCOUNT_CAP))
        return wait

    def failed(self, username: str, address: str) -> None:
        if not self.enabled:
            return
        now = time.time()
        with self._sessions.begin() as session:
            connection = session.connection()
            for kind, key in sorted((self._hashed("account", username), self._hashed("address", address))):
                row = {"kind": kind, "key": key, "failures": 1, "last_failure": now, "last_slot": 0.0}
                connection.execute(_COUNT[connection.dialect.name], row)

    def succeeded(self, username: str) -> None:
        if not self.enabled:
            return
        kind, key = self._hashed("account", username)
        with self._sessions.begin() as session:
            session.execute(delete(_failures).where(_failures.c.kind == kind, _failures.c.key == key))

    def _hashed(self, kind: str, value: str) -> tuple[str, str]:
        return kind, keyed_hash(self._key, f"{kind}:{value}")

    def _delay(self, failures: int, cap: float) -> float:
        return 0.0 if failures < FREE_FAILURES else min(2.0 ** (failures - FREE_FAILURES), cap) * self.unit


def forget_failures(connection: Connection, now: float | None = None) -> int:
    """Delete the failures old enough to be forgotten; how many (any server process may run it)."""
    now = time.time() if now is None else now
    stale = (_failures.c.last_failure < now - FORGET_AFTER) & (_failures.c.last_slot < now)
    return connection.execute(delete(_failures).where(stale)).rowcount
