"""When the database cannot be reached: every request gets a clear 503 (see the web layer), the log
says so once (again at most once a minute while it lasts) instead of a traceback per request, and
nothing needs restarting: the connection pool checks connections before use and reconnects."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("concord.database")
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)  # cannot connect, connection lost, pool exhausted
REPORT_EVERY = 60.0
RETRY_AFTER = 5  # seconds a client is asked to wait


class OutageLog:
    """One per running service: an outage is logged when it is first met, then at most once a minute."""

    def __init__(self, every: float = REPORT_EVERY) -> None:
        self._every = every
        self._last = float("-inf")
        self._lock = threading.Lock()

    def report(self, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self._every:
                return
            self._last = now
        log.error("the database cannot be reached (%s); requests get 503 until it is back", str(error).splitlines()[0])
