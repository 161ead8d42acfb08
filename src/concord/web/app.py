"""The web application: the JSON API (documented at /openapi.json and /docs) and, in later layers, the
participant and moderator pages — one FastAPI app over one database."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from concord.service.errors import RateLimited, ServiceError
from concord.service.live_analysis import AnalysisProcess, LiveAnalysis
from concord.service.ratelimit import RateLimiter
from concord.service.vote_intake import VoteIntake
from concord.store.database import migrate, open_database, session_factory
from concord.web.context import AppState


def create_app(
    database: str | Engine | None = None,
    *,
    live_analysis: bool = True,
    analysis_process: bool = False,
    rate_limits: bool = True,
    debounce: float = 1.0,
    secure_cookies: bool = False,
) -> FastAPI:
    engine = database if isinstance(database, Engine) else open_database(database)
    migrate(engine)
    sessions = session_factory(engine)
    if analysis_process:  # what `concord serve` runs: the analysis never competes with requests for the GIL
        url = engine.url.render_as_string(hide_password=False)
        live = AnalysisProcess(sessions, url, debounce=debounce)
    else:
        live = LiveAnalysis(sessions, debounce=debounce)
    limiter = RateLimiter()
    limiter.enabled = rate_limits
    votes = VoteIntake(sessions, limiter, changed=live.notify)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if live_analysis:
            live.start()
        yield
        votes.stop()
        live.stop()

    app = FastAPI(
        title="Concord",
        version="0.1.0",
        description="Inclusive, decentralized collective decisions: spaces, conversations, anonymous voting, "
        "moderation with public reasons, and live opinion-group analysis.",
        lifespan=lifespan,
    )
    app.state.concord = AppState(
        sessions=sessions, live=live, limiter=limiter, votes=votes, secure_cookies=secure_cookies
    )
    _install_error_handlers(app)

    from fastapi.staticfiles import StaticFiles

    from concord.web.api import router as api
    from concord.web.pages import router as pages

    app.include_router(api)
    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


STATIC = Path(__file__).resolve().parent / "static"


def _error(
    request: Request, status: int, code: str, message: str, headers: dict | None = None, reason: str | None = None
):
    """JSON for the API; an HTML page, in the reader's language, for everything else."""
    if request.url.path.startswith("/api/"):
        body = {"code": code, "message": message, "reason": reason or code}
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    from concord.web.rendering import render

    response = render(request, "error.html.j2", status_code=status, status=status, message=message)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError):
        headers = {"Retry-After": str(max(1, round(error.retry_after)))} if isinstance(error, RateLimited) else None
        return _error(request, error.status, error.code, error.message, headers, error.reason)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return _error(request, error.status_code, code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        problems = error.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return _error(request, 400, "bad_json", "the request body is not valid JSON")
        described = []
        for problem in problems[:5]:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path"))
            described.append(f"{where or 'body'}: {problem.get('msg', 'invalid')}")
        return _error(request, 422, "invalid", "; ".join(described))
