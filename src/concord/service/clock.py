"""The one source of "now" for stored times (integer milliseconds, UTC)."""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
