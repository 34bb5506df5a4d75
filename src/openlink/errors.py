"""The exception tree. Every refusal is an :class:`OpenLinkError` with a stable code.

Transports map them at the edge: HTTP to ``{"error": {"code", "message"}}`` with the
status below, WebSocket to an ``error`` frame with the same code.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OpenLinkError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(OpenLinkError):
    status = 422
    code = "invalid_input"


class Unauthenticated(OpenLinkError):
    status = 401
    code = "unauthenticated"


class Forbidden(OpenLinkError):
    status = 403
    code = "not_permitted"


class NotFound(OpenLinkError):
    status = 404
    code = "not_found"


class Conflict(OpenLinkError):
    status = 409
    code = "conflict"


class AlreadyExists(Conflict):
    """The store refused a row that a unique key says exists already (often a race with
    another writer). Use cases turn it into their own refusal, or retry."""

    code = "already_exists"


class PayloadTooLarge(OpenLinkError):
    status = 413
    code = "too_large"


class RangeNotSatisfiable(OpenLinkError):
    """A byte range that starts past the end; HTTP also sends ``Content-Range: bytes
    */size``."""

    status = 416
    code = "range_not_satisfiable"

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message, size=size)
        self.size = size


class Gone(OpenLinkError):
    status = 410
    code = "gone"


class RateLimited(OpenLinkError):
    """Too much, too fast. ``retry_after_s`` says when the same request will be accepted;
    HTTP also sends it as ``Retry-After`` (whole seconds, rounded up)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: float, code: str | None = None) -> None:
        super().__init__(message, code=code, retry_after_s=round(max(retry_after_s, 0.0), 3))
        self.retry_after_s = max(retry_after_s, 0.0)


class UpstreamFailed(OpenLinkError):
    """A backend the server depends on (a translation engine) failed this request. The
    request itself was fine; trying again later may work."""

    status = 502
    code = "upstream_failed"


class StorageFailed(OpenLinkError):
    """The database could not make a change durable (the disk refused to sync). The
    server refuses writes until it is restarted; a retry elsewhere, or later, may work."""

    status = 503
    code = "storage_failed"
