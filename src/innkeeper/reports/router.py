"""Report HTTP: payments per day for a property's staff, the platform-wide reconciliation and the
platform admin's figures across properties; the other staff reports are in ``staff_router``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from innkeeper.identity.deps import Ctx, PlatformAdmin, property_action
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.problems import problem_responses
from innkeeper.reports import admin as across
from innkeeper.reports import payments as reports
from innkeeper.reports import staff_router
from innkeeper.reports.csv_export import CSV_RESPONSE, Format, csv_response, wants_csv
from innkeeper.reports.schemas import AdminOccupancyOut, AdminRevenueOut, PaymentsReportOut, ReconcileOut
from innkeeper.reports.source import date_range, read_only

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
router.include_router(staff_router.router)


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


From = Annotated[date | None, Query(alias="from", description="Inclusive, in each property's time zone")]
To = Annotated[date | None, Query(description="Exclusive; at most 366 days after from")]
Fmt = Annotated[Format | None, Query(alias="format", description="csv: the same as Accept: text/csv")]
ADMIN_REPORT = problem_responses((422, "report.range")) | CSV_RESPONSE


@admin.get("/reports/occupancy", response_model=AdminOccupancyOut, responses=ADMIN_REPORT)
async def occupancy_across(
    request: Request, ctx: Ctx, _admin: PlatformAdmin, from_: From = None, to: To = None, fmt: Fmt = None
) -> Any:
    """Occupancy, ADR, RevPAR and room revenue of every property, and per currency (CSV: the
    properties)."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        data = await across.occupancy_across(session, rng)
    return csv_response(data["items"], "occupancy-by-property") if wants_csv(request, fmt) else data


@admin.get("/reports/revenue", response_model=AdminRevenueOut, responses=ADMIN_REPORT)
async def revenue_across(
    request: Request, ctx: Ctx, _admin: PlatformAdmin, from_: From = None, to: To = None, fmt: Fmt = None
) -> Any:
    """Revenue per stream of every property, and per currency (CSV: the properties)."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        data = await across.revenue_across(session, rng)
    return csv_response(data["items"], "revenue-by-property") if wants_csv(request, fmt) else data
