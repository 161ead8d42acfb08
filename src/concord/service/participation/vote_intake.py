"""The vote intake: one writer thread that stores votes in batches (group commit).

A vote request hands its ballot to the intake and waits for the answer. The writer takes every ballot
queued while it was busy and stores them all in one transaction (:func:`voting.store_ballots`), so
under load many votes share one commit, one disk sync and a handful of SQL statements, and the web
threads never queue on the database's write lock. When a batch fails as a whole (the database went away, a
constraint nobody foresaw) each ballot is retried alone, so one bad vote cannot sink the others;
when the database cannot be reached at all, every ballot of the batch gets that answer at once.

A coroutine waits with :meth:`VoteIntake.answer`: the answers of a batch reach its event loop in one
hand-over (one wake-up of the loop per batch, not one per vote, as a thread's future each would).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import sessionmaker

from concord.service.availability import UNAVAILABLE, OutageLog
from concord.service.bulk import commit, together
from concord.service.participation.voting import Answer, Ballot, Stored, store_ballots
from concord.service.ratelimit import RateLimiter

log = logging.getLogger("concord.votes")
Waiter = Future | asyncio.Future  # a thread's future (submit) or a coroutine's (answer)
Outcome = tuple[Waiter, Any, BaseException | None]  # the waiter, its answer or the error it gets
MAX_BATCH = 256  # votes per transaction: large enough to absorb bursts, small enough to answer fast
KEEP_SECONDS = 1.0  # the writer keeps its connection while batches come at least this often
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
        self._engine = sessions.kw["bind"]
        self._held: Connection | None = None  # the writer thread's own (see _connection)
        self._used = 0.0
        self._starting = threading.Lock()

    def submit(self, ballot: Ballot) -> Future[Answer]:
        """Queue one ballot; the future resolves to its answer (see :func:`voting.store_ballots`)."""
        if self._thread is None:
            self._start()
        future: Future[Answer] = Future()
        self._queue.put((ballot, future))
        return future

    async def answer(self, ballot: Ballot) -> Answer:
        """Queue one ballot and wait for its answer (see :func:`voting.store_ballots`), from a coroutine."""
        if self._thread is None:
            self._start()
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queue.put((ballot, future))
        return await future

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
                self._release()
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
            # running, a thread's future can no longer be cancelled, so answering it below cannot fail
            # (a coroutine's cancelled from now on has its answer dropped: the vote stands).
            batch = [(ballot, future) for ballot, future in batch if _still_wanted(future)]
            if batch:
                self._deliver(self._store(batch))

    def _connection(self) -> Connection:
        """The writer's connection: kept from one batch to the next while they follow each other (no
        checkout from the pool, and so no liveness check, a round trip, per batch); after a pause, a
        fresh one from the pool, checked before use as every connection is."""
        if self._held is not None and time.monotonic() - self._used > KEEP_SECONDS:
            self._release()
        if self._held is None:
            self._held = self._engine.connect()
        return self._held

    def _release(self, *, broken: bool = False) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            try:
                if broken:
                    held.invalidate()  # never back to the pool
                held.close()
            except Exception:  # it was gone already
                log.debug("closing the intake's connection failed", exc_info=True)

    def _store(self, batch: list[tuple[Ballot, Waiter]]) -> list[Outcome]:
        try:
            connection = self._connection()
            try:
                with self._sessions(bind=connection) as session, session.begin():
                    # On PostgreSQL the whole batch is one pipeline: three round trips (the lookups, the
                    # locks, then the writes with the COMMIT), each read sending what is queued before it.
                    with together(connection):
                        answers = store_ballots(session, [ballot for ballot, _ in batch], self._limiter)
                        commit(connection)
            except BaseException:
                self._release(broken=connection.invalidated)
                raise
            self._used = time.monotonic()
        except UNAVAILABLE as error:  # the database is away: every ballot gets the same answer (a 503)
            self._release(broken=True)
            self._outages.report(error)
            return [(future, None, error) for _, future in batch]
        except Exception as error:
            if len(batch) > 1:
                return [outcome for item in batch for outcome in self._store([item])]
            log.exception("a vote could not be stored")
            return [(batch[0][1], None, error)]
        return [(future, answer, None) for (_, future), answer in zip(batch, answers)]

    def _deliver(self, outcomes: list[Outcome]) -> None:
        """Answer every waiter: threads' futures at once, coroutines' in one hand-over to each loop."""
        loops: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        changed = set()
        for outcome in outcomes:
            future, answer, error = outcome
            if isinstance(answer, Stored):
                changed.add(answer.conversation_id)
            if isinstance(future, asyncio.Future):
                loops.setdefault(future.get_loop(), []).append(outcome)
            elif error is not None:
                future.set_exception(error)
            else:
                future.set_result(answer)
        for loop, settled in loops.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:  # that loop has closed: nobody is waiting any more
                pass
        for conversation_id in changed:
            try:
                self._changed(conversation_id)
            except Exception:  # the votes are stored; a missed notice only delays the analysis
                log.exception("could not announce new votes in conversation %s", conversation_id)


def _still_wanted(future: Waiter) -> bool:
    if isinstance(future, asyncio.Future):
        return not future.cancelled()
    return future.set_running_or_notify_cancel()


def _settle(outcomes: list[Outcome]) -> None:
    """In the waiters' event loop: hand each its answer (unless it stopped waiting)."""
    for future, answer, error in outcomes:
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(answer)
