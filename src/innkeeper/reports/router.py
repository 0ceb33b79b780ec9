"""Report HTTP: payments per day for a property's staff, and the platform-wide reconciliation."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from innkeeper.identity.deps import PlatformAdmin, property_action
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.problems import problem_responses
from innkeeper.reports import payments as reports
from innkeeper.reports.schemas import PaymentsReportOut, ReconcileOut

router = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["reports"],
    # scoped by ``property_action``: 404 to a stranger, 403 to a member whose role may not
    responses=problem_responses(401, (403, "auth.role"), (404, "property.not_found"), 422),
)
admin = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["admin"],
    prefix="/admin",
    responses=problem_responses(401, (403, "auth.admin_only")),
)


@admin.get("/billing/reconcile", response_model=ReconcileOut)
async def reconcile_all(session: DbSession, _admin: PlatformAdmin) -> dict[str, Any]:
    """Every booking's folio against its payments and refunds, and every wallet against its ledger."""
    checked, findings = await reports.reconcile(session)
    return {"ok": not findings, "bookings_checked": checked, "findings": [f.to_api() for f in findings]}


@router.get(
    "/properties/{property_id}/reports/payments",
    response_model=PaymentsReportOut,
    responses=problem_responses((422, "report.range")),
)
async def payments_report(
    property_id: uuid.UUID,
    session: DbSession,
    _staff: Annotated[User, Depends(property_action(Action.reports_view))],
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """Payments and refunds of the property's bookings per UTC day and gateway, for [from, to)."""
    start, end = reports.day_range(from_, to, utcnow().date())
    if end <= start or (end - start).days > 366:
        raise ValidationFailed("Choose a range of 1 to 366 days", code="report.range")
    items = await reports.payments_by_day(session, start, end, property_id=property_id)
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items, "total": len(items)}
