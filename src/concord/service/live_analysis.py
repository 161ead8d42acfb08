"""Live analysis: conversations are re-analysed in the background as votes arrive — in a thread
(:class:`LiveAnalysis`) or, under ``concord serve``, in a process of its own (:class:`AnalysisProcess`).

Voting never waits for it. A vote marks its conversation dirty; the worker waits until no new vote has
come for ``debounce`` seconds (or ``max_delay`` has passed since the first unanalysed vote), then loads
only the vote events it has not seen yet (incremental), rebuilds the matrix, runs the engine and stores
the result with the time, the last vote event and the vote count it was computed from.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from concord.engine.analysis import Analysis, AnalysisParams, DeclaredGroups, analyze, compare_groups
from concord.engine.votes import VoteDataError, build_vote_matrix
from concord.report.opinion_map import group_letter
from concord.report.results import comparison_dict, results_dict
from concord.service.clock import now_ms
from concord.store.models import AnalysisRecord, Conversation, Participant, Statement, VoteEvent

log = logging.getLogger("concord.analysis")
CACHED_CONVERSATIONS = 32


@dataclass
class EventCache:
    """The vote events of one conversation read so far, as (participant number, statement number,
    vote) columns in event order."""

    last_event_id: int = 0
    participant: list[np.ndarray] = field(default_factory=list)
    statement: list[np.ndarray] = field(default_factory=list)
    vote: list[np.ndarray] = field(default_factory=list)

    def extend(self, session: Session, conversation_id: int) -> None:
        """Read the events stored since the last call. Ids come from a sequence but transactions commit
        in any order, so an event can appear below ``last_event_id`` after it was read past: when the
        database holds more events up to that id than the cache, start again from the first."""
        self._read_after(session, conversation_id)
        stored = session.scalar(
            select(func.count())
            .select_from(VoteEvent)
            .where(VoteEvent.conversation_id == conversation_id, VoteEvent.id <= self.last_event_id)
        )
        if stored != self.events:
            self.__init__()
            self._read_after(session, conversation_id)

    @property
    def events(self) -> int:
        return sum(len(part) for part in self.vote)

    def _read_after(self, session: Session, conversation_id: int) -> None:
        rows = session.execute(
            select(VoteEvent.id, Participant.number, Statement.number, VoteEvent.value)
            .join(Participant, Participant.id == VoteEvent.participant_id)
            .join(Statement, Statement.id == VoteEvent.statement_id)
            .where(VoteEvent.conversation_id == conversation_id, VoteEvent.id > self.last_event_id)
            .order_by(VoteEvent.id)
        ).all()
        if not rows:
            return
        columns = np.array(rows, dtype=np.int64)
        self.last_event_id = int(columns[-1, 0])
        self.participant.append(columns[:, 1])
        self.statement.append(columns[:, 2])
        self.vote.append(columns[:, 3])

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(
            np.concatenate(parts) if parts else np.zeros(0, np.int64)
            for parts in (self.participant, self.statement, self.vote)
        )


def analyse_conversation(
    session: Session, conversation: Conversation, cache: EventCache, params: AnalysisParams | None = None
) -> AnalysisRecord | None:
    """Bring the stored analysis of one conversation up to date; None when it has no votes yet."""
    started = time.perf_counter()
    cache.extend(session, conversation.id)
    participant, statement, vote = cache.columns()
    if len(vote) == 0:
        return None
    statements = list(session.scalars(select(Statement).where(Statement.conversation_id == conversation.id)))
    rejected = [s.number for s in statements if s.status == "rejected"]
    try:
        matrix = build_vote_matrix(participant, statement, vote, moderated_out_ids=rejected)
    except VoteDataError:
        return None
    analysis = analyze(matrix, params)
    texts = {s.number: s.text for s in statements}
    results = results_dict(analysis, texts, topic=conversation.topic)
    results["declared"] = _declared(session, conversation, analysis, texts)
    results["map"] = _map(analysis)
    results["routing"] = _routing(analysis)
    record = session.get(AnalysisRecord, conversation.id) or AnalysisRecord(conversation_id=conversation.id)
    record.computed_ms = now_ms()
    record.last_event_id = cache.last_event_id
    record.vote_count = matrix.n_votes
    record.seconds = time.perf_counter() - started
    record.results = results
    session.merge(record)
    return record


def _declared(session: Session, conversation: Conversation, analysis: Analysis, texts: dict) -> dict:
    """Consensus and representativeness across each declared attribute (e.g. region)."""
    if not conversation.attributes:
        return {}
    answers = session.execute(
        select(Participant.number, Participant.attributes).where(Participant.conversation_id == conversation.id)
    ).all()
    declared = {}
    for attribute in conversation.attributes:
        name = attribute["name"]
        mapping = {number: given[name] for number, given in answers if given and given.get(name)}
        if not mapping:
            continue
        groups = DeclaredGroups.from_mapping(analysis.matrix, mapping)
        comparison = compare_groups(analysis.matrix, groups.labels, groups.names, analysis.eligible)
        declared[name] = comparison_dict(analysis, comparison, texts)
    return declared


def _map(analysis: Analysis) -> dict:
    """What the opinion map needs: every participant's 2-D position and group, by participant number."""
    positions = np.round(analysis.projection.positions[:, :2], 4)
    return {
        "participants": analysis.matrix.participant_ids.tolist(),
        "x": positions[:, 0].tolist(),
        "y": positions[:, 1].tolist(),
        "group": analysis.groups.labels.tolist(),
        "labels": [group_letter(g) for g in range(analysis.groups.k)],
    }


def _routing(analysis: Analysis) -> dict:
    """Per statement number: agree/disagree/seen counts among grouped participants, and extremity —
    the inputs of the routing priority."""
    tallies = analysis.opinion.tallies.total()
    return {
        str(int(number)): {
            "agree": int(tallies.agree[0, j]),
            "disagree": int(tallies.disagree[0, j]),
            "seen": int(tallies.seen[0, j]),
            "extremity": round(float(analysis.projection.extremity[j]), 4),
        }
        for j, number in enumerate(analysis.matrix.statement_ids)
    }


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
            cache = self._cache_for(conversation_id)
            with self._sessions.begin() as session:
                conversation = session.get(Conversation, conversation_id)
                return analyse_conversation(session, conversation, cache, self._params) if conversation else None

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
        while True:
            with self._condition:
                while self._running:
                    conversation_id, wait = self._due()
                    if conversation_id is not None:
                        del self._dirty[conversation_id]
                        break
                    self._condition.wait(timeout=wait)
                if not self._running:
                    return
            try:
                self.analyse_now(conversation_id)
            except Exception:  # a failed analysis must not stop the others; it is retried on the next vote
                log.exception("analysis of conversation %s failed", conversation_id)


class AnalysisProcess:
    """The live analysis in a process of its own, as ``concord serve`` runs it: the engine's Python
    parts then never hold the web server's interpreter lock, so votes keep their latency while a large
    conversation is re-analysed. This process only forwards which conversations changed; ``analyse_now``
    (imports, the demo) still runs here, at once."""

    def __init__(
        self, sessions: sessionmaker, database_url: str, *, debounce: float = 1.0, max_delay: float = 10.0
    ) -> None:
        self._here = LiveAnalysis(sessions, debounce=debounce, max_delay=max_delay)
        self._arguments = (database_url, debounce, max_delay, os.getpid())
        self._inbox = None
        self._process = None
        self._restarting = threading.Lock()

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copied threads or locks
        self._inbox = context.Queue()
        self._process = context.Process(
            target=_analyse_in_child, args=(self._inbox, *self._arguments), name="concord-analysis", daemon=True
        )
        self._process.start()

    def stop(self) -> None:
        with self._restarting:
            if self._process is None:
                return
            self._inbox.put(None)
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.terminate()
            self._inbox.close()
            self._inbox.join_thread()
            self._process = self._inbox = None  # frees the queue's semaphores before the interpreter exits

    def notify(self, conversation_id: int) -> None:
        with self._restarting:
            if self._process is None:
                return
            if not self._process.is_alive():  # it crashed (out of memory, say): analyses must go on
                log.error("the analysis process ended (exit code %s); starting a new one", self._process.exitcode)
                self.start()
            self._inbox.put(conversation_id)

    def analyse_now(self, conversation_id: int) -> AnalysisRecord | None:
        return self._here.analyse_now(conversation_id)


def _analyse_in_child(inbox, database_url: str, debounce: float, max_delay: float, parent: int) -> None:
    from queue import Empty

    from concord.store.database import open_database, session_factory

    live = LiveAnalysis(session_factory(open_database(database_url)), debounce=debounce, max_delay=max_delay)
    live.start()
    while os.getppid() == parent:  # a server killed outright leaves no orphan behind
        try:
            message = inbox.get(timeout=2.0)
        except Empty:
            continue
        if message is None:
            break
        live.notify(message)
    live.stop()
