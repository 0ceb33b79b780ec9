"""Housekeeping periodic jobs that belong to the kit's own tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from innkeeper.kit import idempotency, throttle
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import DONE, Job, JobContext, registry


@registry.periodic("kit.prune", every=timedelta(hours=1))
async def prune(job: JobContext, _payload: dict[str, Any]) -> None:
    """Forget old throttle hits, expired idempotency keys and finished jobs (failed jobs stay)."""
    async with job.db.unit_of_work() as session:
        await throttle.prune(session, older_than=timedelta(days=1))
        await idempotency.prune(session)
        await session.execute(
            delete(Job).where(Job.status == DONE, Job.finished_at < utcnow() - timedelta(days=7))
        )
