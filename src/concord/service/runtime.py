"""The running service: the database, rate limits, the vote intake and the live analysis. Every use
case takes it (with the :class:`~concord.service.caller.Caller`), runs in one transaction of its own
(nothing is stored half-way) and tells the live analysis what changed once that transaction has
committed.

It names the vote intake and the live analysis by what use cases ask of them (:class:`Votes`,
:class:`Analyses`), not by their classes: those are built on the use cases, so a record every use case
imports must not import them back. :mod:`concord.service.startup` builds it, for ``concord serve``, the
tests and the command line alike."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from concord.service.accounts.login_delays import LoginDelays
from concord.service.availability import OutageLog
from concord.service.ratelimit import RateLimiter
from concord.store.models import AnalysisRecord


class Votes(Protocol):
    """Where votes are stored in batches (:class:`concord.service.participation.vote_intake.VoteIntake`)."""

    def submit(self, ballot: Any) -> Future[Any]:
        """Queue one ballot; the future resolves to its answer."""

    def stop(self) -> None:
        """Store the ballots already queued, then stop."""


class Analyses(Protocol):
    """The live analysis (:class:`concord.service.live_analysis.LiveAnalysis`, or the same in a process of
    its own: :class:`concord.service.live_analysis.AnalysisProcess`)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def notify(self, conversation_id: int) -> None:
        """This conversation changed (called once the change is committed): analyse it again soon."""

    def analyse_now(self, conversation_id: int) -> AnalysisRecord | None:
        """Bring its stored analysis up to date at once (imports, the demo)."""


@dataclass
class Runtime:
    sessions: sessionmaker[Session]
    limiter: RateLimiter
    votes: Votes
    live: Analyses
    logins: LoginDelays
    outages: OutageLog
    stopping: bool = False  # set once shutdown begins: not ready for new traffic

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction per use case: committed when the block ends, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def stop(self) -> None:
        """Store the votes already queued, then stop the analysis."""
        self.stopping = True
        self.votes.stop()
        self.live.stop()

    def close(self) -> None:
        self.stop()
        engine = self.sessions.kw["bind"]
        engine.dispose()
