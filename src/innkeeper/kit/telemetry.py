"""Traces (OpenTelemetry) and error reporting (Sentry), both off unless configured.

``install_observability`` is called once per process: by ``create_app`` for the API (and its in-process
job runner), by ``innkeeper worker`` for a worker.

* **Traces** when ``INNKEEPER_OTEL_ENDPOINT`` is set: a span per HTTP request (FastAPI), per SQL
  statement (SQLAlchemy), per outgoing HTTP call (httpx: Stripe, SMS, webhooks) and per job run, exported
  over OTLP/HTTP in batches. Every span started while a request is served carries its request id
  (``innkeeper.request_id``), the id that the request's log lines and its problem responses carry too, and
  every log line written inside a span carries ``trace_id`` and ``span_id``. Health, readiness, metrics
  and static files are not traced.
* **Off** (the default) nothing is installed and nothing of OpenTelemetry is imported: no provider, no
  middleware, no engine listeners; a job run costs one ``None`` check.
* **Errors** go to Sentry when ``INNKEEPER_SENTRY_DSN`` is set (``kit.error_reporting``).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict

from innkeeper.kit import error_reporting
from innkeeper.kit.db import Database

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

#: span attribute holding the request id (``X-Request-ID``, ``request_id`` in logs and problems)
REQUEST_ID_ATTRIBUTE = "innkeeper.request_id"
#: paths never traced (probes, scrapes, static files): comma-separated patterns for the instrumentation
EXCLUDED_URLS = "/healthz,/readyz,/metrics,/static/"
SERVICE_NAME = "innkeeper"


class ObservabilitySettings(Protocol):
    """What :func:`install_observability` reads (``config.Settings`` has it; the kit imports no config)."""

    @property
    def otel_endpoint(self) -> str | None: ...
    @property
    def otel_sample_ratio(self) -> float: ...
    @property
    def sentry_dsn(self) -> str | None: ...
    @property
    def env(self) -> str: ...  # development, test, production: Sentry's environment


@dataclass
class _Tracing:
    provider: TracerProvider
    tracer: Tracer


_tracing: _Tracing | None = None


def release() -> str:
    try:
        return importlib.metadata.version("innkeeper")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


def install_observability(
    settings: ObservabilitySettings, *, db: Database, app: FastAPI | None = None
) -> None:
    """Error reporting and traces, each when its setting is given; nothing at all otherwise."""
    if settings.sentry_dsn:
        error_reporting.install(dsn=settings.sentry_dsn, environment=str(settings.env), release=release())
    if settings.otel_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = OTLPSpanExporter(endpoint=traces_url(settings.otel_endpoint))
        install_tracing(BatchSpanProcessor(exporter), db=db, app=app, sample_ratio=settings.otel_sample_ratio)


def traces_url(endpoint: str) -> str:
    """``http://collector:4318`` -> ``http://collector:4318/v1/traces`` (a URL with a path is kept)."""
    return endpoint if urlsplit(endpoint).path not in ("", "/") else endpoint.rstrip("/") + "/v1/traces"


def install_tracing(
    processor: Any,
    *,
    db: Database,
    app: FastAPI | None = None,
    sample_ratio: float = 1.0,
    set_global: bool = True,
) -> TracerProvider:
    """Trace requests (``app``), ``db``'s statements, httpx calls and job runs into ``processor`` (an
    OpenTelemetry span processor: batched OTLP export, or an in-memory exporter in tests).
    ``set_global``: also make it the process's tracer provider, for libraries that trace on their own."""
    global _tracing
    from opentelemetry import trace
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": release()}),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(_RequestIdStamp())  # type: ignore[arg-type]  # duck-typed, see the class
    provider.add_span_processor(processor)
    if set_global:
        trace.set_tracer_provider(provider)
    if app is not None:
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS, exclude_spans=["receive", "send"]
        )
        app.add_middleware(_StampServerSpan, current_span=trace.get_current_span)
    sqlalchemy = SQLAlchemyInstrumentor()
    if sqlalchemy.is_instrumented_by_opentelemetry:  # another app of this process (tests): this engine now
        sqlalchemy.uninstrument()
    # the instrumentation declares SQLAlchemy < 2.1 and refuses 2.1 unchecked; the engine events it uses
    # are unchanged in 2.1 (tests/ops/test_telemetry.py checks the statement spans)
    sqlalchemy.instrument(engine=db.engine.sync_engine, tracer_provider=provider, skip_dep_check=True)
    httpx = HTTPXClientInstrumentor()
    if httpx.is_instrumented_by_opentelemetry:
        httpx.uninstrument()
    httpx.instrument(tracer_provider=provider)
    _tracing = _Tracing(provider, provider.get_tracer("innkeeper.jobs"))
    add_trace_ids_to_logs()
    return provider


def uninstall_tracing() -> None:
    """Undo :func:`install_tracing` (tests): flush and stop the provider, remove the instrumentation."""
    global _tracing
    if _tracing is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().uninstrument()
    HTTPXClientInstrumentor().uninstrument()
    _tracing.provider.shutdown()
    _tracing = None


def tracing_enabled() -> bool:
    return _tracing is not None


def job_span(kind: str, job_id: Any, attempt: int) -> AbstractContextManager[Any]:
    """The span of one job run (a failure is recorded on it); a no-op context when tracing is off."""
    if _tracing is None:
        return nullcontext()
    from opentelemetry.trace import SpanKind

    return _tracing.tracer.start_as_current_span(
        f"job {kind}",
        kind=SpanKind.CONSUMER,
        attributes={
            "innkeeper.job.kind": kind,
            "innkeeper.job.id": str(job_id),
            "innkeeper.job.attempt": attempt,
        },
    )


class _RequestIdStamp:
    """A span processor (duck-typed: subclassing the SDK's would import it when tracing is off) that
    puts the request id bound to the logs (``kit.http``) on every span started while it is bound."""

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)

    def _on_ending(self, span: Any) -> None:
        pass

    def on_end(self, span: Any) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _StampServerSpan:
    """ASGI middleware inside the tracing one: the request's own span started before the request id
    was chosen (``kit.http.RequestContextMiddleware``, further in), so it gets the id with the answer."""

    def __init__(self, app: ASGIApp, current_span: Callable[[], Span]) -> None:
        self.app = app
        self.current_span = current_span

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamp_then_send(message: Message) -> None:
            # the tracing middleware ends the span with the response: stamp it as the answer starts
            state: Mapping[str, Any] = scope.get("state") or {}
            if message["type"] == "http.response.start" and state.get("request_id"):
                self.current_span().set_attribute(REQUEST_ID_ATTRIBUTE, state["request_id"])
            await send(message)

        await self.app(scope, receive, stamp_then_send)


def add_trace_ids_to_logs() -> None:
    """Every log line written inside a span gets its ``trace_id`` and ``span_id`` (again after the
    logging was configured anew)."""
    from opentelemetry import trace

    _add_log_processor(_trace_ids(trace.get_current_span))


def _trace_ids(current_span: Callable[[], Span]) -> Callable[[Any, str, EventDict], EventDict]:
    def add_trace_ids(_logger: Any, _method: str, event: EventDict) -> EventDict:
        context = current_span().get_span_context()
        if context.is_valid:
            event["trace_id"] = format(context.trace_id, "032x")
            event["span_id"] = format(context.span_id, "016x")
        return event

    add_trace_ids.innkeeper_trace_ids = True  # type: ignore[attr-defined]  # found again when re-installed
    return add_trace_ids


def _add_log_processor(processor: Callable[[Any, str, EventDict], EventDict]) -> None:
    """Insert ``processor`` before the renderer of structlog's chain (``kit.logging`` configured it)."""
    chain = [p for p in structlog.get_config()["processors"] if not getattr(p, "innkeeper_trace_ids", False)]
    chain.insert(max(0, len(chain) - 1), processor)
    structlog.configure(processors=chain)
