"""Moderators log in and out; the session is an HttpOnly, SameSite cookie."""

from __future__ import annotations

from fastapi import Request, Response

from concord.service.accounts import moderators as accounts
from concord.web import schemas
from concord.web.api.routing import api_router
from concord.web.context import SESSION_COOKIE, bound_csrf, caller, csrf_token, runtime, set_cookie

router = api_router("accounts")


@router.post("/session", response_model=schemas.LoginOut)
async def log_in(body: schemas.LoginIn, request: Request, response: Response) -> dict:
    """Log in as a moderator: sets an HttpOnly, SameSite session cookie; the answer's csrf_token is
    what state-changing requests with that cookie must repeat. After failed attempts, the next ones
    wait longer before they are checked (from this address, and on this account)."""
    login = await accounts.start_session(runtime(request), caller(request), body.username, body.password)
    set_cookie(request, response, SESSION_COOKIE, login.token, max_age=accounts.SESSION_LIFETIME_MS // 1000)
    return _session_out(login.user, bound_csrf("session", login.token))


@router.get("/session", response_model=schemas.LoginOut)
def who_am_i(request: Request) -> dict:
    return _session_out(accounts.whoami(runtime(request), caller(request)), csrf_token(request))


@router.delete("/session", status_code=204)
def log_out(request: Request, response: Response) -> None:
    accounts.end_session(runtime(request), caller(request))
    response.delete_cookie(SESSION_COOKIE, path="/")


def _session_out(user: accounts.UserRecord, csrf: str) -> dict:
    return {"username": user.username, "is_admin": user.is_admin, "csrf_token": csrf}
