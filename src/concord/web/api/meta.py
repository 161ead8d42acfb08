"""About the service itself."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Request
from fastapi.responses import JSONResponse

from concord.service.health import readiness
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import runtime

router = api_router("meta")


@router.get("/health")
def health() -> dict:
    """Alive: the process answers (a load balancer's liveness check; it asks nothing of the database)."""
    return {"status": "ok"}


@router.get("/ready", response_model=schemas.ReadinessOut, responses={503: {"model": schemas.ReadinessOut}})
def ready(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and the process is not shutting down (else 503)."""
    found = readiness(runtime(request))
    return JSONResponse(asdict(found), status_code=200 if found.ready else 503)
