"""The vote intake: one writer thread that stores votes in batches (group commit).

A vote request hands its ballot to the intake and waits for the answer. The writer takes every ballot
queued while it was busy and stores them all in one transaction (:func:`voting.store_ballots`), so
under load many votes share one commit, one disk sync and four SQL statements, and the web threads
never queue on the database's write lock. When a batch fails as a whole (the database went away, a
constraint nobody foresaw) each ballot is retried alone, so one bad vote cannot sink the others;
when the database cannot be reached at all, every ballot of the batch gets that answer at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy.orm import sessionmaker

from concord.service.availability import UNAVAILABLE, OutageLog
from concord.service.participation.voting import Answer, Ballot, Stored, store_ballots
from concord.service.ratelimit import RateLimiter

log = logging.getLogger("concord.votes")
MAX_BATCH = 256  # votes per transaction: large enough to absorb bursts, small enough to answer fast
_STOP = object()


class VoteIntake:
    def __init__(
        self,
        sessions: sessionmaker,
        limiter: RateLimiter | None = None,
        changed: Callable[[int], None] = lambda conversation_id: None,
        *,
        max_batch: int = MAX_BATCH,
        outages: OutageLog | None = None,
    ):
        """``changed(conversation_id)`` is called once per batch for each conversation that got votes,
        after they are committed (the live analysis listens)."""
        self._outages = outages or OutageLog()
        self._sessions = sessions
        self._limiter = limiter
        self._changed = changed
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def submit(self, ballot: Ballot) -> Future[Answer]:
        """Queue one ballot; the future resolves to its answer (see :func:`voting.store_ballots`)."""
        if self._thread is None:
            self._start()
        future: Future[Answer] = Future()
        self._queue.put((ballot, future))
        return future

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
            self._thread = None

    def _start(self) -> None:
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="concord-votes", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)  # finish this batch, then stop
                    break
                batch.append(item)
            # A request that gave up (client gone) has cancelled its future: its vote is dropped; once
            # running, a future can no longer be cancelled, so answering it below cannot fail.
            batch = [(ballot, future) for ballot, future in batch if future.set_running_or_notify_cancel()]
            if batch:
                self._store(batch)

    def _store(self, batch: list[tuple[Ballot, Future]]) -> None:
        try:
            with self._sessions.begin() as session:
                answers = store_ballots(session, [ballot for ballot, _ in batch], self._limiter)
        except UNAVAILABLE as error:  # the database is away: every ballot gets the same answer (a 503)
            self._outages.report(error)
            for _, future in batch:
                future.set_exception(error)
            return
        except Exception as error:
            if len(batch) > 1:
                for item in batch:
                    self._store([item])
                return
            log.exception("a vote could not be stored")
            batch[0][1].set_exception(error)
            return
        for (_, future), answer in zip(batch, answers):
            future.set_result(answer)
        for conversation_id in {answer.conversation_id for answer in answers if isinstance(answer, Stored)}:
            try:
                self._changed(conversation_id)
            except Exception:  # the votes are stored; a missed notice only delays the analysis
                log.exception("could not announce new votes in conversation %s", conversation_id)
