"""The transactional outbox: a job exists iff its transaction committed, runs once, retries, stays visible."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from innkeeper.app import build_runner
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import (
    DONE,
    FAILED,
    QUEUED,
    Job,
    JobContext,
    JobRegistry,
    JobRunner,
    enqueue,
    registry,
)
from innkeeper.notifications.models import DevMessage
from innkeeper.notifications.service import DELIVER_JOB, send_email
from tests.helpers import API, assert_problem, bearer, signup

calls: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


@registry.handler("test.flaky")
async def flaky(job: JobContext, payload: dict[str, Any]) -> None:
    key = payload["key"]
    calls[key] = calls.get(key, 0) + 1
    if calls[key] <= payload["fail_times"]:
        raise RuntimeError(f"flaky failure {calls[key]}")


async def count(ctx: AppContext, model: Any, *where: Any) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_rolled_back_transaction_sends_nothing(ctx: AppContext, runner: JobRunner) -> None:
    with pytest.raises(RuntimeError):
        async with ctx.db.unit_of_work() as session:
            send_email(ctx, session, to="a@example.com", subject="Hi", body="never")
            raise RuntimeError("abort")
    await runner.drain()
    assert await count(ctx, Job, Job.kind == DELIVER_JOB) == 0
    assert await count(ctx, DevMessage) == 0


async def test_committed_messages_are_sent_exactly_once_with_two_runners(ctx: AppContext) -> None:
    async with ctx.db.unit_of_work() as session:
        for i in range(30):
            send_email(ctx, session, to=f"guest{i}@example.com", subject=f"Message {i}", body="hello")
    first, second = build_runner(ctx), build_runner(ctx)
    first.batch_size = second.batch_size = 3
    await asyncio.gather(first.drain(), second.drain())
    async with ctx.db.unit_of_work(write=False) as session:
        rows = (await session.scalars(select(DevMessage.to))).all()
    assert sorted(rows) == sorted(f"guest{i}@example.com" for i in range(30))
    assert await count(ctx, Job, Job.status == DONE, Job.kind == DELIVER_JOB) == 30


async def test_payload_is_sealed(ctx: AppContext) -> None:
    async with ctx.db.unit_of_work() as session:
        send_email(ctx, session, to="private@example.com", subject="Code", body="secret 123456")
    async with ctx.db.unit_of_work(write=False) as session:
        job = await session.scalar(select(Job).where(Job.kind == DELIVER_JOB))
    assert job is not None
    assert "private@example.com" not in str(job.payload) and "123456" not in str(job.payload)


async def test_failures_retry_with_backoff(ctx: AppContext, runner: JobRunner) -> None:
    clock.freeze()
    async with ctx.db.unit_of_work() as session:
        enqueue(session, "test.flaky", {"key": "retry", "fail_times": 2})
    assert await runner.run_once() >= 1  # the flaky job (and the first housekeeping run)
    async with ctx.db.unit_of_work(write=False) as session:
        job = await session.scalar(select(Job).where(Job.kind == "test.flaky"))
        assert job is not None
    assert job.status == QUEUED and job.attempts == 1 and "flaky failure 1" in (job.last_error or "")
    assert job.run_at > clock.now()  # backed off
    assert await runner.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=3))
    assert await runner.run_once() == 1
    clock.advance(timedelta(seconds=10))
    assert await runner.run_once() == 1
    async with ctx.db.unit_of_work(write=False) as session:
        job = await session.scalar(select(Job).where(Job.kind == "test.flaky"))
    assert job is not None and job.status == DONE and job.attempts == 3 and job.last_error is None
    assert calls["retry"] == 3


async def test_exhausted_job_stays_failed_and_visible(
    ctx: AppContext, runner: JobRunner, client: httpx.AsyncClient
) -> None:
    clock.freeze()
    async with ctx.db.unit_of_work() as session:
        job = enqueue(session, "test.flaky", {"key": "doomed", "fail_times": 99}, max_attempts=2)
    await runner.run_once()
    clock.advance(timedelta(minutes=5))
    await runner.run_once()
    assert await count(ctx, Job, Job.status == FAILED) == 1
    # visible to platform admins, not to customers
    customer = await signup(client)
    assert_problem(await client.get(f"{API}/admin/jobs", headers=bearer(customer)), 403)
    from tests.identity.test_admin import make_admin

    admin = await make_admin(client, ctx)
    listing = await client.get(f"{API}/admin/jobs", params={"status": "failed"}, headers=bearer(admin))
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [i["id"] for i in items] == [str(job.id)]
    assert "flaky failure 2" in items[0]["last_error"]
    retried = await client.post(f"{API}/admin/jobs/{job.id}/retry", headers=bearer(admin))
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert_problem(await client.post(f"{API}/admin/jobs/{job.id}/retry", headers=bearer(admin)), 404)


async def test_a_round_for_a_new_job_leaves_schedules_alone_until_one_is_due(
    ctx: AppContext, runner: JobRunner
) -> None:
    """A runner woken for one job pays one read for the schedules, not an UPDATE of each of them."""
    clock.freeze()
    await runner.drain()  # the start-up round fires every periodic job
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    async with ctx.db.unit_of_work() as session:
        enqueue(session, "test.flaky", {"key": "alone", "fail_times": 0})
    event.listen(ctx.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        assert await runner.run_once() == 1
    finally:
        event.remove(ctx.db.engine.sync_engine, "before_cursor_execute", record)
    assert calls["alone"] == 1
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE JOB_SCHEDULES")]
    clock.advance(timedelta(minutes=2))  # bookings.expire_holds is due again
    assert await runner.run_once() == 1


async def test_expired_lease_is_taken_over(ctx: AppContext) -> None:
    clock.freeze()
    async with ctx.db.unit_of_work() as session:
        enqueue(session, "test.flaky", {"key": "lease", "fail_times": 0})
    crashed, healthy = build_runner(ctx), build_runner(ctx)
    assert len(await crashed.claim()) == 1  # claims, then "dies" without running it
    await healthy.drain()
    assert "lease" not in calls  # the lease still holds
    clock.advance(timedelta(seconds=ctx.settings.job_lease_seconds + 1))
    await healthy.drain()
    assert calls["lease"] == 1
    assert await count(ctx, Job, Job.status == DONE, Job.kind == "test.flaky") == 1


async def test_periodic_job_fires_once_per_period_across_runners(ctx: AppContext) -> None:
    jobs = JobRegistry()
    fired: list[str] = []

    @jobs.periodic("test.tick", every=timedelta(minutes=10))
    async def tick(job: JobContext, payload: dict[str, Any]) -> None:
        fired.append(payload["scheduled_at"])

    registry.handlers.setdefault("test.tick", tick)  # enqueue() checks the global registry
    clock.freeze()
    a = JobRunner(ctx.db, services={"app": ctx}, jobs=jobs)
    b = JobRunner(ctx.db, services={"app": ctx}, jobs=jobs)
    await asyncio.gather(a.drain(), b.drain())
    assert len(fired) == 1
    clock.advance(timedelta(minutes=5))
    await asyncio.gather(a.drain(), b.drain())
    assert len(fired) == 1
    clock.advance(timedelta(minutes=6))
    await asyncio.gather(a.drain(), b.drain())
    assert len(fired) == 2


@pytest.mark.slow
async def test_two_worker_processes_deliver_each_message_once(ctx: AppContext, settings: Any) -> None:
    async with ctx.db.unit_of_work() as session:
        for i in range(40):
            send_email(ctx, session, to=f"w{i}@example.com", subject="hi", body="hello")
    env = {
        **os.environ,
        "INNKEEPER_ENV": "test",
        "INNKEEPER_SECRET_KEY": settings.secret_key,
        "INNKEEPER_DATABASE_URL": settings.database_url,
        "INNKEEPER_LOG_LEVEL": "WARNING",
    }
    if settings.redis_url:
        env["INNKEEPER_REDIS_URL"] = settings.redis_url
    cmd = [sys.executable, "-m", "innkeeper.cli", "worker", "--poll", "0.2"]
    workers = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if await count(ctx, DevMessage) >= 40:
                break
            await asyncio.sleep(0.3)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=20)
    assert await count(ctx, Job, Job.status == DONE, Job.kind == DELIVER_JOB) == 40
    async with ctx.db.unit_of_work(write=False) as session:
        sent = (await session.scalars(select(DevMessage.to))).all()
        claimed_by = set((await session.scalars(select(Job.locked_by).where(Job.kind == DELIVER_JOB))).all())
    assert sorted(sent) == sorted(f"w{i}@example.com" for i in range(40))
    assert len(claimed_by) >= 1
