"""Is this server process ready for traffic? What a load balancer asks before sending it requests
(``GET /api/ready``), apart from whether it is alive at all (``GET /api/health``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from concord.service.availability import UNAVAILABLE
from concord.service.runtime import Runtime


@dataclass(frozen=True)
class Readiness:
    ready: bool
    database: str  # "ok", or why it cannot be reached
    stopping: bool  # shutting down: finishing the requests it has, taking no more


def readiness(runtime: Runtime) -> Readiness:
    """Ready when the database answers and the process is not shutting down."""
    if runtime.stopping:
        return Readiness(False, "not asked", True)
    try:
        with runtime.sessions() as session:
            session.execute(text("SELECT 1"))
    except UNAVAILABLE as error:
        return Readiness(False, str(error).splitlines()[0], False)
    return Readiness(True, "ok", False)
