"""The running service: the database, rate limits, the vote intake and the live analysis. Every use
case takes it (with the :class:`~concord.service.caller.Caller`), runs in one transaction of its own
(nothing is stored half-way) and tells the live analysis what changed once that transaction has
committed. ``concord serve``, the tests and the command line build it the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from concord.service.accounts.login_delays import LoginDelays
from concord.service.availability import OutageLog
from concord.service.live_analysis import AnalysisProcess, LiveAnalysis
from concord.service.participation.vote_intake import VoteIntake
from concord.service.ratelimit import RATE_LIMIT_KEY, RateLimiter
from concord.service.secrets import instance_secret
from concord.store.database import migrate, open_database, session_factory


@dataclass
class Runtime:
    sessions: sessionmaker[Session]
    limiter: RateLimiter
    votes: VoteIntake
    live: LiveAnalysis | AnalysisProcess
    logins: LoginDelays
    outages: OutageLog
    stopping: bool = False  # set once shutdown begins: not ready for new traffic

    @classmethod
    def open(
        cls,
        database: str | Engine | None = None,
        *,
        analysis_process: bool = False,
        rate_limits: bool = True,
        debounce: float = 1.0,
    ) -> Runtime:
        """Open (and migrate) the database. ``analysis_process``: run the live analysis in a process of
        its own, as ``concord serve`` does, so it never competes with requests for the interpreter."""
        engine = database if isinstance(database, Engine) else open_database(database)
        migrate(engine)
        sessions = session_factory(engine)
        live: LiveAnalysis | AnalysisProcess
        if analysis_process:
            live = AnalysisProcess(sessions, engine.url.render_as_string(hide_password=False), debounce=debounce)
        else:
            live = LiveAnalysis(sessions, debounce=debounce)
        with sessions() as session:
            address_key = bytes.fromhex(instance_secret(session, RATE_LIMIT_KEY))
        limiter, outages = RateLimiter(address_key, enabled=rate_limits), OutageLog()
        votes = VoteIntake(sessions, limiter, changed=live.notify, outages=outages)
        logins = LoginDelays(sessions, address_key, enabled=rate_limits)
        return cls(sessions, limiter, votes, live, logins, outages)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction per use case: committed when the block ends, rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def start(self) -> None:
        """Start the live analysis, and have it bring up to date the analyses stored by an older
        version of Concord (see :func:`concord.service.conversations.results.refresh_stale`)."""
        from concord.service.conversations.results import refresh_stale

        self.live.start()
        refresh_stale(self)

    def stop(self) -> None:
        """Store the votes already queued, then stop the analysis."""
        self.stopping = True
        self.votes.stop()
        self.live.stop()

    def close(self) -> None:
        self.stop()
        engine = self.sessions.kw["bind"]
        engine.dispose()
