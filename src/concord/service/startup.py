"""Building the running service (:class:`~concord.service.runtime.Runtime`) and starting it: the one
place that wires the vote intake and the live analysis, which are built on the use cases, to the
record every use case takes. ``concord serve``, the tests and the command line open it here; no use
case imports this module."""

from __future__ import annotations

from sqlalchemy import Engine

from concord.service.accounts.login_delays import LoginDelays
from concord.service.availability import OutageLog
from concord.service.conversations.results import refresh_stale
from concord.service.live_analysis import AnalysisProcess, LiveAnalysis
from concord.service.participation.vote_intake import VoteIntake
from concord.service.ratelimit import RATE_LIMIT_KEY, RateLimiter
from concord.service.runtime import Runtime
from concord.service.secrets import instance_secret
from concord.store.database import migrate, open_database, session_factory


def open_runtime(
    database: str | Engine | None = None,
    *,
    analysis_process: bool = False,
    rate_limits: bool = True,
    debounce: float = 1.0,
) -> Runtime:
    """Open (and migrate) the database. ``analysis_process``: run the live analysis in a process of its
    own, as ``concord serve`` does, so it never competes with requests for the interpreter."""
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
    return Runtime(sessions, limiter, votes, live, logins, outages)


def start(runtime: Runtime) -> None:
    """Start the live analysis, and have it bring up to date the analyses stored by an older version of
    Concord (see :func:`concord.service.conversations.results.refresh_stale`)."""
    runtime.live.start()
    refresh_stale(runtime)
