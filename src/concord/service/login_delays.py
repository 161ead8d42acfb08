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

Failures are forgotten after 15 minutes without one. Nothing here is stored: a restart forgets them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

FREE_FAILURES = 3
ADDRESS_CAP = 60.0
ACCOUNT_CAP = 5.0
FORGET_AFTER = 15 * 60.0
MAX_KEYS = 100_000


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    last_slot: float = float("-inf")  # addresses only: when the latest attempt was (or will be) checked


class LoginDelays:
    def __init__(self, *, enabled: bool = True, unit: float = 1.0) -> None:
        self.enabled = enabled
        self.unit = unit
        self._accounts: dict[str, _Record] = {}
        self._addresses: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def wait_before_checking(self, username: str, address: str) -> float:
        """Seconds this attempt waits before its password is checked (it also takes its place in the
        address's queue)."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        with self._lock:
            account, source = self._record(self._accounts, username, now), self._record(self._addresses, address, now)
            source.last_slot = max(now, source.last_slot + self._delay(source.failures, ADDRESS_CAP))
            return max(source.last_slot - now, self._delay(account.failures, ACCOUNT_CAP))

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for records, key in ((self._accounts, username), (self._addresses, address)):
                record = self._record(records, key, now)
                record.failures += 1
                record.last_failure = now

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._accounts.pop(username, None)

    def _delay(self, failures: int, cap: float) -> float:
        return 0.0 if failures < FREE_FAILURES else min(2.0 ** (failures - FREE_FAILURES), cap) * self.unit

    @staticmethod
    def _record(records: dict[str, _Record], key: str, now: float) -> _Record:
        record = records.get(key)
        if record is None or (record.failures and now - record.last_failure > FORGET_AFTER):
            if len(records) >= MAX_KEYS:
                records.clear()  # forgetting everyone only makes guessing as slow as it starts
            record = records[key] = _Record()
        return record
