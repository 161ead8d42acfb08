"""When to analyse: a background thread per server process re-analyses a conversation once no new
change has come for ``debounce`` seconds, or ``max_delay`` after its first unanalysed one, whichever is
first, so a busy conversation's results trail its votes by seconds and a quiet one costs nothing.

Changes are heard of two ways: this process's own votes (:meth:`LiveAnalysis.notify`, at once), and,
every ``poll`` seconds, the sizes of every conversation's log, which grow with the votes any server
process stores. Only the process holding a conversation's lease (:mod:`.leases`) analyses it; the
others keep watching and take over when the lease runs out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from sqlalchemy.orm import sessionmaker

from concord.engine.analysis import AnalysisParams
from concord.service.accounts.login_delays import forget_failures
from concord.service.availability import UNAVAILABLE, OutageLog
from concord.service.live_analysis import leases
from concord.service.live_analysis.events import EventCache
from concord.service.live_analysis.payload import analyse_conversation
from concord.service.ratelimit import forget_refilled
from concord.store.models import AnalysisRecord

log = logging.getLogger("concord.analysis")
CACHED_CONVERSATIONS = 32  # event caches kept in memory, least recently analysed dropped first
HOUSEKEEPING_SECONDS = 60.0  # how often refilled rate-limit buckets and forgotten login failures are deleted


class LiveAnalysis:
    """The background re-analysis thread of one server process."""

    def __init__(
        self,
        sessions: sessionmaker,
        *,
        debounce: float = 1.0,
        max_delay: float = 10.0,
        poll: float = 1.0,
        params: AnalysisParams | None = None,
    ) -> None:
        self._sessions = sessions
        self._debounce, self._max_delay, self._poll = debounce, max_delay, poll
        self._params = params
        self.holder = leases.new_holder()
        self._dirty: dict[int, tuple[float, float]] = {}  # conversation → (first, latest) change time
        self._sizes: dict[int, int] | None = None  # every conversation's log size at the last look
        self._deferred: set[int] = set()  # changed while another process leads them: watched for takeover
        self._leading: set[int] = set()  # the conversations whose lease this process holds
        self._caches: OrderedDict[int, EventCache] = OrderedDict()
        self._condition = threading.Condition()
        self._running = False
        self._thread: threading.Thread | None = None
        self._cache_lock = threading.Lock()
        self._housekept = 0.0
        self._outages = OutageLog()

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
            self._thread = None
        if self._leading:
            try:  # another process may take them over at once
                with self._sessions.begin() as session:
                    leases.release(session.connection(), self.holder)
            except UNAVAILABLE as error:  # they run out by themselves
                self._outages.report(error)

    def notify(self, conversation_id: int) -> None:
        now = time.monotonic()
        with self._condition:
            first, _ = self._dirty.get(conversation_id, (now, now))
            self._dirty[conversation_id] = (first, now)
            self._condition.notify_all()

    def analyse_now(self, conversation_id: int) -> AnalysisRecord | None:
        """Analyse one conversation synchronously (imports, tests, the CLI)."""
        with self._cache_lock:
            cache = self._cache_for(conversation_id)
            return analyse_conversation(self._sessions, conversation_id, cache, self._params, self.holder)

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
        next_look = 0.0
        while self._running:
            if time.monotonic() >= next_look:
                try:
                    self._look()
                except UNAVAILABLE as error:  # the database is away: said once a minute, looked at again
                    self._outages.report(error)
                except Exception:
                    log.exception("could not look for changed conversations")
                next_look = time.monotonic() + self._poll
            conversation_id = self._wait_until_due(next_look)
            if conversation_id is None:
                continue
            try:
                self._analyse_if_leading(conversation_id)
            except UNAVAILABLE as error:  # the database is away: tried again a moment later
                self._outages.report(error)
                self.notify(conversation_id)
            except Exception:  # a failed analysis must not stop the others; it is retried on the next vote
                log.exception("analysis of conversation %s failed", conversation_id)

    def _look(self) -> None:
        """Renew this process's leases, and mark dirty every conversation whose log grew since the last
        look (on the first, those behind on their log), and those led by a process that is gone."""
        with self._sessions.begin() as session:
            connection = session.connection()
            if self._leading:  # a process that leads nothing writes nothing here
                self._leading = leases.renew(connection, self.holder)
            sizes = leases.log_sizes(connection)
            if self._sizes is None:
                changed = leases.behind(connection)
            else:
                changed = {c for c, size in sizes.items() if self._sizes.get(c) != size}
            orphaned = self._deferred - leases.led(connection, self._deferred)
            if time.monotonic() - self._housekept > HOUSEKEEPING_SECONDS:
                forget_refilled(connection)
                forget_failures(connection)
                self._housekept = time.monotonic()
        self._sizes = sizes
        self._deferred -= orphaned
        for conversation_id in changed | orphaned:
            self.notify(conversation_id)

    def _analyse_if_leading(self, conversation_id: int) -> None:
        with self._sessions.begin() as session:
            leading = leases.claim(session.connection(), conversation_id, self.holder)
        if not leading:
            self._deferred.add(conversation_id)
            return
        self._deferred.discard(conversation_id)
        self._leading.add(conversation_id)
        self.analyse_now(conversation_id)

    def _wait_until_due(self, until: float) -> int | None:
        """The next conversation to analyse (no longer marked dirty), or None at ``until`` or once
        stopped."""
        with self._condition:
            while self._running:
                conversation_id, wait = self._due()
                if conversation_id is not None:
                    del self._dirty[conversation_id]
                    return conversation_id
                left = until - time.monotonic()
                if left <= 0:
                    return None
                self._condition.wait(timeout=min(wait, left))
            return None
