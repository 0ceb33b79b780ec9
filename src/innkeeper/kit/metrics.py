"""Prometheus metrics. With several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` (see README).

Business counters (bookings, payments) are counted when their transaction commits, never for a change
that rolled back: :func:`inc_on_commit` defers the increment to the unit of work's ``on_commit`` hooks.
Gauges say how they combine across processes (``multiprocess_mode``): the job queue gauges are the same
database figure seen by every runner, so the most recent live value wins.
"""

from __future__ import annotations

import os
import re
import time
from functools import lru_cache
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

from innkeeper.kit.db import on_commit

HTTP_REQUESTS = Counter("innkeeper_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "innkeeper_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS_RUN = Counter("innkeeper_jobs_total", "Jobs run", ["kind", "outcome"])
LOGINS = Counter("innkeeper_logins_total", "Login attempts", ["method", "outcome"])
NOTIFICATIONS = Counter("innkeeper_notifications_total", "Notifications delivered", ["channel"])

# -- business ---------------------------------------------------------------------------------------------
BOOKINGS = Counter(
    "innkeeper_bookings_total",
    "Booking lifecycle events that committed, by booking kind (stay, slot) and event",
    ["kind", "event"],
)
BOOKING_CONFLICTS = Counter(
    "innkeeper_booking_conflicts_total",
    "Requests answered 409, by problem code (inventory.unavailable, slot.unavailable: double bookings)",
    ["reason"],
)
PAYMENTS = Counter(
    "innkeeper_payments_total",
    "Payments created and their outcomes (created, succeeded, failed, refunded, refund_failed)",
    ["outcome"],
)
WEBHOOK_LAG = Histogram(
    "innkeeper_webhook_lag_seconds",
    "From a payment webhook's arrival to its processing",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
LOCK_WAIT = Histogram(
    "innkeeper_lock_wait_seconds",
    "Statements that take a lock (SELECT … FOR UPDATE per table, advisory locks, SQLite's write lock),"
    " from sent to answered",
    ["lock"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# -- jobs (set by the job runners) ------------------------------------------------------------------------
JOB_QUEUE_DEPTH = Gauge(
    "innkeeper_job_queue_depth", "Jobs due and waiting to run", multiprocess_mode="livemostrecent"
)
JOB_OLDEST_AGE = Gauge(
    "innkeeper_job_oldest_age_seconds",
    "How long the oldest due job has been waiting (0 when none)",
    multiprocess_mode="livemostrecent",
)
JOBS_FAILED = Gauge(
    "innkeeper_jobs_failed", "Jobs that failed for good (retry them)", multiprocess_mode="livemostrecent"
)


class _Incrementable(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class _Observable(Protocol):
    def observe(self, amount: float) -> None: ...


class _HasInfo(Protocol):
    @property
    def info(self) -> dict[Any, Any]: ...


def inc_on_commit(session: _HasInfo, metric: _Incrementable, amount: float = 1) -> None:
    """Increment ``metric`` once the unit of work owning ``session`` (an ``AsyncSession`` or the
    ``Session`` an ORM event hands over: they share ``info``) commits; never when it rolls back."""

    async def count() -> None:
        metric.inc(amount)

    on_commit(session, count)  # type: ignore[arg-type]  # only ``info`` is used


def observe_on_commit(session: _HasInfo, metric: _Observable, value: float) -> None:
    """Observe ``value`` in ``metric`` (a histogram) once ``session``'s unit of work commits."""

    async def observe() -> None:
        metric.observe(value)

    on_commit(session, observe)  # type: ignore[arg-type]


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


# -- lock waits -------------------------------------------------------------------------------------------
# Timed at the cursor, on every engine: the inventory and booking code takes its locks with plain
# statements (``with_for_update``, ``advisory_lock``, SQLite's ``BEGIN IMMEDIATE``), so no call site has
# to remember to time them. A statement that takes a lock answers once it holds it; the time is
# lock wait plus a (small) execution.
_FOR_UPDATE_TABLE = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)
_LOCK_STARTED = "innkeeper_lock_started"


@lru_cache(maxsize=2048)
def lock_label(statement: str) -> str | None:
    """The ``lock`` label of a statement that waits for a lock, or ``None`` for any other. Cached: it
    runs before every statement, and the texts repeat (SQLAlchemy's compiled cache hands out the same
    string objects, whose hash Python keeps)."""
    if statement.startswith("BEGIN IMMEDIATE"):
        return "sqlite_write"
    if "pg_advisory" in statement:
        return "advisory"
    if "FOR UPDATE" in statement or "FOR NO KEY UPDATE" in statement:
        table = _FOR_UPDATE_TABLE.search(statement)
        return f"row:{table.group(1)}" if table else "row"
    return None


@event.listens_for(Engine, "before_cursor_execute")
def _lock_wait_started(
    _conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _executemany: bool
) -> None:
    label = lock_label(statement)
    if label is not None and context is not None:
        setattr(context, _LOCK_STARTED, (label, time.perf_counter()))


@event.listens_for(Engine, "after_cursor_execute")
def _lock_wait_ended(
    _conn: Any, _cursor: Any, _statement: str, _parameters: Any, context: Any, _executemany: bool
) -> None:
    started = getattr(context, _LOCK_STARTED, None)
    if started is not None:
        delattr(context, _LOCK_STARTED)
        LOCK_WAIT.labels(started[0]).observe(time.perf_counter() - started[1])
