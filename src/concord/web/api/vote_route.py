"""The vote route's lean path: ``POST /api/conversations/{id}/votes`` answered below the framework.

Votes are the one request a live conversation receives by the thousand a second, and most of a vote's
CPU went to the framework around it (route matching over every route, dependency solving, validation
of the body through the model, serialising the answer through the response model, five middleware
layers), not to the vote. This ASGI middleware, in front of the app's own, answers the common case
itself: a JSON body of exactly ``{"statement": n, "vote": "agree"|"disagree"|"pass"}`` from a
participant who names themselves in the ``X-Participant-Token`` header and sends no cookie (so there is
no ambient credential and no CSRF token to check), with a declared length and no query. It casts the
vote through the same use case as the route (:func:`concord.service.participation.voting.cast_vote`)
and answers with the same status, body and headers the route gives.

Anything else (another body, a cookie, a form, an oversized or chunked body, a root path) is handed on
untouched, with the body it read, to the app: the documented route in
:mod:`concord.web.api.participation` answers it, with its validation, CSRF rules and errors. That route
is also what /openapi.json documents; both paths answer alike, and the API tests run through both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from concord.service.availability import RETRY_AFTER, UNAVAILABLE
from concord.service.caller import Caller
from concord.service.errors import RateLimited, ServiceError
from concord.service.participation import voting
from concord.service.runtime import Runtime
from concord.service.spaces import MAX_ID
from concord.states import VoteChoice
from concord.web.guards import BODY_LIMIT, SECURITY_HEADERS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The route's path, as FastAPI matches ``/api/conversations/{conversation_id}/votes`` (no NUL: the
# request guards refuse those).
_PATH = re.compile(r"/api/conversations/([^/\x00]+)/votes")
_CHOICES = frozenset(choice.value for choice in VoteChoice)
_SECURITY = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
_JSON = b"application/json"


class VoteRoute:
    """ASGI middleware: the lean path for votes (see the module), everything else to ``app``."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/votes"):
            await self.app(scope, receive, send)
            return
        matched = _PATH.fullmatch(scope["path"])
        token = _lean_caller(scope) if matched is not None else None
        if matched is None or token is None:
            await self.app(scope, receive, send)
            return
        messages, body = await _read(receive)
        ballot = _ballot(body) if body is not None else None
        if ballot is None:  # the route answers it (validation, errors): with the body as it came
            await self.app(scope, _replay(messages, receive), send)
            return
        statement, vote = ballot
        client = scope.get("client")
        caller = Caller(session_token=None, participant_token=token, address=client[0] if client else "local")
        try:
            cast = await voting.cast_vote(self.runtime, caller, matched.group(1), statement, vote)
        except ServiceError as error:
            retry = {"Retry-After": str(max(1, round(error.retry_after)))} if isinstance(error, RateLimited) else {}
            await _error(send, error.status, error.code, error.message, error.reason, retry)
            return
        except UNAVAILABLE as error:
            self.runtime.outages.report(error)
            message = "the database cannot be reached right now; try again in a moment"
            await _error(send, 503, "unavailable", message, None, {"Retry-After": str(RETRY_AFTER)})
            return
        # What the route's response model writes (VoteOut), byte for byte; a token the vote made is not
        # set as a cookie: this caller sends theirs in the header.
        receipt = cast.receipt
        await _respond(
            send,
            201,
            b'{"statement":%d,"vote":%d,"receipt":{"entry":%d,"leaf":"%s"}}'
            % (statement, cast.value, receipt.entry, receipt.leaf.encode()),
        )


def _lean_caller(scope: Scope) -> str | None:
    """The participant token of a request the lean path may answer, else None: a JSON body of a declared
    length within the limit, the token in its header, no cookie, no query, no root path."""
    if scope.get("query_string") or scope.get("root_path"):
        return None
    token = length = content_type = None
    for name, value in scope["headers"]:
        if name == b"x-participant-token":
            if token is not None:
                return None  # more than one of these: the route decides which counts
            token = value
        elif name == b"content-type":
            if content_type is not None:
                return None
            content_type = value
        elif name == b"content-length":
            if length is not None:
                return None
            length = value
        elif name in (b"cookie", b"transfer-encoding"):
            return None
    if not token or content_type != _JSON or length is None or not length.isdigit() or int(length) > BODY_LIMIT:
        return None
    try:
        return token.decode("latin-1")  # as Starlette reads a header
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any bytes
        return None


async def _read(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The request's messages as they came, and its body (None when the client left first)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _ballot(body: bytes) -> tuple[int, str] | None:
    """(statement, vote) when the body is exactly what the route's model takes without a word; else None."""
    try:
        data = json.loads(body)  # what the route reads it with (Starlette's Request.json)
    except ValueError:
        return None
    if type(data) is not dict or len(data) != 2:
        return None
    statement, vote = data.get("statement"), data.get("vote")
    if type(statement) is not int or not 0 <= statement <= MAX_ID or type(vote) is not str or vote not in _CHOICES:
        return None
    return statement, vote


def _replay(messages: list[Message], then: Receive) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else await then()

    return receive


async def _respond(send: Send, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
    """The answer as the app sends it: a JSONResponse's headers (extra ones first), then the security
    headers the request guards add."""
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in (extra or {}).items()]
    headers += [(b"content-length", str(len(body)).encode()), (b"content-type", _JSON), *_SECURITY]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, code: str, message: str, reason: str | None, extra: dict[str, str]) -> None:
    """The app's JSON error (``concord.web.app``'s handlers), written as its JSONResponse writes it."""
    error = {"code": code, "message": message, "reason": reason or code}
    body = json.dumps({"error": error}, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    await _respond(send, status, body.encode("utf-8"), extra)
