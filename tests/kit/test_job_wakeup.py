"""Runners wake up when a transaction that enqueued commits, not at their next poll: in process at
once, and on PostgreSQL across processes by ``LISTEN``/``NOTIFY``. A rollback wakes nothing. A database
outage is one warning a minute from a polling runner, not a traceback per poll."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from innkeeper.context import AppContext
from innkeeper.kit.clock import clock, utcnow
from innkeeper.kit.db import Database
from innkeeper.kit.jobs import (
    DONE,
    Job,
    JobContext,
    JobRegistry,
    JobRunner,
    enqueue,
    listen_for_jobs,
    registry,
    woken_by_commits,
)
from tests.helpers import API
from tests.log_capture import captured_logs

#: what every test here would wait without a wake-up
LONG_POLL = {"job_poll_interval_seconds": 30.0}
PHONES = ("+14155550142", "+14155550143")


@registry.handler("test.wakeup")
async def _noop(job: JobContext, payload: dict[str, Any]) -> None:
    return None


async def _enqueue_committed(db: Database, **kw: Any) -> None:
    async with db.unit_of_work() as session:
        enqueue(session, "test.wakeup", **kw)


async def _within(seconds: float, ready: Callable[[], Awaitable[bool]]) -> float:
    """Poll ``ready`` until it holds; the time it took. Fails after ``seconds``."""
    start = time.monotonic()
    while not await ready():
        assert time.monotonic() - start < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.005)
    return time.monotonic() - start


async def _otp_sms_within(seconds: float, client: httpx.AsyncClient, phone: str) -> float:
    """Ask for a code for ``phone``; the time until the SMS is in the development outbox."""
    sent = await client.post(f"{API}/auth/otp/send", json={"phone": phone})
    assert sent.status_code == 202, sent.text

    async def arrived() -> bool:
        outbox = (await client.get("/dev/outbox.json", params={"to": phone})).json()
        return any(m["channel"] == "sms" for m in outbox["items"])

    return await _within(seconds, arrived)


def _needs_postgres(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL only: runs with INNKEEPER_TEST_DATABASE_URL set")


@pytest.mark.parametrize("settings_overrides", [{**LONG_POLL, "run_jobs_in_process": True}])
async def test_otp_sms_is_in_the_outbox_at_once_with_the_in_process_runner(client: httpx.AsyncClient) -> None:
    await _otp_sms_within(10.0, client, PHONES[0])  # warm: the runner's start-up round, first requests
    await _otp_sms_within(0.5, client, PHONES[1])


async def test_only_a_committed_transaction_that_enqueued_work_due_now_wakes(ctx: AppContext) -> None:
    woken = asyncio.Event()
    with woken_by_commits(ctx.db, woken):
        with pytest.raises(RuntimeError):
            async with ctx.db.unit_of_work() as session:
                enqueue(session, "test.wakeup")
                raise RuntimeError("rolled back")
        assert not woken.is_set()

        await _enqueue_committed(ctx.db, run_at=utcnow() + timedelta(hours=1))  # not due yet
        assert not woken.is_set()

        other_engine = Database(ctx.settings.database_url)  # another process's, as far as we know
        await _enqueue_committed(other_engine)
        await other_engine.dispose()
        assert not woken.is_set()

        async with ctx.db.unit_of_work() as session:
            enqueue(session, "test.wakeup")
            async with session.begin_nested():  # a released SAVEPOINT is no commit yet
                await session.execute(select(1))
            assert not woken.is_set()
        assert woken.is_set()

    async with ctx.db.unit_of_work(write=False) as session:
        assert len((await session.scalars(select(Job.run_at))).all()) == 3  # not the rolled-back one


async def test_a_worker_on_its_own_context_is_woken_by_the_apps_commit(
    backend: str, ctx: AppContext, client: httpx.AsyncClient
) -> None:
    """The app (no runner of its own) and a worker runner on another engine, as in another process:
    the worker, polling every 30 s, sends the OTP at once, woken by NOTIFY."""
    _needs_postgres(backend)
    worker_ctx = AppContext.build(ctx.settings)
    worker = IdleAwareRunner(worker_ctx.db, services={"app": worker_ctx}, poll_interval=30.0)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:
        await client.get("/dev/outbox.json")  # warm: a route's first request is slow
        await asyncio.wait_for(worker.found_nothing.wait(), 10)  # start-up done: idle for 30 s
        await _otp_sms_within(1.0, client, PHONES[0])
    finally:
        stop.set()
        await task
        await worker_ctx.close()


class CommitAfterLookRunner(JobRunner):
    """Once, a commit lands just after a round found nothing, before the runner starts to wait."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.committed_after_look = False

    async def run_once(self) -> int:
        ran = await super().run_once()
        if not ran and not self.committed_after_look:
            self.committed_after_look = True
            await _enqueue_committed(self.db)
        return ran


async def test_a_commit_between_the_look_and_the_wait_is_not_lost(ctx: AppContext) -> None:
    jobs = JobRegistry()
    jobs.handler("test.wakeup")(_noop)
    runner = CommitAfterLookRunner(ctx.db, jobs=jobs, poll_interval=30.0, listen=False)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop))

    async def done() -> bool:
        async with ctx.db.unit_of_work(write=False) as session:
            return await session.scalar(select(Job.id).where(Job.status == DONE)) is not None

    try:
        await _within(1.0, done)
    finally:
        stop.set()
        await task


class IdleAwareRunner(JobRunner):
    """Tells when a round found nothing to do (the runner then waits to be woken)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.found_nothing = asyncio.Event()

    async def poll(self) -> int:
        ran = await super().poll()
        if not ran:
            self.found_nothing.set()
        return ran


async def test_the_listener_hears_commits_and_reconnects_when_its_connection_drops(
    backend: str, ctx: AppContext
) -> None:
    _needs_postgres(backend)
    wakes = 0

    def wake() -> None:
        nonlocal wakes
        wakes += 1

    def woken(times: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return wakes >= times

        return check

    listener = asyncio.create_task(listen_for_jobs(ctx.settings.database_url, wake, retry_seconds=0.01))
    try:
        await _within(5.0, woken(1))  # connected: woken once for what it may have missed
        await _enqueue_committed(ctx.db)
        await _within(1.0, woken(2))

        dsn = make_url(ctx.settings.database_url).set(drivername="postgresql").render_as_string(False)
        admin = await asyncpg.connect(dsn)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query = 'LISTEN \"innkeeper_jobs\"'"
            )
        finally:
            await admin.close()
        assert killed == 1
        await _within(2.0, woken(3))  # back, and woken for what it may have missed
        await _enqueue_committed(ctx.db)
        await _within(1.0, woken(4))
    finally:
        listener.cancel()
        with pytest.raises(asyncio.CancelledError):
            await listener


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_database_outage_is_a_warning_a_minute_not_a_traceback_per_poll(ctx: AppContext) -> None:
    clock.freeze()
    unreachable = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/innkeeper")
    runner = JobRunner(unreachable, services={"app": ctx}, jobs=JobRegistry())
    with captured_logs(json=True) as output:
        for _ in range(5):
            assert await runner.poll() == 0
        clock.advance(timedelta(seconds=61))
        assert await runner.poll() == 0
        runner.db = ctx.db  # the database is back
        assert await runner.poll() == 0
    await unreachable.dispose()
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    assert [
        (line["event"], line.get("suppressed")) for line in lines if line["event"].startswith("jobs.runner")
    ] == [
        ("jobs.runner.database_unavailable", 0),
        ("jobs.runner.database_unavailable", 4),
        ("jobs.runner.recovered", None),
    ]
    assert not [line for line in lines if "exception" in line]
