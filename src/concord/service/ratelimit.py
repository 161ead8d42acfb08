"""Token buckets per key (participant, username, address), in memory: floods are refused with a 429
and the time to wait. Nothing here is stored, so no address is kept."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from concord.service.errors import Label, RateLimited


@dataclass(frozen=True)
class Limit:
    burst: int  # requests allowed at once
    per_second: float  # refill rate
    what: Label  # shown in the error message


VOTES = Limit(burst=30, per_second=2.0, what=Label("votes"))
STATEMENTS = Limit(burst=3, per_second=1 / 60, what=Label("statements"))
TRANSLATIONS = Limit(burst=20, per_second=0.2, what=Label("translations"))  # a translator works through a list
JOINS = Limit(burst=60, per_second=2.0, what=Label("new participants from one address"))
# Logins are slowed, never refused: concord.service.login_delays


class RateLimiter:
    def __init__(self, max_keys: int = 200_000, *, enabled: bool = True) -> None:
        self._buckets: dict[tuple[str, object], tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self.enabled = enabled

    def check(self, limit: Limit, key: object) -> None:
        """Take one token from ``key``'s bucket or raise :class:`RateLimited`."""
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get((limit.what, key), (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + (now - then) * limit.per_second)
            if tokens < 1.0:
                wait = (1.0 - tokens) / limit.per_second
                raise RateLimited(
                    "too many %(what)s: at most %(burst)s at once and %(per_minute)s a minute; try again in %(wait)s s",
                    wait,
                    what=limit.what,
                    burst=limit.burst,
                    per_minute=round(limit.per_second * 60, 2),
                    wait=max(1, round(wait)),
                )
            if len(self._buckets) >= self._max_keys:
                self._buckets.clear()  # forgetting everyone is safe: limits only protect, never account
            self._buckets[(limit.what, key)] = (tokens - 1.0, now)
