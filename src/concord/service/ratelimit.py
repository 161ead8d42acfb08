"""Token buckets per key (participant, address), kept in the database so that every server process
of one deployment draws from the same bucket: two servers behind a load balancer let a participant
cast the same 30 votes at once that one server does, not 60. Floods are refused with a 429 and the
time to wait.

A bucket is a row ``(kind, key, tokens, at)``: ``tokens`` left at time ``at`` (seconds since the
epoch, the servers' clocks, which a deployment keeps in step with NTP), refilled at ``per_second`` up
to ``burst``. Taking tokens locks the rows first (on PostgreSQL one ``INSERT … ON CONFLICT DO UPDATE
… RETURNING`` over the keys in order, so concurrent takers wait for each other and never deadlock among
themselves; on SQLite the transaction's write lock does the same), then writes the new counts back
with one upsert, in the caller's transaction: a vote refused later in that transaction gives its
token back by rolling back. A full bucket is the same as no row, so rows that have refilled are deleted
(:func:`forget_refilled`): the table holds only who acted in the last few minutes.

Addresses are stored as a keyed hash (HMAC-SHA-256 with an instance secret, 16 bytes), never as
themselves, and only while their bucket refills (at most half a minute for new participants).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, delete

from concord.service.bulk import Reply, any_of, array_literal, insert_rows, send, together
from concord.service.errors import Label, RateLimited
from concord.store.models import RateBucket


@dataclass(frozen=True)
class Limit:
    kind: str  # the bucket's kind in the table
    burst: int  # requests allowed at once
    per_second: float  # refill rate
    what: Label  # shown in the error message
    hashed: bool = False  # keys are network addresses: stored as a keyed hash only

    @property
    def refill_seconds(self) -> float:
        """How long an empty bucket takes to be full again."""
        return self.burst / self.per_second


VOTES = Limit("votes", burst=30, per_second=2.0, what=Label("votes"))
STATEMENTS = Limit("statements", burst=3, per_second=1 / 60, what=Label("statements"))
# A translator works through a list.
TRANSLATIONS = Limit("translations", burst=20, per_second=0.2, what=Label("translations"))
JOINS = Limit("joins", burst=60, per_second=2.0, what=Label("new participants from one address"), hashed=True)
# Texts by SMS (concord.service.sms): a person types a few a minute; a number (the gateway's whole
# traffic to one conversation) takes what a busy short code gets. Phones' keys are keyed hashes already.
SMS_PHONES = Limit("sms-phone", burst=10, per_second=1 / 6, what=Label("text messages from one phone"))
SMS_NUMBERS = Limit("sms-number", burst=600, per_second=100.0, what=Label("text messages to one number"))
LIMITS = (VOTES, STATEMENTS, TRANSLATIONS, JOINS, SMS_PHONES, SMS_NUMBERS)
RATE_LIMIT_KEY = "rate_limit_key"  # instance secret: the key of the addresses' hashes, hex
# Logins are slowed, never refused: concord.service.accounts.login_delays

_buckets = cast(Table, RateBucket.__table__)
_COLUMNS = ("kind", "key", "tokens", "at")
_WRITE = "ON CONFLICT (kind, key) DO UPDATE SET tokens = excluded.tokens, at = excluded.at"
# Holding buckets: each made if missing (a missing bucket is a full one) and locked, in key order.
# PostgreSQL does both in one statement whose plan cannot go wrong (the conflict goes through the
# primary key whatever the table's statistics say), and returns the counts; SQLite, whose write lock
# the INSERT takes, then reads them (_READ's %s: the keys, as bulk.any_of writes them).
_HOLD = (
    "INSERT INTO rate_buckets (kind, key, tokens, at) SELECT ?, key, ?, ? FROM unnest(?::varchar[]) AS key"
    " ON CONFLICT (kind, key) DO UPDATE SET tokens = rate_buckets.tokens RETURNING key, tokens, at"
)
_CREATE = "ON CONFLICT (kind, key) DO NOTHING"
_READ = "SELECT key, tokens, at FROM rate_buckets WHERE kind = ? AND %s"


class RateLimiter:
    def __init__(self, address_key: bytes = b"", *, enabled: bool = True) -> None:
        """``address_key``: the instance secret that hashes addresses (the same on every server)."""
        self._address_key = address_key
        self.enabled = enabled

    def check(self, connection: Connection, limit: Limit, key: object) -> None:
        """Take one token from ``key``'s bucket or raise :class:`RateLimited`."""
        [refused] = self.take(connection, limit, [key])
        if refused is not None:
            raise refused

    def take(self, connection: Connection, limit: Limit, keys: Sequence[object]) -> list[RateLimited | None]:
        """One token per item of ``keys`` (a key may repeat: its requests are served in order); for each,
        None when granted, else the refusal."""
        with together(connection):
            answers, write_back = self.hold(connection, limit, keys).take()
            write_back()
        return answers

    def hold(self, connection: Connection, limit: Limit, keys: Sequence[object]) -> Held:
        """Make the buckets of ``keys`` and lock them, in key order; their counts are read by
        :meth:`Held.take`. Statements sent after this one and before that read (a batch of votes locks
        its logs) go in the same round trip inside :func:`together`."""
        if not self.enabled or not keys:
            return Held(connection, limit, [""] * len(keys), None)  # every request granted
        stored = [keyed_hash(self._address_key, str(key)) if limit.hashed else str(key) for key in keys]
        order = sorted(set(stored))
        now = time.time()
        if connection.dialect.name == "postgresql":
            sql, params = _HOLD, [limit.kind, float(limit.burst), now, array_literal(order, "varchar")]
        else:
            rows = [(limit.kind, key, float(limit.burst), now) for key in order]
            insert_rows(connection, "rate_buckets", _COLUMNS, rows, on_conflict=_CREATE)
            among, values = any_of(connection, "key", order, "varchar")
            sql, params = _READ % among, [limit.kind, *values]
        locked = send(connection, sql, params)
        return Held(connection, limit, stored, locked, now)


class Held:
    """Buckets made and locked in this transaction (see :meth:`RateLimiter.hold`), not yet read."""

    def __init__(
        self, connection: Connection, limit: Limit, stored: list[str], locked: Reply | None, now: float = 0.0
    ) -> None:
        self._connection = connection
        self._limit = limit
        self._stored = stored  # each request's key as stored, in request order
        self._locked = locked
        self._now = now

    def take(self) -> tuple[list[RateLimited | None], Callable[[], None]]:
        """One token per request; the buckets' new counts are written back by the function returned,
        which the caller runs later in the same transaction (with its own writes: one round trip)."""
        if self._locked is None:
            return [None] * len(self._stored), _nothing
        limit, now = self._limit, self._now
        left = {key: _refilled(limit, tokens, now - at) for key, tokens, at in self._locked.rows()}
        answers: list[RateLimited | None] = []
        for key in self._stored:
            if left[key] >= 1.0:
                left[key] -= 1.0
                answers.append(None)
            else:
                answers.append(_refusal(limit, (1.0 - left[key]) / limit.per_second))

        def write_back() -> None:  # the rows are locked: one statement, however many
            rows = [(limit.kind, key, tokens, now) for key, tokens in sorted(left.items())]
            insert_rows(self._connection, "rate_buckets", _COLUMNS, rows, on_conflict=_WRITE)

        return answers, write_back


def _nothing() -> None:
    pass


def keyed_hash(key: bytes, text: str) -> str:
    """What is stored of an address (or a typed username): HMAC-SHA-256 with an instance secret, 16 bytes
    in hex; nobody without the secret can tell which address it was."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def forget_refilled(connection: Connection, now: float | None = None) -> int:
    """Delete the buckets that are full again (as good as absent); how many. Any server process may
    run it at any time."""
    now = time.time() if now is None else now
    gone = 0
    for limit in LIMITS:
        condition = (_buckets.c.kind == limit.kind) & (_buckets.c.at < now - limit.refill_seconds)
        gone += connection.execute(delete(_buckets).where(condition)).rowcount
    return gone


def _refilled(limit: Limit, tokens: float, elapsed: float) -> float:
    return min(float(limit.burst), tokens + max(0.0, elapsed) * limit.per_second)


def _refusal(limit: Limit, wait: float) -> RateLimited:
    return RateLimited(
        "too many %(what)s: at most %(burst)s at once and %(per_minute)s a minute; try again in %(wait)s s",
        wait,
        what=limit.what,
        burst=limit.burst,
        per_minute=round(limit.per_second * 60, 2),
        wait=max(1, round(wait)),
    )
