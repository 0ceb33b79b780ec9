"""HTTP plumbing shared by every router: problem responses, the unit-of-work route, request context.

* :class:`UnitOfWorkRoute` opens one database transaction per request, hands it to the endpoint as
  the ``DbSession`` dependency and commits *before* the response leaves, so a client never sees a
  success whose data was not stored. Errors roll everything back (unless the error says
  ``keep_changes``, e.g. a counted failed login).
* :class:`RequestContextMiddleware` gives every request an id (``X-Request-ID``), binds it to the
  logs, writes the access line, records Prometheus metrics, and refuses before any route a body over
  the limit, a malformed ``Content-Length`` and NUL characters in any text input (``kit.text_input``).
* :func:`install_middleware` puts it between the security headers (``kit.security_headers``), the
  client address from trusted proxies only, the Host check and CORS.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import jwt
import orjson
import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.params import File, Form
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from innkeeper.kit import idempotency, outage
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import (
    PROBLEM_CONTENT_TYPE,
    AppError,
    BadRequest,
    Conflict,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
    status_title,
)
from innkeeper.kit.metrics import BOOKING_CONFLICTS, HTTP_LATENCY, HTTP_REQUESTS
from innkeeper.kit.security import decode_access_token, hash_token
from innkeeper.kit.security_headers import SecurityHeaders, SecurityHeadersMiddleware
from innkeeper.kit.text_input import nul_field_in_form, nul_field_in_headers, nul_field_in_json, nul_refusal

log = structlog.get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def fast_json(content: Any, status_code: int = 200) -> Response:
    """A JSON response encoded by orjson, for hot endpoints returning plain JSON types (dicts, lists,
    strings, numbers; also UUIDs and datetimes): no ``jsonable_encoder`` walk over every value."""
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def problem_response(request: Request | None, exc: AppError) -> JSONResponse:
    instance = request.url.path if request is not None else None
    body = exc.to_problem(instance)
    if exc.status == 409:  # every 409 passes here: the conflicts metric counts them by code
        BOOKING_CONFLICTS.labels(exc.code).inc()
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=exc.status, headers=exc.headers, media_type=PROBLEM_CONTENT_TYPE)


def field_errors(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        out.append(
            {
                "field": ".".join(loc) or "body",
                "message": err.get("msg", "invalid"),
                "type": err.get("type", "value_error"),
            }
        )
    return out


def install_error_handlers(app: FastAPI, *, redis: bool) -> None:
    # 503, not 500, for pool and (when configured) Redis outages
    outage.install_outage_handlers(app, problem_response, redis=redis)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return problem_response(
                request, BadRequest("The request body is not valid JSON", code="request.malformed_json")
            )
        if any(
            e.get("type") == "model_attributes_type" and tuple(e.get("loc", ()))[:1] == ("body",)
            for e in errors
        ) and request.headers.get("content-type", "").split(";")[0].strip() not in ("application/json", ""):
            return problem_response(request, UnsupportedMediaType("Send the body as application/json"))
        return problem_response(
            request, ValidationFailed("The request has invalid fields", errors=field_errors(errors))
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {
            404: "not_found",
            405: "request.method_not_allowed",
            413: "request.too_large",
            400: "request.bad",
        }.get(exc.status_code, f"http.{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else status_title(exc.status_code)
        error = AppError(detail, code=code, status=exc.status_code, headers=dict(exc.headers or {}))
        error.title = status_title(exc.status_code)
        return problem_response(request, error)

    @app.exception_handler(ResponseValidationError)
    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        log.error("request.unhandled_error", route=route_template(request.scope), exc_info=exc)
        error = AppError(
            "An unexpected error occurred; quote the request id when reporting it.",
            code="internal",
            status=500,
        )
        error.title = "Internal server error"
        # this handler runs outside every middleware (Starlette's ServerErrorMiddleware calls it)
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            error.headers["X-Request-ID"] = request_id
        security: SecurityHeaders | None = getattr(request.app.state, "security_headers", None)
        if security is not None:
            error.headers.update(security.for_json())
        return problem_response(request, error)


def _translate_db_error(exc: DBAPIError) -> AppError:
    if isinstance(exc, IntegrityError):
        return Conflict("The change conflicts with existing data", code="conflict.integrity")
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, OperationalError) and "locked" in text:
        return ServiceUnavailable("The database is busy; retry shortly", headers={"Retry-After": "1"})
    if "deadlock" in text or "could not serialize" in text:
        return ServiceUnavailable(
            "Concurrent update; retry", code="service.retry", headers={"Retry-After": "1"}
        )
    raise exc


def caller_scope(request: Request) -> str:
    """Who is calling, for scoping idempotency keys and budgets: ``user:<id>`` for a valid bearer
    token (``invalid`` for another one); without one, ``guest:<sha256>`` for the holder of a booking's
    guest token (``X-Guest-Token`` or ``?guest_token=``), else ``ip:<client address>``, so two
    anonymous callers never share a key."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        try:
            claims = decode_access_token(
                request.app.state.ctx.settings.secret_key, header[7:].strip(), now=utcnow()
            )
            return f"user:{claims['sub']}"
        except (jwt.InvalidTokenError, KeyError):
            return "invalid"
    guest_token = request.headers.get("x-guest-token") or request.query_params.get("guest_token")
    if guest_token:
        return f"guest:{hash_token(guest_token)}"
    address = client_ip(request)
    # the scope column holds 80 characters: an address is at most 45, an odd peer name may be longer
    return f"ip:{address}" if len(address) <= 64 else f"ip:{hashlib.sha256(address.encode()).hexdigest()}"


class UnitOfWorkRoute(APIRoute):
    """Every endpoint runs inside one transaction that commits before the response is sent."""

    #: safe methods (GET, HEAD) read with one snapshot per statement and no transaction (see
    #: :meth:`Database.unit_of_work`): only for endpoints that never write, like the public catalog
    statement_reads: bool = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        body_field = self.body_field
        json_body = bool(body_field) and not isinstance(getattr(body_field, "field_info", None), (Form, File))
        idempotent = idempotency.is_idempotent_route(self.dependencies)

        async def run(request: Request) -> Response:
            if json_body and request.method not in SAFE_METHODS:
                content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and not (
                    content_type == "application/json" or content_type.endswith("+json")
                ):
                    raise UnsupportedMediaType("Send the body as application/json")
            db = request.app.state.db
            claim = None
            if idempotent and (key := idempotency.read_key(request)) is not None:
                claim = await idempotency.claim(
                    db,
                    scope=caller_scope(request),
                    key=key,
                    fingerprint_=idempotency.fingerprint(
                        request.method, f"{request.url.path}?{request.url.query}", await request.body()
                    ),
                )
                if claim.replay is not None:
                    return claim.replay
            try:
                safe = request.method in SAFE_METHODS
                async with db.unit_of_work(
                    write=not safe, statement_reads=safe and self.statement_reads
                ) as session:
                    request.state.db_session = session
                    try:
                        response = await handler(request)
                    except AppError as exc:
                        if not exc.keep_changes:
                            raise
                        response = problem_response(request, exc)  # commit the counted attempt, then answer
                    if claim is not None and response.status_code < 400:
                        await idempotency.complete(session, claim.record_id, response)
            except BaseException as exc:
                if claim is not None:  # nothing was committed: the client may retry with the key
                    await idempotency.release(db, claim.record_id)
                if isinstance(exc, DBAPIError):
                    raise _translate_db_error(exc) from exc
                raise
            if claim is not None and response.status_code >= 400:
                await idempotency.release(db, claim.record_id)
            return response

        return run


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def`` dependency in
# a worker thread, a hop that cost ~0.1 ms each, several times per request.
async def _db_session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.db_session
    return session


DbSession = Annotated[AsyncSession, Depends(_db_session)]


def client_ip(request: Request) -> str:
    """The client's address, for per-IP limits, login throttles and audit rows: the connection's peer,
    unless the peer is a trusted proxy. ``ProxyHeadersMiddleware`` (:func:`install_middleware`) then
    has already put the forwarded client in its place: ``X-Forwarded-For`` read from the right,
    trusted hops skipped, the first untrusted address. Without trusted proxies the header is ignored,
    so a client cannot choose its own address. The server itself must not rewrite the peer from the
    header (``innkeeper serve`` runs uvicorn with ``proxy_headers=False``)."""
    return request.client.host if request.client else "unknown"


def route_template(scope: Scope) -> str:
    """``/api/v1/auth/sessions/{session_id}`` for metrics labels; "unmatched" for unknown paths."""
    if scope.get("route") is None:
        return "unmatched"
    by_value = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    return "/".join("{" + by_value[seg] + "}" if seg in by_value else seg for seg in scope["path"].split("/"))


async def _send_problem(send: Send, error: AppError, request_id: str, instance: str | None) -> None:
    """Answer from the middleware, before any route: the same problem+json the handlers render."""
    body = {**error.to_problem(instance), "request_id": request_id}
    payload = orjson.dumps(body)
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class ReadRoute(UnitOfWorkRoute):
    """For read-only endpoints (public catalog, search): their GETs run without BEGIN and COMMIT."""

    statement_reads = True


#: bodies the middleware reads whole to check for NUL characters (a missing type is read as JSON)
_TEXT_BODY_TYPES = (b"application/json", b"application/x-www-form-urlencoded", b"")


def _content_type(headers: dict[bytes, bytes]) -> bytes:
    return headers.get(b"content-type", b"").split(b";")[0].strip().lower()


def _refuse_before_body(scope: Scope, headers: dict[bytes, bytes], limit: int) -> AppError | None:
    """What is wrong with the request line and headers: Content-Length, a malformed Idempotency-Key
    (on any unsafe request, honoured or not), NUL characters."""
    declared = headers.get(b"content-length")
    if declared is not None:
        declared = declared.strip()  # servers may pass optional whitespace through (httptools does)
        if not declared.isdigit():
            return BadRequest("Invalid Content-Length", code="request.bad")
        if int(declared) > limit:
            return PayloadTooLarge(f"The request body exceeds {limit} bytes")
    key = headers.get(b"idempotency-key")
    if key is not None and scope["method"] not in SAFE_METHODS:
        try:
            idempotency.check_key(key.decode("latin-1"))
        except idempotency.MalformedKey as exc:
            return exc
    if "\x00" in scope["path"]:
        return nul_refusal("path")
    field = nul_field_in_form(scope.get("query_string") or b"") or nul_field_in_headers(
        scope.get("headers") or []
    )
    return nul_refusal(field) if field else None


class RequestContextMiddleware:
    """Request id, log context, access log, metrics, the request body size limit and the NUL check,
    as plain ASGI."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 1_048_576) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
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
            refusal = _refuse_before_body(scope, headers, self.max_body_bytes)
            if refusal is None:
                content_type = _content_type(headers)
                if scope["method"] in SAFE_METHODS or not (
                    content_type in _TEXT_BODY_TYPES or content_type.endswith(b"+json")
                ):
                    receive = self._limited(receive)
                else:
                    refusal, receive = await self._read_text_body(receive, content_type)
            if refusal is not None:
                instance = None if "\x00" in scope["path"] else scope["path"]
                await _send_problem(send_with_id, refusal, request_id, instance)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _limited(self, receive: Receive) -> Receive:
        """A streamed body (uploads): counted while the endpoint reads it, refused past the limit."""
        limit = self.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise StarletteHTTPException(413, f"The request body exceeds {limit} bytes")
            return message

        return limited_receive

    async def _read_text_body(self, receive: Receive, content_type: bytes) -> tuple[AppError | None, Receive]:
        """Read a JSON or form body whole (it is parsed whole anyway), refuse it when too large or
        when a string in it holds a NUL, and hand the endpoint a ``receive`` that replays it."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away: the endpoint sees that
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return PayloadTooLarge(f"The request body exceeds {self.max_body_bytes} bytes"), receive
            if not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        form = content_type == b"application/x-www-form-urlencoded"
        field = nul_field_in_form(body) if form else nul_field_in_json(body)
        if field is not None:
            return nul_refusal(field), receive
        if messages[-1]["type"] == "http.request":
            messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        return None, replay

    @staticmethod
    def _record(scope: Scope, status: int, elapsed: float) -> None:
        """Metrics and the access line: the route template, never the path or query values."""
        route = route_template(scope)
        HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
        HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
        (log.warning if status >= 500 else log.info)(
            "http.request",
            method=scope["method"],
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )


class HostCheckMiddleware:
    """Starlette's :class:`TrustedHostMiddleware` decides whether the ``Host`` header is one of ours; a
    refused one is answered 400 ``request.host_invalid`` as problem+json instead of its plain text."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.check = TrustedHostMiddleware(self._allowed, allowed_hosts=allowed_hosts, www_redirect=False)

    @staticmethod
    async def _allowed(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"]["host_allowed"] = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["host_allowed"] = False

        async def discard(message: Message) -> None:
            """The check's own plain-text refusal: replaced by a problem below."""

        await self.check(scope, receive, discard)
        if state.pop("host_allowed"):
            await self.app(scope, receive, send)
            return
        refusal = BadRequest("The Host header names no host served here", code="request.host_invalid")
        await _send_problem(send, refusal, state.get("request_id", ""), scope["path"])


#: what a browser on an allowed origin may send and read (CORS)
CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key", "X-Guest-Token", "X-Request-ID")
CORS_EXPOSED_HEADERS = ("X-Request-ID", "Retry-After", "Idempotent-Replayed", "Location", "ETag")


def install_middleware(
    app: FastAPI,
    *,
    max_body_bytes: int,
    trusted_proxies: list[str],
    allowed_hosts: list[str],
    cors_origins: list[str],
    hsts: bool,
) -> None:
    """The middleware every request passes, outermost first: security headers (so every answer below,
    refusals included, gets them), the request context (id, access line, input checks), the client
    address from ``X-Forwarded-For`` when the peer is one of ``trusted_proxies`` (none: never), the
    Host check (unless ``allowed_hosts`` is ``*``), CORS for ``cors_origins`` (none: no CORS headers,
    a preflight is answered like any unknown OPTIONS)."""
    if cors_origins:  # added first: innermost
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    if "*" not in allowed_hosts:
        app.add_middleware(HostCheckMiddleware, allowed_hosts=allowed_hosts)
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=max_body_bytes)
    security = SecurityHeaders(hsts=hsts)
    app.state.security_headers = security  # for the 500 handler, which runs outside every middleware
    app.add_middleware(SecurityHeadersMiddleware, headers=security)
