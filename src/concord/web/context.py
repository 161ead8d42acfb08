"""Per-request plumbing shared by the JSON API and the HTML pages: the running service, who is asking
(moderator session cookie, participant token), cookies, and CSRF protection.

CSRF: every browser gets a random ``concord_csrf`` cookie. A state-changing request that carries a
session or participant cookie must repeat that value in the ``X-CSRF-Token`` header (scripts) or a
``csrf_token`` form field (plain HTML forms) — the double-submit pattern, on top of SameSite cookies.
Requests authenticated by the ``X-Participant-Token`` header carry no ambient credential and need none.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from concord.service.caller import Caller
from concord.service.errors import Forbidden
from concord.service.runtime import Runtime

SESSION_COOKIE = "concord_session"
PARTICIPANT_COOKIE = "concord_participant"
CSRF_COOKIE = "concord_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
PARTICIPANT_HEADER = "x-participant-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
YEAR = 365 * 24 * 3600


def runtime(request: Request) -> Runtime:
    """The running service this app serves."""
    return request.app.state.concord


def caller(request: Request) -> Caller:
    """Who makes this request: the moderator's session cookie, the participant's token (the header,
    which API clients send, wins over the cookie) and the address (for the limit on new participants)."""
    return Caller(
        session_token=request.cookies.get(SESSION_COOKIE),
        participant_token=request.headers.get(PARTICIPANT_HEADER) or request.cookies.get(PARTICIPANT_COOKIE),
        address=request.client.host if request.client else "local",
    )


def keep_participant_token(request: Request, response: Response, token: str) -> None:
    """After a join, have the browser keep the participant's token in a cookie, unless the client
    sends it as a header (API clients) or the cookie holds it already; and give it a CSRF token, which
    its cookie-authenticated requests must repeat from now on."""
    if PARTICIPANT_HEADER not in request.headers and request.cookies.get(PARTICIPANT_COOKIE) != token:
        set_cookie(request, response, PARTICIPANT_COOKIE, token)
    csrf_token(request)
    remember_csrf(request, response)


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one if it has none yet; ``remember_csrf`` stores it)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


async def csrf_protect(request: Request) -> None:
    """Dependency for every state-changing route."""
    if request.method not in UNSAFE_METHODS:
        return
    cookie_authenticated = SESSION_COOKIE in request.cookies or (
        PARTICIPANT_COOKIE in request.cookies and PARTICIPANT_HEADER not in request.headers
    )
    if not cookie_authenticated:
        return
    expected = request.cookies.get(CSRF_COOKIE, "")
    given: object = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        given = (await request.form()).get(CSRF_FIELD)
    if not expected or not given or not hmac.compare_digest(expected, str(given)):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, http_only: bool = True, max_age: int | None = YEAR
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=http_only,
        samesite="lax",
        secure=request.app.state.secure_cookies,
        path="/",
    )


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request created the token (scripts read it: not HttpOnly)."""
    new = getattr(request.state, "new_csrf", None)
    if new and not request.cookies.get(CSRF_COOKIE):
        set_cookie(request, response, CSRF_COOKIE, new, http_only=False)
