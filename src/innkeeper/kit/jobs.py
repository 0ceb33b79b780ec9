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
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Index, String, Text, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, Database, IdMixin, insert_for, on_commit
from innkeeper.kit.metrics import JOBS_RUN

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

_wake_listeners: list[asyncio.Event] = []


async def _wake() -> None:
    for event in list(_wake_listeners):
        event.set()


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
    on_commit(session, _wake)
    return job


def backoff(attempt: int) -> timedelta:
    """2, 4, 8 … seconds, capped at one hour, with ±20% jitter."""
    base = min(3600.0, 2.0**attempt)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


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
    ) -> None:
        self.db = db
        self.services = services or {}
        self.poll_interval = poll_interval
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs = jobs
        self._wake = asyncio.Event()
        self._schedules_ready = False

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

    async def _work_waiting(self) -> bool:
        """A cheap read first, so idle runners never take SQLite's write lock."""
        now = utcnow()
        async with self.db.unit_of_work(write=False) as session:
            if await session.scalar(select(Job.id).where(self._due(now)).limit(1)) is not None:
                return True
            if self.jobs.periodics:
                if not self._schedules_ready:
                    return True
                due = select(JobSchedule.name).where(JobSchedule.next_run_at <= now).limit(1)
                return await session.scalar(due) is not None
        return False

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
        if not await self._work_waiting():
            return 0
        await self.fire_due_schedules()
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

    async def run_forever(self, stop: asyncio.Event) -> None:
        _wake_listeners.append(self._wake)
        log.info("jobs.runner.started", worker=self.worker_id)
        try:
            while not stop.is_set():
                try:
                    ran = await self.run_once()
                except Exception:
                    log.exception("jobs.runner.error")
                    ran = 0
                if ran:
                    continue
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                _done, pending = await asyncio.wait(
                    waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                )
                for task in pending:
                    task.cancel()
        finally:
            _wake_listeners.remove(self._wake)
            log.info("jobs.runner.stopped", worker=self.worker_id)
