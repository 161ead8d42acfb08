"""Per-request plumbing shared by the JSON API and the HTML pages: the running service, who is asking
(moderator session cookie, participant token), cookies, and CSRF protection.

CSRF, on top of SameSite cookies: a state-changing request that carries a moderator's session cookie
or a participant's cookie must repeat a token *derived from that credential* (a hash of it) in the
``X-CSRF-Token`` header (scripts) or the ``csrf_token`` form field (plain HTML forms). A page knows it
because the server renders it; another site cannot, even if it plants cookies, since it cannot read
the HttpOnly credential. Page forms sent without any credential (logging in, a newcomer's first vote)
repeat the random ``concord_csrf`` cookie instead (double submit). API requests without a cookie (the
``X-Participant-Token`` header) carry no ambient credential and need none.

Whatever the body: JSON, text/plain, none at all or a multipart form (which another site's
``<form enctype="multipart/form-data">`` or ``curl -F`` sends) carries its token, or is refused. One
exception, declared on the route (:func:`form_upload`): an upload form, whose sender is authorised
before a byte of the upload is read, reads its token from the form only then (:func:`upload_form`);
until it has checked it, :func:`runtime` refuses to serve that request, so that such a route cannot act
on an unchecked request. Any other multipart form is small (the request guards bound its body) and
is read for its ``csrf_token`` field.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from concord.service.caller import Caller
from concord.service.errors import Forbidden
from concord.service.runtime import Runtime
from concord.web.guards import BODY_LIMIT

SESSION_COOKIE = "concord_session"
PARTICIPANT_COOKIE = "concord_participant"
CSRF_COOKIE = "concord_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
PARTICIPANT_HEADER = "x-participant-token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
YEAR = 365 * 24 * 3600
CSRF_REFUSAL = "missing or wrong CSRF token: reload the page and try again"
_UNCHECKED = "concord_csrf_unchecked"  # request.state: an upload form whose token is still to be checked

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_FORM_UPLOADS: set[Callable[..., Any]] = set()


def runtime(request: Request) -> Runtime:
    """The running service this app serves; refused to an upload form whose CSRF token its route has
    not checked yet (:func:`upload_form` checks it)."""
    if getattr(request.state, _UNCHECKED, False):
        raise Forbidden(CSRF_REFUSAL)
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


def form_upload(endpoint: Endpoint) -> Endpoint:
    """Declare a route an upload form (under its ``@router.post``): a multipart request to it may come
    without the X-CSRF-Token header, its token inside the form, which the route reads only once the
    sender is authorised, through :func:`upload_form`. Every upload route takes its limit from
    :data:`concord.web.guards.UPLOAD_ROUTES` too."""
    _FORM_UPLOADS.add(endpoint)
    return endpoint


def is_form_upload(endpoint: object) -> bool:
    return endpoint in _FORM_UPLOADS


async def csrf_protect(request: Request) -> None:
    """Dependency of every route: state-changing requests carry the token of their credential."""
    if request.method not in UNSAFE_METHODS:
        return
    content_type = request.headers.get("content-type", "")
    given: object = request.headers.get(CSRF_HEADER)
    multipart = content_type.startswith("multipart/form-data")
    if given is None and multipart and is_form_upload(request.scope.get("endpoint")):
        if expected_csrf(request) is not None:
            setattr(request.state, _UNCHECKED, True)  # until upload_form checks the form's token
        return
    if given is None and content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        given = await _form_field(request)
    check_csrf(request, given)


async def _form_field(request: Request) -> object:
    """The ``csrf_token`` field of a form sent to a route that is no declared upload form. Its body is
    small: the request guards refuse a larger one, but on the routes that take a raw upload as their
    body, whose token must then come in the X-CSRF-Token header (nothing that large is read here)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        return None
    with contextlib.suppress(RuntimeError):  # already read: the route takes a form, which FastAPI parsed
        await request.body()  # kept, for a route that reads its body itself
    return (await request.form()).get(CSRF_FIELD)


async def upload_form(
    request: Request, authorise: Callable[[Runtime, Caller], object], *, max_files: int, max_fields: int
) -> FormData:
    """The form of an upload route (:func:`form_upload`): ``authorise(runtime, caller)`` first, before
    a byte of the upload is read (it raises to refuse), then the form, its CSRF token checked (in the
    X-CSRF-Token header or the form's ``csrf_token`` field) before the route may act."""
    await run_in_threadpool(authorise, request.app.state.concord, caller(request))
    form = await request.form(max_files=max_files, max_fields=max_fields)
    check_csrf(request, request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD))
    return form


def check_csrf(request: Request, given: object) -> None:
    expected = expected_csrf(request)
    if expected is not None and not (
        given and hmac.compare_digest(expected.encode(), unmasked_csrf(str(given)).encode())
    ):
        raise Forbidden(CSRF_REFUSAL)
    setattr(request.state, _UNCHECKED, False)


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
