"""Write audit rows in the caller's transaction: the row exists iff the change it describes does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.models import AuditEntry


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
) -> AuditEntry:
    entry = AuditEntry(
        actor_user_id=actor.user_id,
        actor_ip=actor.ip,
        request_id=actor.request_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        property_id=property_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry
