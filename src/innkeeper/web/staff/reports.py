"""Reports in the console: occupancy, ADR and RevPAR over time and revenue by source, drawn as SVG on
the server (no chart library, no script), with CSV downloads of the same figures. The numbers are
``innkeeper.reports``' own (the API's ``/reports/occupancy`` and ``/reports/revenue``), read on the
reports database like the API reads them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response

from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.reports.csv_export import csv_response
from innkeeper.reports.occupancy import occupancy_report
from innkeeper.reports.revenue_report import RevenueGroup, revenue_report
from innkeeper.reports.source import DateRange, GroupBy, date_range, read_only
from innkeeper.web.staff.deps import Staff, StaffRoute, page, staff_at
from innkeeper.web.staff.forms import parse_date

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

#: the chart's drawing box (the SVG scales to its container)
WIDTH, HEIGHT, PAD = 640, 220, 32


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


def bars(values: list[tuple[str, Decimal, str]]) -> list[Bar]:
    """Vertical bars scaled to the largest value: (label, value, shown text) each."""
    if not values:
        return []
    top = max((v for _, v, _ in values), default=Decimal(0)) or Decimal(1)
    step = (WIDTH - 2 * PAD) / len(values)
    out = []
    for i, (label, value, shown) in enumerate(values):
        height = float(value / top) * (HEIGHT - 2 * PAD)
        out.append(
            Bar(
                x=round(PAD + i * step + step * 0.1, 1),
                y=round(HEIGHT - PAD - height, 1),
                width=round(step * 0.8, 1),
                height=round(height, 1),
                label=label,
                value=shown,
            )
        )
    return out


def _range(staff: Staff, start: str | None, end: str | None) -> DateRange:
    today = local_today(staff.prop.timezone)
    first = parse_date(start) or today - timedelta(days=today.day - 1)
    last = parse_date(end) or (first + timedelta(days=32)).replace(day=1)
    return date_range(first, last)


def _group(value: str | None) -> GroupBy:
    try:
        return GroupBy(value or "day")
    except ValueError:
        return GroupBy.day


async def _figures(request: Request, staff: Staff, rng: DateRange, group_by: GroupBy) -> dict[str, Any]:
    async with read_only(request.app.state.ctx) as reading:
        occupancy = await occupancy_report(reading, staff.prop, rng, group_by)
        revenue = await revenue_report(reading, staff.prop, rng, RevenueGroup.source)
    return {"occupancy": occupancy, "revenue": revenue}


@router.get("/staff/p/{property_id}/reports")
async def reports_page(
    request: Request,
    property_id: uuid.UUID,
    session: DbSession,
    start: str | None = None,
    end: str | None = None,
    group_by: str | None = None,
) -> Response:
    staff = await staff_at(request, session, property_id, Action.reports_view)
    grouping = _group(group_by)
    try:
        rng = _range(staff, start, end)
    except AppError as exc:
        today = local_today(staff.prop.timezone)
        context = {
            "error": exc.detail,
            "rng": DateRange(today, today + timedelta(days=1)),
            "group_by": grouping,
        }
        return page(request, staff, "staff/reports.html", {**context, "figures": None}, exc.status)
    figures = await _figures(request, staff, rng, grouping)
    occupancy = figures["occupancy"]
    charts = {
        "occupancy": bars(
            [
                (r["period"], Decimal(r["occupancy"]) * 100, f"{Decimal(r['occupancy']) * 100:.1f}%")
                for r in occupancy
            ]
        ),
        "revpar": bars(
            [(r["period"], Decimal(r["revpar"]["amount"]), r["revpar"]["amount"]) for r in occupancy]
        ),
        "revenue": bars(
            [
                (r["label"], Decimal(r["revenue"]["amount"]), r["revenue"]["amount"])
                for r in figures["revenue"]["items"]
            ]
        ),
    }
    context = {
        "figures": figures,
        "charts": charts,
        "rng": rng,
        "group_by": grouping,
        "box": {"width": WIDTH, "height": HEIGHT, "pad": PAD},
        "error": None,
    }
    return page(request, staff, "staff/reports.html", context)


@router.get("/staff/p/{property_id}/reports/{name}.csv")
async def report_csv(
    request: Request,
    property_id: uuid.UUID,
    name: str,
    session: DbSession,
    start: str | None = None,
    end: str | None = None,
    group_by: str | None = None,
) -> Response:
    """The figures of the page as CSV (``occupancy`` or ``revenue``), the API's flattening of money."""
    staff = await staff_at(request, session, property_id, Action.reports_view)
    rng = _range(staff, start, end)
    figures = await _figures(request, staff, rng, _group(group_by))
    rows = figures["occupancy"] if name == "occupancy" else figures["revenue"]["items"]
    return csv_response(rows, f"{name if name == 'occupancy' else 'revenue'}-{_stamp(rng.start)}")


def _stamp(day: date) -> str:
    return day.isoformat()
