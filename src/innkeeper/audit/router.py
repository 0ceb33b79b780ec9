"""The audit log for staff and platform admins.

The audit package sits below identity (it records identity's changes too), so it cannot import the
permission checks: ``app.py`` hands them in, as it does for the kit's admin routes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from innkeeper.audit import service
from innkeeper.audit.schemas import AuditEntryOut, AuditList
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import PageParams
from innkeeper.kit.problems import problem_responses

RANGE_INVALID = "audit.range"


def _utc(moment: datetime | None) -> datetime | None:
    """An instant without an offset is read as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


async def _filters(
    entity: Annotated[
        str | None, Query(max_length=40, description="The kind of thing changed: booking, room_type, …")
    ] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="The user who acted")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=80,
            pattern=r"^[A-Za-z0-9_.\-]+\*?$",
            description="An action (`booking.cancelled`), or a prefix ending in `*` (`booking.*`)",
        ),
    ] = None,
    from_: Annotated[
        datetime | None, Query(alias="from", description="Inclusive; ISO 8601, UTC when no offset")
    ] = None,
    to: Annotated[datetime | None, Query(description="Exclusive; ISO 8601, UTC when no offset")] = None,
) -> service.AuditFilter:
    since, until = _utc(from_), _utc(to)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed("`from` must be before `to`", code=RANGE_INVALID)
    return service.AuditFilter(
        entity=entity, entity_id=entity_id, actor_id=actor_id, action=action, since=since, until=until
    )


Filters = Annotated[service.AuditFilter, Depends(_filters)]


async def _page_of(session: DbSession, where: service.AuditFilter, page: Any) -> AuditList:
    rows, total = await service.list_entries(session, where, limit=page.limit, offset=page.offset)
    return AuditList(items=[AuditEntryOut.of(row) for row in rows], total=total)


def audit_routes(require_admin: Callable[..., Any], require_auditor: Callable[..., Any]) -> APIRouter:
    """``require_admin``: a platform admin (401/403 otherwise). ``require_auditor``: a dependency on the
    path's ``property_id`` that passes who may read the property's audit log (owner, manager, admins),
    is 403 for other members and 404 for anyone else."""
    router = APIRouter(route_class=UnitOfWorkRoute, tags=["audit"])

    @router.get(
        "/properties/{property_id}/audit",
        response_model=AuditList,
        dependencies=[Depends(require_auditor)],
        responses=problem_responses(
            401, (403, "auth.role"), (404, "property.not_found"), (422, RANGE_INVALID)
        ),
    )
    async def property_audit(
        property_id: uuid.UUID, session: DbSession, where: Filters, page: PageParams
    ) -> AuditList:
        """Who changed what at the property, newest first: bookings, rooms, rates, staff, payments."""
        return await _page_of(session, _at_property(where, property_id), page)

    @router.get(
        "/admin/audit",
        response_model=AuditList,
        tags=["admin"],
        dependencies=[Depends(require_admin)],
        responses=problem_responses(401, (403, "auth.admin_only"), (422, RANGE_INVALID)),
    )
    async def platform_audit(
        session: DbSession,
        where: Filters,
        page: PageParams,
        property_id: Annotated[uuid.UUID | None, Query(description="One property's entries only")] = None,
    ) -> AuditList:
        """The whole platform's audit log, newest first (sign-ins, accounts, every property)."""
        return await _page_of(session, _at_property(where, property_id), page)

    return router


def _at_property(where: service.AuditFilter, property_id: uuid.UUID | None) -> service.AuditFilter:
    return replace(where, property_id=property_id)
