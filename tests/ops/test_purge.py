"""The ``kit.prune`` job: what only grows is deleted past its retention, a bounded batch per table and
run, and every live row stays."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from innkeeper.context import AppContext
from innkeeper.identity.models import AuthSession, OtpCode, RefreshToken, User
from innkeeper.kit.clock import clock, utcnow
from innkeeper.kit.idempotency import IdempotencyRecord
from innkeeper.kit.jobs import DONE, FAILED, Job, JobRunner
from innkeeper.kit.maintenance import PRUNE_JOB, Retention, purge
from innkeeper.kit.throttle import ThrottleHit
from innkeeper.notifications.models import DevMessage
from tests.catalog_support import NOW, freeze
from tests.helpers import with_settings

#: rows of each kind written per test: this many past retention, and the same number alive
EXPIRED = 3
MODELS = (AuthSession, RefreshToken, OtpCode, IdempotencyRecord, Job, DevMessage, ThrottleHit)


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def seed(ctx: AppContext) -> None:
    """``EXPIRED`` rows of each kind past retention (60 days old) and as many alive (5 minutes old), a
    revoked session past retention and a failed job."""
    long_ago = NOW - timedelta(days=60)
    async with ctx.db.unit_of_work() as session:
        user = User(email=f"{uuid.uuid4().hex}@example.com", full_name="Purged")
        session.add(user)
        await session.flush()
        for old in [True] * EXPIRED + [False] * EXPIRED:
            then = long_ago if old else NOW - timedelta(minutes=5)
            alive_until = then if old else NOW + timedelta(days=1)
            auth = AuthSession(user_id=user.id, created_at=then, expires_at=alive_until)
            session.add(auth)
            await session.flush()
            key = uuid.uuid4().hex
            session.add_all(
                [
                    RefreshToken(session_id=auth.id, token_hash=key, created_at=then),
                    OtpCode(phone="+14155550100", code_hash=key, created_at=then, expires_at=then),
                    IdempotencyRecord(
                        scope="user:x",
                        key=key,
                        fingerprint=key,
                        locked_until=then,
                        created_at=then,
                        expires_at=alive_until,
                    ),
                    Job(kind=PRUNE_JOB, status=DONE, run_at=then, created_at=then, finished_at=then),
                    DevMessage(channel="email", to="a@example.com", body="hi", sent_at=then),
                    ThrottleHit(key="login:x", at=then),
                ]
            )
        revoked = NOW - timedelta(days=31)
        session.add(AuthSession(user_id=user.id, expires_at=NOW + timedelta(days=1), revoked_at=revoked))
        session.add(Job(kind=PRUNE_JOB, status=FAILED, run_at=long_ago, finished_at=long_ago))


async def counts(ctx: AppContext) -> dict[str, int]:
    async with ctx.db.unit_of_work(write=False) as session:
        return {
            model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in MODELS
        }


async def test_purge_is_bounded_and_keeps_live_rows(ctx: AppContext) -> None:
    await seed(ctx)
    before = await counts(ctx)
    assert before["auth_sessions"] == 2 * EXPIRED + 1 and before["jobs"] == 2 * EXPIRED + 1
    retention = Retention.from_settings(with_settings(ctx.settings, purge_batch_size=2))
    async with ctx.db.unit_of_work() as session:
        first = await purge(session, retention)
    # at most a batch per table and run
    assert first == {
        name: 2
        for name in (
            "auth_sessions",
            "otp_codes",
            "idempotency_keys",
            "jobs",
            "dev_messages",
            "throttle_hits",
        )
    }
    for _ in range(3):
        async with ctx.db.unit_of_work() as session:
            await purge(session, retention)
    after = await counts(ctx)
    assert after == {
        "auth_sessions": EXPIRED,  # the live ones; the expired and the revoked went
        "refresh_tokens": EXPIRED,  # with their sessions
        "otp_codes": EXPIRED,  # expired 5 minutes ago: inside the retention (and the send window)
        "idempotency_keys": EXPIRED,
        "jobs": EXPIRED + 1,  # recent done jobs, and the failed one
        "dev_messages": EXPIRED,
        "throttle_hits": EXPIRED,
    }
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Job).where(Job.status == FAILED)) == 1
        assert (
            await session.scalar(
                select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_not(None))
            )
            == 0
        )


async def test_the_periodic_job_runs_again_while_a_table_had_more(ctx: AppContext, runner: JobRunner) -> None:
    await seed(ctx)
    runner.services["app"].settings = with_settings(ctx.settings, purge_batch_size=2)
    await runner.drain()  # the hourly schedule is due at once
    assert (await counts(ctx))["dev_messages"] == 2 * EXPIRED - 2
    async with ctx.db.unit_of_work(write=False) as session:
        again = await session.scalar(
            select(Job.run_at).where(Job.kind == PRUNE_JOB, Job.status == "queued", Job.run_at > utcnow())
        )
    assert again == NOW + timedelta(minutes=1)
    clock.freeze(NOW + timedelta(minutes=1))
    await runner.drain()
    assert (await counts(ctx))["dev_messages"] == EXPIRED
