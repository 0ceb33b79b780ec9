"""HTTP plumbing shared by every router: problem responses, the unit-of-work route, request context.

* :class:`UnitOfWorkRoute` opens one database transaction per request, hands it to the endpoint as
  the ``DbSession`` dependency and commits *before* the response leaves, so a client never sees a
  success whose data was not stored. Errors roll everything back (unless the error says
  ``keep_changes``, e.g. a counted failed login).
* :class:`RequestContextMiddleware` gives every request an id (``X-Request-ID``), binds it to the
  logs and records Prometheus metrics.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.params import File, Form
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from innkeeper.kit.errors import (
    PROBLEM_CONTENT_TYPE,
    AppError,
    Conflict,
    ServiceUnavailable,
    UnsupportedMediaType,
    status_title,
)
from innkeeper.kit.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def problem_response(request: Request | None, exc: AppError) -> JSONResponse:
    instance = request.url.path if request is not None else None
    body = exc.to_problem(instance)
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=exc.status, headers=exc.headers, media_type=PROBLEM_CONTENT_TYPE)


def _field_errors(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid"),
                    "type": err.get("type", "value_error")})
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(
                request, AppError("The request body is not valid JSON", code="request.malformed_json", status=400)
            )
        if any(e.get("type") == "model_attributes_type" and tuple(e.get("loc", ()))[:1] == ("body",)
               for e in errors) and request.headers.get("content-type", "").split(";")[0].strip() not in (
            "application/json", ""
        ):
            return problem_response(request, UnsupportedMediaType("Send the body as application/json"))
        return problem_response(
            request,
            AppError("The request has invalid fields", code="request.validation", status=422,
                     errors=_field_errors(errors)),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "request.method_not_allowed", 413: "request.too_large",
                400: "request.bad"}.get(exc.status_code, f"http.{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else status_title(exc.status_code)
        error = AppError(detail, code=code, status=exc.status_code, headers=dict(exc.headers or {}))
        error.title = status_title(exc.status_code)
        return problem_response(request, error)

    @app.exception_handler(ResponseValidationError)
    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        log.error("request.unhandled_error", path=request.url.path, exc_info=exc)
        error = AppError("An unexpected error occurred; quote the request id when reporting it.",
                         code="internal", status=500)
        error.title = "Internal server error"
        return problem_response(request, error)


def _translate_db_error(exc: DBAPIError) -> AppError:
    if isinstance(exc, IntegrityError):
        return Conflict("The change conflicts with existing data", code="conflict.integrity")
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, OperationalError) and "locked" in text:
        return ServiceUnavailable("The database is busy; retry shortly", headers={"Retry-After": "1"})
    if "deadlock" in text or "could not serialize" in text:
        return ServiceUnavailable("Concurrent update; retry", code="service.retry", headers={"Retry-After": "1"})
    raise exc


class UnitOfWorkRoute(APIRoute):
    """Every endpoint runs inside one transaction that commits before the response is sent."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        json_body = bool(body_field) and not isinstance(getattr(body_field, "field_info", None), (Form, File))

        async def run(request: Request) -> Response:
            if json_body and request.method not in SAFE_METHODS:
                content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and not (content_type == "application/json" or content_type.endswith("+json")):
                    raise UnsupportedMediaType("Send the body as application/json")
            db = request.app.state.db
            try:
                async with db.unit_of_work(write=request.method not in SAFE_METHODS) as session:
                    request.state.db_session = session
                    try:
                        return await handler(request)
                    except AppError as exc:
                        if not exc.keep_changes:
                            raise
                        return problem_response(request, exc)  # commit the counted attempt, then answer
            except DBAPIError as exc:
                raise _translate_db_error(exc) from exc

        return run


def _db_session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.db_session
    return session


DbSession = Annotated[AsyncSession, Depends(_db_session)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class RequestContextMiddleware:
    """Request id, log context and metrics, as plain ASGI (no per-request task overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], path).observe(elapsed)
            if status >= 500:
                log.warning("request.failed", method=scope["method"], path=path, status=status)
