"""What can go wrong in a use case, as exceptions the web layer turns into 4xx responses.

Each carries a stable ``code`` for clients, a ``reason`` naming the precise case, and a message written
for people: an English template (``%(name)s`` placeholders, filled from ``params``) that is also the
message's id in the interface catalogues, so pages show it in the reader's language (the catalogues
extract it from these calls). A ``Label`` among the params is interface text too and is translated
with it; ``field`` names the form field at fault, for the form to show the message beside it.
"""

from __future__ import annotations

from typing import Any


class Label(str):
    """A piece of interface text used inside a message (e.g. "a topic"), translated with it."""


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, reason: str | None = None, *, field: str | None = None, **params: Any) -> None:
        self.template = message
        self.params = params
        self.message = message % params if params else message
        super().__init__(self.message)
        self.reason = reason or self.code
        self.field = field


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float, **params: Any) -> None:
        super().__init__(message, "rate_limited", **params)
        self.retry_after = retry_after
