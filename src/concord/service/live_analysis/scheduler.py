"""When to analyse: a background thread per server process re-analyses a conversation once no new
vote has come for ``debounce`` seconds, or ``max_delay`` after its first unanalysed vote, whichever is
first, so a busy conversation's results trail its votes by seconds and a quiet one costs nothing."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from sqlalchemy.orm import sessionmaker

from concord.engine.analysis import AnalysisParams
from concord.service.live_analysis.events import EventCache
from concord.service.live_analysis.payload import analyse_conversation
from concord.store.models import AnalysisRecord

log = logging.getLogger("concord.analysis")
CACHED_CONVERSATIONS = 32  # event caches kept in memory, least recently analysed dropped first


class LiveAnalysis:
    """The background re-analysis thread of one server process."""

    def __init__(
        self,
        sessions: sessionmaker,
        *,
        debounce: float = 1.0,
        max_delay: float = 10.0,
        params: AnalysisParams | None = None,
    ) -> None:
        self._sessions = sessions
        self._debounce, self._max_delay = debounce, max_delay
        self._params = params
        self._dirty: dict[int, tuple[float, float]] = {}  # conversation → (first, latest) vote time
        self._caches: OrderedDict[int, EventCache] = OrderedDict()
        self._condition = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None
        self._cache_lock = threading.Lock()

    def start(self) -> None:
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="concord-analysis", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._running = False
            self._condition.notify_all()
        if self._thread:
            self._thread.join(timeout=30)

    def notify(self, conversation_id: int) -> None:
        now = time.monotonic()
        with self._condition:
            first, _ = self._dirty.get(conversation_id, (now, now))
            self._dirty[conversation_id] = (first, now)
            self._condition.notify_all()

    def analyse_now(self, conversation_id: int) -> AnalysisRecord | None:
        """Analyse one conversation synchronously (imports, tests, the CLI)."""
        with self._cache_lock:
            return analyse_conversation(self._sessions, conversation_id, self._cache_for(conversation_id), self._params)

    def _cache_for(self, conversation_id: int) -> EventCache:
        cache = self._caches.pop(conversation_id, None) or EventCache()
        self._caches[conversation_id] = cache
        while len(self._caches) > CACHED_CONVERSATIONS:
            self._caches.popitem(last=False)
        return cache

    def _due(self) -> tuple[int | None, float]:
        """The conversation to analyse now, or how long to wait."""
        now, wait = time.monotonic(), 3600.0
        for conversation_id, (first, latest) in self._dirty.items():
            ready_at = min(latest + self._debounce, first + self._max_delay)
            if ready_at <= now:
                return conversation_id, 0.0
            wait = min(wait, ready_at - now)
        return None, wait

    def _loop(self) -> None:
        while (conversation_id := self._wait_until_due()) is not None:
            try:
                self.analyse_now(conversation_id)
            except Exception:  # a failed analysis must not stop the others; it is retried on the next vote
                log.exception("analysis of conversation %s failed", conversation_id)

    def _wait_until_due(self) -> int | None:
        """The next conversation to analyse (no longer marked dirty), or None once stopped."""
        with self._condition:
            while self._running:
                conversation_id, wait = self._due()
                if conversation_id is not None:
                    del self._dirty[conversation_id]
                    return conversation_id
                self._condition.wait(timeout=wait)
            return None
