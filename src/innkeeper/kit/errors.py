"""One error hierarchy, rendered as RFC 9457 ``application/problem+json``.

Every domain error subclasses :class:`AppError` with a stable ``code`` (``identity.email_taken``)
and an HTTP status. Clients match on ``code``; ``title`` and ``detail`` are for people.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


class AppError(Exception):
    status: int = 400
    code: str = "request.invalid"
    title: str = "Bad request"
    #: Keep the unit of work's changes although the request fails (for example a counted failed
    #: attempt). Off by default: a failed request changes nothing.
    keep_changes: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        self.detail = detail or self.title
        if code:
            self.code = code
        if status:
            self.status = status
        self.headers = headers or {}
        self.errors = errors
        self.extra = extra
        super().__init__(self.detail)

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://innkeeper.dev/problems/{self.code.replace('.', '/')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadRequest(AppError):
    status = 400
    code = "request.bad"
    title = "Bad request"


class ValidationFailed(AppError):
    status = 422
    code = "request.validation"
    title = "Validation failed"


class Unauthorized(AppError):
    status = 401
    code = "auth.unauthorized"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(AppError):
    status = 403
    code = "auth.forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(AppError):
    status = 413
    code = "request.too_large"
    title = "Request body too large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "request.unsupported_media_type"
    title = "Unsupported media type"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kw: Any) -> None:
        retry_after = max(1, int(retry_after))
        kw.setdefault("headers", {})["Retry-After"] = str(retry_after)
        super().__init__(detail, retry_after=retry_after, **kw)


class ServiceUnavailable(AppError):
    status = 503
    code = "service.unavailable"
    title = "Service unavailable"


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
