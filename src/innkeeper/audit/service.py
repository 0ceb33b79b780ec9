"""Write audit rows in the caller's transaction: the row exists iff the change it describes does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.models import AuditEntry
from innkeeper.kit.rows import add_row


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where; built once per request (or ``Actor.system(...)`` for jobs)."""

    user_id: uuid.UUID | None
    ip: str | None = None
    request_id: str | None = None

    @classmethod
    def system(cls, job: str = "system") -> Actor:
        """A background job or command: no user, no address; the job's name stands in the request id."""
        return cls(user_id=None, ip=None, request_id=f"job:{job}")


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    *,
    property_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Queue the entry: it is written with the transaction's next flush (``kit.rows``)."""
    add_row(
        session,
        AuditEntry,
        {
            "actor_user_id": actor.user_id,
            "actor_ip": actor.ip,
            "request_id": actor.request_id,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "property_id": property_id,
            "before": before,
            "after": after,
        },
    )


@dataclass(frozen=True)
class AuditFilter:
    """What ``GET …/audit`` narrows the log to; ``None`` fields do not narrow it."""

    property_id: uuid.UUID | None = None
    entity: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None
    #: an action (``booking.cancelled``), or a prefix ending in ``*`` (``booking.*``)
    action: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


async def list_entries(
    session: AsyncSession, where: AuditFilter, *, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """Entries newest first, and how many match in all."""
    conditions: list[ColumnElement[bool]] = []
    if where.property_id is not None:
        conditions.append(AuditEntry.property_id == where.property_id)
    if where.entity is not None:
        conditions.append(AuditEntry.entity_type == where.entity)
    if where.entity_id is not None:
        conditions.append(AuditEntry.entity_id == where.entity_id)
    if where.actor_id is not None:
        conditions.append(AuditEntry.actor_user_id == where.actor_id)
    if where.action is not None:
        if where.action.endswith("*"):
            prefix = where.action[:-1]
            conditions.append(AuditEntry.action.startswith(prefix, autoescape=True))
        else:
            conditions.append(AuditEntry.action == where.action)
    if where.since is not None:
        conditions.append(AuditEntry.at >= where.since)
    if where.until is not None:
        conditions.append(AuditEntry.at < where.until)
    rows = await session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    return list(rows.all()), int(total or 0)
