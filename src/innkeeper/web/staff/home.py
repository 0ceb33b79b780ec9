"""The console's way in: the property switcher (``/staff``), the dashboard of the day and the front
desk lists (arrivals, departures, in-house), which refresh themselves with htmx polling."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response

from innkeeper.catalog.models import Property
from innkeeper.catalog.service import list_properties_for
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import NotFound
from innkeeper.kit.http import DbSession
from innkeeper.reports import frontdesk
from innkeeper.reports.dashboard import dashboard
from innkeeper.reports.source import read_only
from innkeeper.web.pages import redirect, render
from innkeeper.web.staff.deps import StaffRoute, page, signed_in, staff_at
from innkeeper.web.staff.forms import parse_date

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

#: rows of each front-desk list shown (the API's CSV has them all)
DESK_ROWS = 200
DESK_LISTS = {
    "arrivals": (frontdesk.DeskList.arrivals, "Arrivals"),
    "departures": (frontdesk.DeskList.departures, "Departures"),
    "in-house": (frontdesk.DeskList.in_house, "In house"),
}
#: seconds between two refreshes of a front desk list
POLL_SECONDS = 30


@router.get("/staff")
async def switcher(request: Request, session: DbSession, all: str = "") -> Response:
    """The properties the member works at; one property goes straight to its console (unless the
    switcher is asked for)."""
    auth = await signed_in(request, session)
    rows, total = await list_properties_for(session, auth.user, limit=100, offset=0)
    if total == 1 and not all:
        prop, _role = rows[0]
        return redirect(f"/staff/p/{prop.id}")
    return render(request, "staff/switcher.html", {"rows": rows, "total": total, "staff": None})


@router.get("/staff/p/{property_id}")
async def day_dashboard(
    request: Request, property_id: uuid.UUID, session: DbSession, day: str | None = None
) -> Response:
    staff = await staff_at(request, session, property_id)
    if not staff.can(Action.reports_view):
        # a housekeeper starts on the page of their own work; a role with no section yet is told so
        home = staff.home()
        return redirect(home) if home else page(request, staff, "staff/nothing.html", {})
    when = parse_date(day) or local_today(staff.prop.timezone)
    async with read_only(request.app.state.ctx) as reading:
        data = await dashboard(reading, staff.prop, when)
    return page(request, staff, "staff/dashboard.html", {"d": data, "day": when})


@router.get("/staff/p/{property_id}/desk")
async def desk(
    request: Request, property_id: uuid.UUID, session: DbSession, day: str | None = None
) -> Response:
    staff = await staff_at(request, session, property_id, Action.booking_view)
    when = parse_date(day) or local_today(staff.prop.timezone)
    lists = {key: await _desk_list(request, staff.prop, key, when) for key in DESK_LISTS}
    return page(request, staff, "staff/desk.html", {"lists": lists, "day": when, "poll": POLL_SECONDS})


@router.get("/staff/p/{property_id}/desk/{which}")
async def desk_part(
    request: Request, property_id: uuid.UUID, which: str, session: DbSession, day: str | None = None
) -> Response:
    """htmx: one list, polled every ``POLL_SECONDS`` (the section swaps itself)."""
    staff = await staff_at(request, session, property_id, Action.booking_view)
    if which not in DESK_LISTS:
        raise NotFound("No such list")
    when = parse_date(day) or local_today(staff.prop.timezone)
    data = await _desk_list(request, staff.prop, which, when)
    return page(
        request, staff, "staff/_desk_list.html", {"key": which, "l": data, "day": when, "poll": POLL_SECONDS}
    )


async def _desk_list(request: Request, prop: Property, key: str, day: date) -> dict[str, Any]:
    which, title = DESK_LISTS[key]
    async with read_only(request.app.state.ctx) as reading:
        data = await frontdesk.desk_list(reading, prop, which, day, limit=DESK_ROWS, offset=0)
    return {**data, "title": title}
