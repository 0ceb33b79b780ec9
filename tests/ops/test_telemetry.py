"""Traces and error reports: off by default (nothing installed); on, a request, its SQL and a job run
are spans carrying the request id its logs and problem responses carry; errors reach Sentry scrubbed."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sentry_sdk
import structlog
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from innkeeper.app import build_runner, create_app
from innkeeper.config import Settings
from innkeeper.kit import error_reporting, telemetry
from innkeeper.kit.jobs import enqueue
from innkeeper.kit.maintenance import PRUNE_JOB
from tests.helpers import API, assert_problem
from tests.log_capture import captured_logs

REQUEST_ID = telemetry.REQUEST_ID_ATTRIBUTE


def test_off_by_default_nothing_is_installed(app: FastAPI) -> None:
    assert not telemetry.tracing_enabled()
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)
    assert all("Stamp" not in m.cls.__name__ for m in app.user_middleware)  # type: ignore[attr-defined]
    assert not isinstance(trace.get_tracer_provider(), SdkTracerProvider)
    assert not sentry_sdk.get_client().is_active()
    with telemetry.job_span("kind", uuid.uuid4(), 1) as span:
        assert span is None  # a plain null context


@pytest.fixture
async def traced(settings: Settings) -> AsyncIterator[tuple[FastAPI, InMemorySpanExporter]]:
    """A new app (not one the suite reuses) with tracing into memory."""
    application = create_app(settings)
    exporter = InMemorySpanExporter()
    telemetry.install_tracing(
        SimpleSpanProcessor(exporter), db=application.state.ctx.db, app=application, set_global=False
    )
    try:
        async with application.router.lifespan_context(application):
            yield application, exporter
    finally:
        telemetry.uninstall_tracing()


def named(spans: tuple[ReadableSpan, ...], kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in spans if s.kind == kind]


async def test_request_sql_and_jobs_are_traced_with_the_request_id(
    traced: tuple[FastAPI, InMemorySpanExporter],
) -> None:
    app, exporter = traced
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with captured_logs(json=True, level="INFO") as logs:
            telemetry.add_trace_ids_to_logs()  # the capture configured the logging anew
            r = await client.get(f"{API}/locations", headers={"X-Request-ID": "trace-me-1"})
        assert r.status_code == 200, r.text
        spans = exporter.get_finished_spans()
        (server,) = named(spans, SpanKind.SERVER)
        assert server.attributes is not None and server.attributes[REQUEST_ID] == "trace-me-1"
        # its access line carries the request id and the trace id
        (line,) = [json.loads(line) for line in logs.getvalue().splitlines() if '"http.request"' in line]
        assert line["request_id"] == "trace-me-1"
        assert line["trace_id"] == format(server.context.trace_id, "032x")
        queries = [s for s in named(spans, SpanKind.CLIENT) if s.context.trace_id == server.context.trace_id]
        assert queries, [s.name for s in spans]
        assert all(q.attributes and q.attributes[REQUEST_ID] == "trace-me-1" for q in queries)
        assert any(q.attributes and "SELECT" in str(q.attributes.get("db.statement", "")) for q in queries)

        # a problem response names the same id as the trace
        exporter.clear()
        r = await client.get(f"{API}/properties/{uuid.uuid4()}", headers={"X-Request-ID": "trace-me-2"})
        assert assert_problem(r, 404)["request_id"] == "trace-me-2"
        (server,) = named(exporter.get_finished_spans(), SpanKind.SERVER)
        assert server.attributes is not None and server.attributes[REQUEST_ID] == "trace-me-2"

        # probes are not traced
        exporter.clear()
        assert (await client.get("/healthz")).status_code == 200
        assert named(exporter.get_finished_spans(), SpanKind.SERVER) == []

    async with app.state.ctx.db.unit_of_work() as session:
        enqueue(session, PRUNE_JOB)
    await build_runner(app.state.ctx).drain()
    jobs = [s for s in exporter.get_finished_spans() if s.name == f"job {PRUNE_JOB}"]
    assert jobs and jobs[0].kind == SpanKind.CONSUMER
    assert jobs[0].attributes is not None and jobs[0].attributes["innkeeper.job.kind"] == PRUNE_JOB


class Captured(Transport):
    """Sentry's transport, kept in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.events += [
            item.payload.json for item in envelope.items if item.type == "event" and item.payload.json
        ]


def test_errors_reach_sentry_scrubbed_with_the_request_id() -> None:
    transport = Captured()
    with captured_logs(json=True, level="INFO"):
        error_reporting.install(
            dsn="https://public@sentry.invalid/1", environment="test", release="t", transport=transport
        )
        try:
            structlog.contextvars.bind_contextvars(request_id="req-err-1")
            try:
                raise ValueError("card 4111 1111 1111 1111 declined for guest@example.com")
            except ValueError:
                structlog.get_logger("test").error(
                    "request.unhandled_error", email="guest@example.com", exc_info=True
                )
            structlog.get_logger("test").warning("only a warning")
            sentry_sdk.flush()
        finally:
            structlog.contextvars.clear_contextvars()
            sentry_sdk.get_client().close()
            sentry_sdk.get_global_scope().set_client(None)
    (event,) = transport.events  # the warning is not an event
    text = json.dumps(event)
    assert "guest@example.com" not in text and "4111" not in text
    assert event["tags"]["request_id"] == "req-err-1"
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["contexts"]["log"]["email"] == "***"
    assert not sentry_sdk.get_client().is_active()
