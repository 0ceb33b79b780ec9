"""Housekeeping: the ``kit.prune`` periodic job deletes what only grows, a bounded batch per table and run.

* ``auth_sessions`` (with, by cascade, their ``refresh_tokens``): expired or revoked longer ago than
  ``session_retention_days`` (30);
* ``otp_codes``: expired longer ago than ``otp_retention_hours`` (24), and never inside the OTP send
  window (the send limit counts them);
* ``idempotency_keys``: past their own ``expires_at`` (``kit.idempotency.RETENTION``);
* ``jobs`` (the outbox): done longer ago than ``outbox_retention_days`` (7); failed jobs stay until
  retried;
* ``dev_messages`` (the development outbox): sent longer ago than ``outbox_retention_days``;
* ``throttle_hits``: older than a day (the longest throttle window).

Each table loses at most ``purge_batch_size`` rows per run, so a run never holds locks or bloats the
write-ahead log for long; a table that had more gets another run a minute later. The kit imports no
domain, so the identity tables are found by name in the shared metadata (a table whose package is not
loaded is skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import ColumnElement, Table, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base
from innkeeper.kit.jobs import DONE, JobContext, enqueue, registry

log = structlog.get_logger(__name__)

PRUNE_JOB = "kit.prune"
#: a run that found more than a batch in some table is followed by another this much later
AGAIN_AFTER = timedelta(minutes=1)


class RetentionSettings(Protocol):
    @property
    def purge_batch_size(self) -> int: ...
    @property
    def session_retention_days(self) -> int: ...
    @property
    def otp_retention_hours(self) -> int: ...
    @property
    def otp_send_window_seconds(self) -> int: ...
    @property
    def outbox_retention_days(self) -> int: ...


@dataclass(frozen=True)
class Retention:
    """The cut-off instants of one run, and its batch size."""

    batch: int
    sessions_before: datetime
    otp_before: datetime
    outbox_before: datetime
    throttle_before: datetime
    now: datetime

    @classmethod
    def from_settings(cls, settings: RetentionSettings, now: datetime | None = None) -> Retention:
        now = now or utcnow()
        otp = max(
            timedelta(hours=settings.otp_retention_hours), timedelta(seconds=settings.otp_send_window_seconds)
        )
        return cls(
            batch=settings.purge_batch_size,
            sessions_before=now - timedelta(days=settings.session_retention_days),
            otp_before=now - otp,
            outbox_before=now - timedelta(days=settings.outbox_retention_days),
            throttle_before=now - timedelta(days=1),
            now=now,
        )


Condition = Callable[[Table, Retention], ColumnElement[bool]]

#: table name -> which of its rows may go
PURGES: dict[str, Condition] = {
    "auth_sessions": lambda t, r: or_(t.c.expires_at < r.sessions_before, t.c.revoked_at < r.sessions_before),
    "otp_codes": lambda t, r: t.c.expires_at < r.otp_before,
    "idempotency_keys": lambda t, r: t.c.expires_at <= r.now,
    "jobs": lambda t, r: (t.c.status == DONE) & (t.c.finished_at < r.outbox_before),
    "dev_messages": lambda t, r: t.c.sent_at < r.outbox_before,
    "throttle_hits": lambda t, r: t.c.at < r.throttle_before,
}


async def purge(session: AsyncSession, retention: Retention) -> dict[str, int]:
    """Delete up to ``retention.batch`` expired rows of each table in :data:`PURGES`; returns how many
    went per table."""
    deleted: dict[str, int] = {}
    for name, condition in PURGES.items():
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        doomed = select(table.c.id).where(condition(table, retention)).limit(retention.batch)
        result = await session.execute(delete(table).where(table.c.id.in_(doomed.scalar_subquery())))
        deleted[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


@registry.periodic(PRUNE_JOB, every=timedelta(hours=1))
async def prune(job: JobContext, _payload: dict[str, Any]) -> None:
    """Forget what only grows (see the module's docstring); failed jobs stay."""
    retention = Retention.from_settings(job.services["app"].settings)
    async with job.db.unit_of_work() as session:
        deleted = await purge(session, retention)
        more = any(count >= retention.batch for count in deleted.values())
        if more:
            enqueue(session, PRUNE_JOB, {"again": True}, run_at=retention.now + AGAIN_AFTER, max_attempts=1)
    if any(deleted.values()):
        log.info("kit.pruned", more=more, deleted=", ".join(f"{k} {v}" for k, v in deleted.items() if v))
