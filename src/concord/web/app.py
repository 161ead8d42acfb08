"""The web application: the JSON API (described at /openapi.json; there is no /docs page, see
``create_app``) and the participant and moderator pages, one FastAPI app over one running service
(:class:`concord.service.runtime.Runtime`)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from concord.service.availability import RETRY_AFTER, UNAVAILABLE
from concord.service.errors import RateLimited, ServiceError
from concord.service.startup import open_runtime, start
from concord.sms.kannel import PATH as KANNEL_PATH
from concord.web.assets import Assets
from concord.web.guards import Refused, RequestGuards, Scope

SERVE_SETTINGS = "CONCORD_SERVE_SETTINGS"  # JSON: what `concord serve --workers N` hands each worker


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``concord serve --workers N``: uvicorn starts each worker by
    importing this factory by name, so the settings travel in the environment."""
    import gc
    import json
    import os

    settings = json.loads(os.environ[SERVE_SETTINGS])
    app = create_app(settings["database"], secure_cookies=settings["secure_cookies"], analysis_process=True)
    gc.collect()
    gc.freeze()  # as `concord serve` does for one process
    return app


def create_app(
    database: str | Engine | None = None,
    *,
    live_analysis: bool = True,
    analysis_process: bool = False,
    rate_limits: bool = True,
    debounce: float = 1.0,
    secure_cookies: bool = False,
) -> FastAPI:
    """``live_analysis``: re-analyse conversations in the background as votes arrive (tests turn it
    off and call ``analyse_now``); ``analysis_process``: in a process of its own, as ``concord serve``
    runs it; ``secure_cookies``: when served over HTTPS."""
    runtime = open_runtime(database, analysis_process=analysis_process, rate_limits=rate_limits, debounce=debounce)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if live_analysis:
            start(runtime)
        yield
        runtime.stop()

    app = FastAPI(
        title="Concord",
        version="0.1.0",
        description="Inclusive, decentralized collective decisions: spaces, conversations, anonymous voting, "
        "moderation with public reasons, and live opinion-group analysis.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: the spec is at /openapi.json
        redoc_url=None,
    )
    app.state.concord = runtime
    app.state.secure_cookies = secure_cookies
    _install_error_handlers(app)
    # Kannel hands a UCS-2 text over as URL-encoded UTF-16BE, where every space is 00 20: its route
    # decodes the text itself and drops control characters.
    app.add_middleware(RequestGuards, refuse=_refusal, binary_queries=frozenset({KANNEL_PATH}))

    from concord.web.api import RESOURCES
    from concord.web.pages import PARTS

    for module in (*RESOURCES, *PARTS):  # each on the app itself: one level of routing per request
        app.include_router(module.router)
    from concord.sms.routes import sms_router
    from concord.web.i18n import translations

    app.include_router(sms_router(translations))  # SMS gateways' callbacks (Kannel), worded in the phone's language
    assets = Assets()
    app.state.assets = assets
    app.mount("/static", assets, name="static")
    app.add_api_route("/favicon.ico", lambda: assets.response("favicon.svg"), include_in_schema=False)
    # Pages are text: compressed, the results page goes from 29 KB to about 6 (slow networks).
    app.add_middleware(GZipMiddleware, minimum_size=500)
    # Votes, the hot path, are answered in front of all that (the documented route takes the rest).
    from concord.web.api.vote_route import VoteRoute

    app.add_middleware(VoteRoute, runtime=runtime)
    return app


def _error(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: dict | None = None,
    reason: str | None = None,
    error: ServiceError | None = None,
) -> Response:
    """JSON for the API (the message in English, ``reason`` for programs); an HTML page in the reader's
    language for everything else: a use case's refusal translated, any other error explained by its
    status."""
    if request.url.path.startswith("/api/"):
        body = {"code": code, "message": message, "reason": reason or code}
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    from concord.web.rendering import message_of, page_language, render

    explained = message_of(error, page_language(request)) if error is not None else None
    response = render(request, "error.html.j2", status_code=status, status=status, message=explained)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def _refusal(scope: Scope, refused: Refused) -> Response:
    return _error(Request(scope), refused.status, refused.code, refused.message)


def _too_many_digits(error: StarletteHTTPException) -> bool:
    """FastAPI's 400 for a JSON body holding an integer longer than Python reads (its ValueError, not a
    JSONDecodeError: the JSON itself is well formed)."""
    cause = error.__cause__
    return error.status_code == 400 and isinstance(cause, ValueError) and "integer string conversion" in str(cause)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> Response:
        headers = {"Retry-After": str(max(1, round(error.retry_after)))} if isinstance(error, RateLimited) else None
        return _error(request, error.status, error.code, error.message, headers, error.reason, error)

    async def database_unavailable(request: Request, error: Exception) -> Response:
        request.app.state.concord.outages.report(error)
        message = "the database cannot be reached right now; try again in a moment"
        return _error(request, 503, "unavailable", message, {"Retry-After": str(RETRY_AFTER)})

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _too_many_digits(error):
            message = f"a number in the request body has more than {sys.get_int_max_str_digits():,} digits"
            return _error(request, 422, "invalid", message, reason="too_many_digits")
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return _error(request, error.status_code, code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        problems = error.errors()
        if any(problem.get("type") == "json_invalid" for problem in problems):
            return _error(request, 400, "bad_json", "the request body is not valid JSON")
        described = []
        for problem in problems[:5]:
            where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path"))
            described.append(f"{where or 'body'}: {problem.get('msg', 'invalid')}")
        return _error(request, 422, "invalid", "; ".join(described))
