"""The audit log as the API shows it (``GET /properties/{id}/audit``, ``GET /admin/audit``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from innkeeper.audit.models import AuditEntry
from innkeeper.kit.pagination import ListOf


class AuditChanges(BaseModel):
    before: dict[str, Any] | None = Field(description="The fields before the change (when it had a before)")
    after: dict[str, Any] | None = Field(description="The fields after it, or what the action recorded")


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None = Field(description="The user who acted; null for jobs and the system")
    action: str = Field(examples=["booking.cancelled"])
    entity: str = Field(examples=["booking"])
    entity_id: str
    property_id: uuid.UUID | None
    ip: str | None = Field(description="The client address the change came from")
    request_id: str | None = Field(
        description="The request's X-Request-ID (its log lines and traces carry it); `job:<name>` for jobs"
    )
    changes: AuditChanges

    @classmethod
    def of(cls, row: AuditEntry) -> AuditEntryOut:
        return cls(
            id=row.id,
            at=row.at,
            actor_id=row.actor_user_id,
            action=row.action,
            entity=row.entity_type,
            entity_id=row.entity_id,
            property_id=row.property_id,
            ip=row.actor_ip,
            request_id=row.request_id,
            changes=AuditChanges(before=row.before, after=row.after),
        )


class AuditList(ListOf[AuditEntryOut]):
    pass
