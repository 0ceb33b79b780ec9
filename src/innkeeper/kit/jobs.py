"""Transactional outbox and job runner.

``enqueue(session, kind, payload)`` writes a job row in the caller's transaction: the job exists if and
only if that transaction commits (invariant 8). Runners claim due jobs in short transactions
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of ``innkeeper worker`` processes can run side by
side; on SQLite the ``BEGIN IMMEDIATE`` write lock makes claims exclusive), execute them outside any
data transaction, and record the outcome. A claim is a lease: a worker that dies mid-job loses it
when the lease runs out and another worker retries the job. Failures retry with exponential backoff
and end as ``failed`` rows that stay visible (``innkeeper jobs``, ``GET /api/v1/admin/jobs``).

Periodic jobs are rows in ``job_schedules``; a runner that advances ``next_run_at`` with a conditional
UPDATE owns that run, so each period fires once however many runners there are.

Wake-up: a transaction that enqueued a job due now wakes the idle runners as it commits (never when it
rolls back): in process at once (the runners on the same database engine), and on PostgreSQL every
other process's through ``NOTIFY innkeeper_jobs``, which the database delivers only on commit, once per
transaction. Runners keep polling every ``poll_interval`` as well: a lost notification only delays a
job to the next poll, correctness never depends on one.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from sqlalchemy import Index, String, Text, and_, event, func, or_, select, text, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.pool import Pool

from innkeeper.kit import telemetry
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, Database, IdMixin, insert_for
from innkeeper.kit.metrics import JOB_OLDEST_AGE, JOB_QUEUE_DEPTH, JOBS_FAILED, JOBS_RUN
from innkeeper.kit.outage import DatabaseUnavailable, ThrottledWarning

log = structlog.get_logger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "run_at"),)

    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class JobSchedule(Base):
    __tablename__ = "job_schedules"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]


Handler = Callable[["JobContext", dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta


@dataclass
class JobContext:
    db: Database
    job_id: uuid.UUID
    attempt: int
    services: dict[str, Any]


class JobRegistry:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.periodics: dict[str, Periodic] = {}

    def handler(self, kind: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if kind in self.handlers and self.handlers[kind] is not fn:
                raise RuntimeError(f"job kind {kind!r} registered twice")
            self.handlers[kind] = fn
            return fn

        return register

    def periodic(self, name: str, every: timedelta) -> Callable[[Handler], Handler]:
        """A handler that also runs every ``every`` (the job kind is ``name``)."""

        def register(fn: Handler) -> Handler:
            self.handler(name)(fn)
            self.periodics[name] = Periodic(name, every)
            return fn

        return register


registry = JobRegistry()

#: how often a polling runner refreshes the queue gauges
QUEUE_REPORT_SECONDS = 15.0
#: PostgreSQL channel of the commits that enqueued a job due now
NOTIFY_CHANNEL = "innkeeper_jobs"
#: ``session.info`` key: the session's transaction enqueued a job due now
_ENQUEUED = "innkeeper_jobs_enqueued"
#: the idle runners' wake-up events, by the connection pool of their database engine
_idle_runners: dict[Pool, set[asyncio.Event]] = {}


def _pool_of(session: Session) -> Pool:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.pool  # an engine and its ``execution_options`` copies share the pool


def wake_runners_on_commit(session: AsyncSession) -> None:
    """Wake the idle runners when ``session``'s transaction commits (``enqueue`` calls this; so may
    code that makes a job due some other way, such as a retry)."""
    session.info[_ENQUEUED] = True


@contextmanager
def woken_by_commits(db: Database, wake: asyncio.Event) -> Iterator[None]:
    """Inside the block, ``wake`` is set whenever a transaction on ``db``'s engine that enqueued work
    due now commits (in this process; other processes' commits arrive by ``listen_for_jobs``)."""
    pool = db.engine.sync_engine.pool
    _idle_runners.setdefault(pool, set()).add(wake)
    try:
        yield
    finally:
        _idle_runners[pool].discard(wake)
        if not _idle_runners[pool]:
            del _idle_runners[pool]


def _commit_wakes(session: Session) -> bool:
    """In a commit event: the transaction enqueued work due now, and it is the whole transaction that
    commits (the commit events also fire when a SAVEPOINT is released)."""
    return bool(session.info.get(_ENQUEUED)) and not session.in_nested_transaction()


@event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    if _commit_wakes(session) and session.get_bind().dialect.name == "postgresql":
        # delivered by PostgreSQL on commit only, once per transaction (same channel and payload)
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


@event.listens_for(Session, "after_commit")
def _wake_runners_in_process(session: Session) -> None:
    if _commit_wakes(session):
        for wake in _idle_runners.get(_pool_of(session), ()):
            wake.set()


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: committed (woken above) or rolled back
        session.info.pop(_ENQUEUED, None)


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Write a job into the caller's transaction. Nothing runs unless that transaction commits."""
    if kind not in registry.handlers:
        raise LookupError(f"no handler registered for job kind {kind!r}")
    job = Job(kind=kind, payload=payload or {}, run_at=run_at or utcnow())
    if max_attempts is not None:
        job.max_attempts = max_attempts
    session.add(job)
    if job.run_at <= utcnow():
        wake_runners_on_commit(session)
    return job


def backoff(attempt: int) -> timedelta:
    """2, 4, 8 … seconds, capped at one hour, with ±20% jitter."""
    base = min(3600.0, 2.0**attempt)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


#: what a lost, refused or silent LISTEN connection raises
_LISTEN_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


async def listen_for_jobs(
    database_url: str,
    wake: Callable[[], None],
    *,
    retry_seconds: float = 1.0,
    retry_max_seconds: float = 30.0,
    check_seconds: float = 30.0,
) -> None:
    """Call ``wake`` whenever a transaction that enqueued commits, in any process (PostgreSQL ``LISTEN``
    on a connection of its own, outside the pool), until cancelled. A lost connection is reopened after
    ``retry_seconds``, doubling up to ``retry_max_seconds``, with a warning once a minute at most."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    warn = ThrottledWarning("jobs.listen.unavailable")
    delay = retry_seconds
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn, timeout=check_seconds)
            delay = retry_seconds
            await _listen_until_lost(conn, wake, check_seconds)
            error = "connection lost"
        except _LISTEN_ERRORS as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            if conn is not None:
                conn.terminate()  # no goodbye needed: the server drops the LISTEN with the session
        warn(error=error, retry_seconds=delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, retry_max_seconds)


async def _listen_until_lost(
    conn: asyncpg.Connection, wake: Callable[[], None], check_seconds: float
) -> None:
    lost = asyncio.Event()
    conn.add_termination_listener(lambda _conn: lost.set())
    await conn.add_listener(NOTIFY_CHANNEL, lambda _conn, _pid, _channel, _payload: wake())
    wake()  # for what was committed while nobody listened
    while not lost.is_set():
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(lost.wait(), check_seconds)
        if not lost.is_set():  # a quiet spell: make sure the connection did not die silently
            await conn.fetchval("SELECT 1", timeout=check_seconds)


class JobRunner:
    def __init__(
        self,
        db: Database,
        *,
        services: dict[str, Any] | None = None,
        poll_interval: float = 1.0,
        lease_seconds: int = 300,
        batch_size: int = 20,
        max_attempts: int = 8,
        worker_id: str | None = None,
        jobs: JobRegistry = registry,
        listen: bool = True,
    ) -> None:
        """``listen``: on PostgreSQL, :meth:`run_forever` also wakes on other processes' commits."""
        self.db = db
        self.services = services or {}
        self.poll_interval = poll_interval
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs = jobs
        self.listen = listen
        self._wake = asyncio.Event()
        self._schedules_ready = False
        self._outage = ThrottledWarning("jobs.runner.database_unavailable")
        self._in_outage = False
        self._queue_reported_at = time.monotonic()  # the first report a period after start

    async def ensure_schedules(self) -> None:
        if not self.jobs.periodics:
            return
        now = utcnow()
        async with self.db.unit_of_work() as session:
            for periodic in self.jobs.periodics.values():
                stmt = insert_for(session, JobSchedule).values(name=periodic.name, next_run_at=now)
                await session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        self._schedules_ready = True

    async def fire_due_schedules(self) -> int:
        """Enqueue each periodic job whose time has come; the conditional UPDATE elects one runner."""
        if not self._schedules_ready:
            await self.ensure_schedules()
        fired = 0
        now = utcnow()
        for periodic in self.jobs.periodics.values():
            async with self.db.unit_of_work() as session:
                result = await session.execute(
                    update(JobSchedule)
                    .where(JobSchedule.name == periodic.name, JobSchedule.next_run_at <= now)
                    .values(next_run_at=now + periodic.every, last_run_at=now)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    enqueue(session, periodic.name, {"scheduled_at": now.isoformat()}, max_attempts=1)
                    fired += 1
        return fired

    @staticmethod
    def _due(now: datetime) -> Any:
        return or_(
            and_(Job.status == QUEUED, Job.run_at <= now),
            and_(Job.status == RUNNING, Job.locked_until < now),  # lease expired: worker died
        )

    async def _work_waiting(self) -> tuple[bool, bool]:
        """Whether a job is due, and whether a periodic run is: one cheap read, so idle runners never
        take SQLite's write lock, and a woken runner does not touch every schedule row for one job."""
        now = utcnow()
        async with self.db.unit_of_work(write=False) as session:
            row = (
                await session.execute(
                    select(
                        select(Job.id).where(self._due(now)).exists(),
                        select(JobSchedule.name).where(JobSchedule.next_run_at <= now).exists(),
                    )
                )
            ).one()
        schedule_due = bool(self.jobs.periodics) and (not self._schedules_ready or bool(row[1]))
        return bool(row[0]), schedule_due

    async def claim(self) -> list[Job]:
        now = utcnow()
        async with self.db.unit_of_work() as session:
            stmt = (
                select(Job)
                .where(self._due(now))
                .order_by(Job.run_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            jobs = list((await session.scalars(stmt)).all())
            for job in jobs:
                job.status = RUNNING
                job.attempts += 1
                job.locked_by = self.worker_id
                job.locked_until = now + self.lease
        return jobs

    async def execute(self, job: Job) -> bool:
        handler = self.jobs.handlers.get(job.kind)
        error: str | None = None
        if handler is None:
            error = f"no handler for job kind {job.kind!r}"
        else:
            ctx = JobContext(self.db, job.id, job.attempts, self.services)
            try:
                with telemetry.job_span(job.kind, job.id, job.attempts):
                    await handler(ctx, job.payload)
            except Exception as exc:
                error = "".join(traceback.format_exception_only(exc)).strip()
                log.warning(
                    "job.failed",
                    job_id=str(job.id),
                    kind=job.kind,
                    attempt=job.attempts,
                    error=error,
                    exc_info=True,
                )
        JOBS_RUN.labels(job.kind, "ok" if error is None else "error").inc()
        await self._finish(job, error)
        return error is None

    async def _finish(self, job: Job, error: str | None) -> None:
        now = utcnow()
        values: dict[str, Any]
        if error is None:
            values = {"status": DONE, "finished_at": now, "locked_until": None, "last_error": None}
        elif job.attempts >= min(job.max_attempts, self.max_attempts):
            values = {"status": FAILED, "finished_at": now, "locked_until": None, "last_error": error}
        else:
            values = {
                "status": QUEUED,
                "run_at": now + backoff(job.attempts),
                "locked_until": None,
                "last_error": error,
            }
        async with self.db.unit_of_work() as session:
            await session.execute(
                update(Job).where(Job.id == job.id, Job.locked_by == self.worker_id).values(**values)
            )

    async def run_once(self) -> int:
        """Fire due schedules, then claim and run one batch. Returns the number of jobs run."""
        job_due, schedule_due = await self._work_waiting()
        if schedule_due:
            await self.fire_due_schedules()
        elif not job_due:
            return 0
        jobs = await self.claim()
        for job in jobs:
            await self.execute(job)
        return len(jobs)

    async def drain(self, *, max_rounds: int = 100) -> int:
        """Run until nothing is due (tests, CLI). Returns the number of jobs run."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.run_once()
            total += ran
            if not ran:
                break
        return total

    async def poll(self) -> int:
        """One round of :meth:`run_forever`: :meth:`run_once`, with its errors logged. A database outage
        is one warning, then at most one a minute (not a traceback every poll); anything else is a bug
        and logs its traceback."""
        try:
            ran = await self.run_once()
            await self._report_queue_now_and_then()  # after the work: never delays a job
        except DatabaseUnavailable as exc:
            self._in_outage = True
            self._outage(worker=self.worker_id, problem=exc.code)
            return 0
        except Exception:
            log.exception("jobs.runner.error", worker=self.worker_id)
            return 0
        if self._in_outage:
            self._in_outage = False
            self._outage.reset()
            log.warning("jobs.runner.recovered", worker=self.worker_id)
        return ran

    async def report_queue(self) -> None:
        """Set the queue gauges (``kit.metrics``): jobs due, how long the oldest has waited, failed jobs."""
        now = utcnow()
        async with self.db.unit_of_work(write=False) as session:
            due, oldest = (
                await session.execute(select(func.count(), func.min(Job.run_at)).where(self._due(now)))
            ).one()
            failed = await session.scalar(select(func.count()).select_from(Job).where(Job.status == FAILED))
        JOB_QUEUE_DEPTH.set(due)
        JOB_OLDEST_AGE.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        JOBS_FAILED.set(failed or 0)

    async def _report_queue_now_and_then(self) -> None:
        """:meth:`report_queue` at most every ``QUEUE_REPORT_SECONDS``: two indexed counts, not per poll."""
        moment = time.monotonic()
        if moment - self._queue_reported_at >= QUEUE_REPORT_SECONDS:
            self._queue_reported_at = moment
            await self.report_queue()

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run jobs until ``stop`` is set. When idle, wait ``poll_interval`` or until a commit that
        enqueued wakes the runner (see the module's docstring)."""
        listener = None
        if self.listen and not self.db.is_sqlite:
            # also hears this process's own commits, which woke the runner already: one extra cheap read
            listener = asyncio.create_task(listen_for_jobs(self.db.url, self._wake.set))
        log.info("jobs.runner.started", worker=self.worker_id)
        try:
            with woken_by_commits(self.db, self._wake):
                while not stop.is_set():
                    self._wake.clear()  # before looking for work: a commit from now on ends the wait
                    if await self.poll():
                        continue
                    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                    _done, pending = await asyncio.wait(
                        waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in pending:
                        task.cancel()
        finally:
            if listener is not None:
                listener.cancel()
                with suppress(asyncio.CancelledError):
                    await listener
            log.info("jobs.runner.stopped", worker=self.worker_id)


# -- inspecting and retrying (the admin API and ``innkeeper jobs``) --------------------------------------
async def list_jobs(
    session: AsyncSession, status: str | None, *, limit: int, offset: int = 0
) -> tuple[list[Job], int]:
    """Jobs newest first (optionally in one status), and how many there are in all."""
    stmt = select(Job)
    count = select(func.count()).select_from(Job)
    if status:
        stmt, count = stmt.where(Job.status == status), count.where(Job.status == status)
    rows = await session.scalars(stmt.order_by(Job.created_at.desc()).limit(limit).offset(offset))
    return list(rows.all()), int(await session.scalar(count) or 0)


async def retry_failed(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    """Queue a failed job again, due now (runners are woken when this commits); ``None`` when there is
    no failed job with this id."""
    job = await session.get(Job, job_id)
    if job is None or job.status != FAILED:
        return None
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status=QUEUED, run_at=utcnow(), attempts=0, finished_at=None)
    )
    wake_runners_on_commit(session)
    await session.refresh(job)
    return job
