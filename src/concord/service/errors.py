"""What can go wrong in a use case, as exceptions the web layer turns into 4xx responses.

Each carries a stable ``code`` for clients and a ``message`` written for people.
"""

from __future__ import annotations


class ServiceError(Exception):
    """``reason`` names the precise case (e.g. "invitation_used") so that pages can show a message in
    the reader's language; it defaults to the general ``code``."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.code


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

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, "rate_limited")
        self.retry_after = retry_after
