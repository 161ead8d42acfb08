"""What every request passes before any route sees it, so that one anonymous request cannot harm the
others: a body larger than its route allows is refused with 413 before it is read (its declared
length is checked first; a body without one is counted as it arrives), a NUL character in the path or
the query is refused with 422 (no database can store it, PostgreSQL fails on it; a route whose query
carries encoded binary, named by the app, decodes it and drops control characters itself), and every
response, whatever produced it, carries the security headers.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote_to_bytes

from concord.service.budgets.files import MAX_PB_BYTES
from concord.service.conversations.exchange import MAX_UPLOAD_BYTES
from concord.service.translations.files import MAX_PO_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_LIMIT = 64 * 1024  # every form and JSON body: the longest text Concord takes is 10,000 characters
UPLOAD_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024  # a Pol.is export on the import routes (with its form), declared
# Routes that take more than a form, with what they take (declared up front).
UPLOAD_ROUTES = [
    (re.compile(r"^(/api)?/spaces/[^/]+/imports$"), UPLOAD_LIMIT),
    (re.compile(r"^/api/conversations/[^/]+/translations/[^/]+/po$"), MAX_PO_BYTES),
    (re.compile(r"^(/api)?/spaces/[^/]+/budget-imports$"), MAX_PB_BYTES + 64 * 1024),  # the API's, the form's
    (re.compile(r"^/c/[^/]+/translations/po$"), MAX_PO_BYTES + 64 * 1024),  # the page's upload form
]
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class RequestGuards:
    """ASGI middleware; ``refuse(scope, status, code, message)`` renders a refusal the way the app
    renders its errors (JSON under /api/, a page in the reader's language elsewhere)."""

    def __init__(
        self,
        app: ASGIApp,
        refuse: Callable[[Scope, Refused], Awaitable[Any]],
        binary_queries: frozenset[str] = frozenset(),
    ) -> None:
        """``binary_queries``: the paths whose query string carries encoded binary, NULs included."""
        self.app = app
        self.refuse = refuse
        self.binary_queries = binary_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        try:
            _check_address(scope, scope["path"] in self.binary_queries)
            receive = await _bounded(scope, receive)
        except Refused as refused:
            response = await self.refuse(scope, refused)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _check_address(scope: Scope, binary_query: bool) -> None:
    query = b"" if binary_query else scope.get("query_string", b"")
    if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(query):
        raise Refused(422, "invalid", "the address contains a NUL character")


async def _bounded(scope: Scope, receive: Receive) -> Receive:
    """Refuse a body over the route's limit: by its declared length before reading any of it, or, for a
    body sent without one, once more than the (small) default limit has arrived."""
    headers = dict(scope["headers"])
    declared = headers.get(b"content-length")
    if declared is not None:
        limit = next((most for route, most in UPLOAD_ROUTES if route.match(scope["path"])), BODY_LIMIT)
        if not declared.isdigit():
            raise Refused(400, "bad_request", "the Content-Length header is not a number")
        if int(declared) > limit:
            raise Refused(413, "too_large", f"the request body is larger than {_size(limit)}")
        return receive
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return receive
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return _replay([message], receive)
        chunks.append(message)
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
        if size > BODY_LIMIT:
            raise Refused(413, "too_large", f"the request body is larger than {_size(BODY_LIMIT)}")
    return _replay(chunks, receive)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """The messages already read, then the rest of the connection's (its disconnect)."""
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else await then()

    return receive


def _with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            missing = [(name, value) for name, value in SECURITY_HEADERS.items() if name.encode() not in present]
            message["headers"] = [*message.get("headers", []), *((n.encode(), v.encode()) for n, v in missing)]
        await send(message)

    return sending


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 1024} KB"
