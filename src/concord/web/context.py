"""Per-request plumbing shared by the JSON API and the HTML pages: the running service, who is asking
(moderator session cookie, participant token), cookies, and CSRF protection.

CSRF, on top of SameSite cookies: a state-changing request that carries a moderator's session cookie
or a participant's cookie must repeat a token *derived from that credential* (a hash of it) in the
``X-CSRF-Token`` header (scripts) or the ``csrf_token`` form field (plain HTML forms). A page knows it
because the server renders it; another site cannot, even if it plants cookies, since it cannot read
the HttpOnly credential. Page forms sent without any credential (logging in, a newcomer's first vote)
repeat the random ``concord_csrf`` cookie instead (double submit). API requests without a cookie (the
``X-Participant-Token`` header) carry no ambient credential and need none. Upload forms are checked by
their route, after authorisation, so that no upload is read before its sender is known.
"""

from __future__ import annotations

import base64
import hashlib
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
    sends it as a header (API clients) or the cookie holds it already; the answer's X-CSRF-Token
    header then carries the token its requests must repeat from now on."""
    if PARTICIPANT_HEADER not in request.headers and request.cookies.get(PARTICIPANT_COOKIE) != token:
        set_cookie(request, response, PARTICIPANT_COOKIE, token)
        response.headers[CSRF_HEADER] = bound_csrf("participant", token)  # scripts switch to it


def bound_csrf(kind: str, credential: str) -> str:
    """The CSRF token of a credential ("session" or "participant"): it proves the sender could read
    the page, which only the credential's holder can."""
    digest = hashlib.sha256(f"concord-csrf\0{kind}\0{credential}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def csrf_token(request: Request) -> str:
    """The token this browser's next form or script request must carry."""
    if session := request.cookies.get(SESSION_COOKIE):
        return bound_csrf("session", session)
    if participant := request.cookies.get(PARTICIPANT_COOKIE):
        return bound_csrf("participant", participant)
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


async def csrf_protect(request: Request) -> None:
    """Dependency of every route: state-changing requests carry the token of their credential."""
    if request.method not in UNSAFE_METHODS:
        return
    content_type = request.headers.get("content-type", "")
    given: object = request.headers.get(CSRF_HEADER)
    if given is None and content_type.startswith("multipart/form-data"):
        return  # an upload: its route checks the form's token once the sender is authorised (check_csrf)
    if given is None and content_type.startswith("application/x-www-form-urlencoded"):
        given = (await request.form()).get(CSRF_FIELD)
    check_csrf(request, given)


def check_csrf(request: Request, given: object) -> None:
    expected = expected_csrf(request)
    if expected is not None and not (given and hmac.compare_digest(expected, unmasked_csrf(str(given)))):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")


MASK_PREFIX = "m."


def masked_csrf(token: str) -> str:
    """The token as a page carries it: XORed with fresh random bytes, so that it differs in every
    compressed response and cannot be guessed byte by byte from their sizes (BREACH)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return MASK_PREFIX + base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(raw, pad))).decode()


def unmasked_csrf(given: str) -> str:
    if not given.startswith(MASK_PREFIX):
        return given  # as an API answer gives it
    try:
        data = base64.urlsafe_b64decode(given[len(MASK_PREFIX) :].encode())
    except ValueError:
        return ""
    half = len(data) // 2
    return bytes(a ^ b for a, b in zip(data[half:], data[:half])).decode(errors="replace")


def expected_csrf(request: Request) -> str | None:
    """None when the request carries no ambient credential and is no page form (nothing to forge)."""
    cookie_authenticated = SESSION_COOKIE in request.cookies or (
        PARTICIPANT_COOKIE in request.cookies and PARTICIPANT_HEADER not in request.headers
    )
    if cookie_authenticated:
        return csrf_token(request)
    if request.url.path.startswith("/api/"):
        return None
    return request.cookies.get(CSRF_COOKIE, "\0 no cookie")  # a page form: double submit


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
    """Set the double-submit cookie when this request made its token (forms carry it rendered)."""
    new = getattr(request.state, "new_csrf", None)
    if new and not request.cookies.get(CSRF_COOKIE):
        set_cookie(request, response, CSRF_COOKIE, new)
