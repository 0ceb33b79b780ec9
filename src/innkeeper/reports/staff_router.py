"""Report HTTP for a property's staff: dashboard, front-desk lists, occupancy, revenue, bookings,
utilization, customers. Included by ``reports.router``.

Each endpoint checks the caller's role on the request's own unit of work (``property_action``), then
reads everything through :func:`innkeeper.reports.source.read_only`. JSON by default; CSV with
``?format=csv`` or ``Accept: text/csv``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from innkeeper.identity.deps import Ctx, property_action
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import local_today
from innkeeper.kit.http import UnitOfWorkRoute
from innkeeper.kit.problems import problem_responses
from innkeeper.reports import frontdesk
from innkeeper.reports.bookings_stats import booking_stats
from innkeeper.reports.csv_export import CSV_RESPONSE, Format, csv_response, wants_csv
from innkeeper.reports.customers import customers_report
from innkeeper.reports.dashboard import dashboard
from innkeeper.reports.occupancy import occupancy_report
from innkeeper.reports.revenue_report import RevenueGroup, revenue_report
from innkeeper.reports.schemas import (
    BookingStatsOut,
    CustomersOut,
    DashboardOut,
    DeskListOut,
    OccupancyOut,
    RevenueOut,
    UtilizationOut,
)
from innkeeper.reports.source import GroupBy, date_range, property_of, read_only
from innkeeper.reports.utilization import utilization_report

router = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["reports"],
    responses=problem_responses(401, (403, "auth.role"), (404, "property.not_found"), 422),
)

Reports = Annotated[User, Depends(property_action(Action.reports_view))]
Desk = Annotated[User, Depends(property_action(Action.booking_view))]
From = Annotated[date | None, Query(alias="from", description="Property-local date, inclusive")]
To = Annotated[date | None, Query(description="Property-local date, exclusive; at most 366 days after from")]
Fmt = Annotated[Format | None, Query(alias="format", description="csv: the same as Accept: text/csv")]
Day = Annotated[
    date | None, Query(alias="date", description="Property-local date; default: the property's today")
]
REPORT = problem_responses((422, "report.range")) | CSV_RESPONSE

OCCUPANCY_COLUMNS = (
    "period", "start", "end", "rooms_available", "rooms_sold", "occupancy",
    "adr", "adr_currency", "revpar", "revpar_currency", "room_revenue", "room_revenue_currency",
)  # fmt: skip
REVENUE_COLUMNS = ("key", "label", "bookings", "revenue", "revenue_currency")
UTILIZATION_COLUMNS = ("resource_id", "name", "kind", "available_hours", "booked_hours", "utilization")
TOP_COLUMNS = ("name", "email", "bookings", "visits", "revenue", "revenue_currency")
DESK_COLUMNS = (
    "reference", "status", "source", "guest_name", "guests", "guests_count", "room_type.name", "rooms",
    "rooms_count", "checkin", "checkout", "nights", "total", "total_currency", "balance_due",
    "balance_due_currency", "booking_id",
)  # fmt: skip


@router.get("/properties/{property_id}/dashboard", response_model=DashboardOut, responses=CSV_RESPONSE)
async def get_dashboard(
    property_id: uuid.UUID, request: Request, ctx: Ctx, _staff: Reports, day: Day = None, fmt: Fmt = None
) -> Any:
    """The property's day: front desk counts, the night's occupancy, the day's revenue, rooms by
    housekeeping status, hourly bookings."""
    async with read_only(ctx) as session:
        prop = await property_of(session, property_id)
        data = await dashboard(session, prop, day or local_today(prop.timezone))
    return csv_response([data], "dashboard") if wants_csv(request, fmt) else data


async def _desk(
    ctx: Any, property_id: uuid.UUID, which: frontdesk.DeskList, day: date | None, limit: int, offset: int
) -> dict[str, Any]:
    async with read_only(ctx) as session:
        prop = await property_of(session, property_id)
        return await frontdesk.desk_list(
            session, prop, which, day or local_today(prop.timezone), limit=limit, offset=offset
        )


Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


#: the front desk's three lists: (list, path and CSV name, what the list holds)
DESK_LISTS = (
    (
        frontdesk.DeskList.arrivals,
        "arrivals",
        "Sold stays arriving on the date (expected, or already checked in).",
    ),
    (
        frontdesk.DeskList.departures,
        "departures",
        "Stays leaving on the date: checked in and due out, or checked out that day.",
    ),
    (
        frontdesk.DeskList.in_house,
        "in-house",
        "Guests whose night of the date is theirs (checked in, or checked out since).",
    ),
)


def _desk_route(which: frontdesk.DeskList, name: str, doc: str) -> Callable[..., Awaitable[Any]]:
    async def endpoint(
        property_id: uuid.UUID,
        request: Request,
        ctx: Ctx,
        _staff: Desk,
        day: Day = None,
        limit: Limit = 100,
        offset: Offset = 0,
        fmt: Fmt = None,
    ) -> Any:
        data = await _desk(ctx, property_id, which, day, limit, offset)
        return csv_response(data["items"], name, DESK_COLUMNS) if wants_csv(request, fmt) else data

    endpoint.__name__ = which.value  # the operation id, as when these were three functions
    endpoint.__doc__ = doc
    return endpoint


for _which, _name, _doc in DESK_LISTS:
    router.get(f"/properties/{{property_id}}/{_name}", response_model=DeskListOut, responses=CSV_RESPONSE)(
        _desk_route(_which, _name, _doc)
    )


@router.get("/properties/{property_id}/reports/occupancy", response_model=OccupancyOut, responses=REPORT)
async def occupancy(
    property_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    _staff: Reports,
    from_: From = None,
    to: To = None,
    group_by: GroupBy = GroupBy.day,
    fmt: Fmt = None,
) -> Any:
    """Rooms available and sold, occupancy, ADR, RevPAR and room revenue per day, ISO week or month."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        prop = await property_of(session, property_id)
        items = await occupancy_report(session, prop, rng, group_by)
    if wants_csv(request, fmt):
        return csv_response(items, "occupancy", OCCUPANCY_COLUMNS)
    return {"from": rng.start, "to": rng.end, "group_by": group_by.value, "items": items, "total": len(items)}


@router.get("/properties/{property_id}/reports/revenue", response_model=RevenueOut, responses=REPORT)
async def revenue(
    property_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    _staff: Reports,
    from_: From = None,
    to: To = None,
    group_by: RevenueGroup = RevenueGroup.source,
    fmt: Fmt = None,
) -> Any:
    """Revenue net of tax and discounts by booking source, room type, service category or resource."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        prop = await property_of(session, property_id)
        data = await revenue_report(session, prop, rng, group_by)
    return csv_response(data["items"], "revenue", REVENUE_COLUMNS) if wants_csv(request, fmt) else data


@router.get("/properties/{property_id}/reports/bookings", response_model=BookingStatsOut, responses=REPORT)
async def bookings(
    property_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    _staff: Reports,
    from_: From = None,
    to: To = None,
    fmt: Fmt = None,
) -> Any:
    """Bookings created in the range: how many were confirmed, cancelled, no-shows; lead time, length."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        data = await booking_stats(session, await property_of(session, property_id), rng)
    return csv_response([data], "bookings") if wants_csv(request, fmt) else data


@router.get("/properties/{property_id}/reports/utilization", response_model=UtilizationOut, responses=REPORT)
async def utilization(
    property_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    _staff: Reports,
    from_: From = None,
    to: To = None,
    fmt: Fmt = None,
) -> Any:
    """Booked hours over available hours (weekly windows and exceptions) per hourly resource."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        data = await utilization_report(session, await property_of(session, property_id), rng)
    if wants_csv(request, fmt):
        return csv_response(data["items"], "utilization", UTILIZATION_COLUMNS)
    return data


@router.get("/properties/{property_id}/reports/customers", response_model=CustomersOut, responses=REPORT)
async def customers(
    property_id: uuid.UUID,
    request: Request,
    ctx: Ctx,
    _staff: Reports,
    from_: From = None,
    to: To = None,
    fmt: Fmt = None,
) -> Any:
    """Customers arriving in the range, repeat customers, the top ten by revenue (CSV: the top ten)."""
    rng = date_range(from_, to)
    async with read_only(ctx) as session:
        data = await customers_report(session, await property_of(session, property_id), rng)
    return csv_response(data["top"], "customers", TOP_COLUMNS) if wants_csv(request, fmt) else data
