"""Hourly resources: the day schedule (resources x hours, with bookings and exceptions) and a resource's
weekly windows and exceptions, through the API's own use cases (``inventory.schedule``: ``day_schedule``,
``set_windows``, ``add_exception``, ``delete_exception``).

Scoping is the API's: ``schedule.view`` to read, ``schedule.manage`` to change, and a professional
reaches only the resource linked to their account (``catalog.resources.list_resources`` /
``resource_for``: another resource is 403). The windows form is checked by the API's own body model
(``AvailabilityIn``), so the rules (HH:MM, no overlap, never across midnight) are one."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from innkeeper.catalog import resources
from innkeeper.catalog.models import Resource
from innkeeper.identity.permissions import Action
from innkeeper.inventory import hourly, schedule
from innkeeper.inventory.hourly_schemas import AvailabilityIn, ExceptionIn
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import field_messages, parse_date, text, validation_messages

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: the hours shown when no resource is open that day
DEFAULT_HOURS = (8, 20)
#: how far ahead a resource's page lists its exceptions
EXCEPTION_DAYS = 90


def _hour_cells(item: dict[str, Any], day: date, tz: ZoneInfo, hours: range) -> list[str]:
    """Each hour's state: ``booked`` (a booking holds part of it), ``free`` (open and not held) or
    ``closed``."""

    def spans(key: str) -> list[tuple[datetime, datetime]]:
        return [(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in item[key]]

    booked, free = spans("bookings"), spans("free")
    out = []
    for hour in hours:
        lo, hi = hourly.wall_instant(day, hour * 60, tz), hourly.wall_instant(day, hour * 60 + 60, tz)
        if any(s < hi and e > lo for s, e in booked):
            out.append("booked")
        elif any(s < hi and e > lo for s, e in free):
            out.append("free")
        else:
            out.append("closed")
    return out


def _hours(items: list[dict[str, Any]]) -> range:
    """From the earliest opening to the latest closing hour of the day (whole hours)."""
    starts = [datetime.fromisoformat(o["start"]) for i in items for o in i["open"] + i["bookings"]]
    ends = [datetime.fromisoformat(o["end"]) for i in items for o in i["open"] + i["bookings"]]
    if not starts:
        return range(*DEFAULT_HOURS)
    first = min(s.hour for s in starts)
    last = max(24 if e.hour == 0 and e.minute == 0 else e.hour + (1 if e.minute else 0) for e in ends)
    return range(first, max(last, first + 1))


@router.get("/staff/p/{property_id}/schedule")
async def day_view(
    request: Request,
    property_id: uuid.UUID,
    session: DbSession,
    when: Annotated[str | None, Query(alias="date")] = None,
) -> Response:
    staff = await staff_at(request, session, property_id, Action.schedule_view)
    tz = ZoneInfo(staff.prop.timezone)
    day = parse_date(when) or local_today(staff.prop.timezone)
    rows = [r for r in await resources.list_resources(session, staff.user, property_id) if r.is_active]
    items = await schedule.day_schedule(session, staff.prop, rows, day)
    lo, hi = hourly.day_bounds(day, tz)
    hours = _hours(items)
    for resource, item in zip(rows, items, strict=True):
        item["cells"] = _hour_cells(item, day, tz, hours)
        item["exceptions"] = [
            schedule.exception_to_api(x, tz)
            for x in await schedule.list_exceptions(session, resource.id, lo, hi)
        ]
    return page(
        request,
        staff,
        "staff/schedule.html",
        {
            "day": day,
            "items": items,
            "hours": list(hours),
            "prev": (day - timedelta(days=1)).isoformat(),
            "next": (day + timedelta(days=1)).isoformat(),
        },
    )


# -- one resource: weekly windows and exceptions ---------------------------------------------------------


async def _resource(
    request: Request, session: DbSession, property_id: uuid.UUID, resource_id: uuid.UUID, action: Action
) -> tuple[Staff, Resource]:
    staff = await staff_at(request, session, property_id, action)
    return staff, await resources.resource_for(session, staff.user, property_id, resource_id)


def _windows_text(windows: list[Any]) -> list[str]:
    """Each weekday's windows as ``09:00-13:00, 14:00-18:00`` (what the form shows and reads)."""
    per_day: list[list[str]] = [[] for _ in WEEKDAYS]
    for window in windows:
        shown = schedule.window_to_api(window)
        per_day[window.weekday].append(f"{shown['start']}-{shown['end']}")
    return [", ".join(spans) for spans in per_day]


async def _resource_page(
    request: Request,
    session: DbSession,
    staff: Staff,
    resource: Resource,
    *,
    v: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    done: str = "",
    status: int = 200,
) -> Response:
    tz = ZoneInfo(staff.prop.timezone)
    today = local_today(staff.prop.timezone)
    lo = hourly.wall_instant(today, 0, tz)
    found = await schedule.list_exceptions(session, resource.id, lo, lo + timedelta(days=EXCEPTION_DAYS))
    windows = _windows_text(await hourly.windows_of(session, resource.id))
    return page(
        request,
        staff,
        "staff/resource_schedule.html",
        {
            "resource": resource,
            "weekdays": WEEKDAYS,
            "windows": windows,
            "exceptions": [schedule.exception_to_api(x, tz) for x in found],
            "today": today,
            "v": v or {},
            "errors": errors or {},
            "error": error,
            "done": done[:20],
        },
        status,
    )


@router.get("/staff/p/{property_id}/schedule/{resource_id}")
async def resource_view(
    request: Request, property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession, done: str = ""
) -> Response:
    staff, resource = await _resource(request, session, property_id, resource_id, Action.schedule_view)
    return await _resource_page(request, session, staff, resource, done=done)


def _read_windows(form: Any) -> AvailabilityIn:
    """``wd_0`` .. ``wd_6``: ``HH:MM-HH:MM`` spans separated by commas, checked by the API's model."""
    windows = []
    for weekday in range(len(WEEKDAYS)):
        for span in filter(None, (s.strip() for s in text(form, f"wd_{weekday}", 200).split(","))):
            start, _, end = span.partition("-")
            windows.append({"weekday": weekday, "start": start.strip(), "end": end.strip()})
    return AvailabilityIn.model_validate({"windows": windows})


@router.post("/staff/p/{property_id}/schedule/{resource_id}/windows")
async def save_windows(
    request: Request, property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff, resource = await _resource(request, session, property_id, resource_id, Action.schedule_manage)
    form = await request.form()
    try:
        data = _read_windows(form)
    except ValidationError as exc:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        message = "; ".join(validation_messages(exc).values())
        return await _resource_page(request, session, staff, resource, v=values, error=message, status=422)
    await schedule.set_windows(
        session, staff.prop, resource, [w.minutes() for w in data.windows], actor(request, staff)
    )
    return redirect(f"{staff.base}/schedule/{resource.id}?done=windows")


def _wall(day: date | None, clock: str) -> datetime | None:
    """A form's date and ``HH:MM`` as a naive local time; ``24:00`` is the next midnight."""
    if day is None:
        return None
    if clock == "24:00":
        return datetime.combine(day + timedelta(days=1), time())
    return datetime.combine(day, time.fromisoformat(clock))


def _read_exception(form: Any, timezone: str) -> tuple[datetime, datetime, ExceptionIn]:
    first = parse_date(form.get("start_date"))
    last = parse_date(form.get("end_date")) or first
    try:
        data = ExceptionIn.model_validate(
            {
                "start": _wall(first, text(form, "start_time", 5)),
                "end": _wall(last, text(form, "end_time", 5)),
                "kind": text(form, "kind", 10),
                "reason": text(form, "reason", 200) or None,
            }
        )
    except ValueError as exc:  # a pydantic ValidationError, or a time that is not HH:MM
        errors = (
            [{"field": k, "message": m} for k, m in validation_messages(exc).items()]
            if isinstance(exc, ValidationError)
            else [{"field": "start_time", "message": "Enter times as HH:MM"}]
        )
        raise ValidationFailed("Please check the dates and times", errors=errors) from exc
    start = hourly.local_instant(data.start, timezone, field="start")
    return start, hourly.local_instant(data.end, timezone, field="end"), data


@router.post("/staff/p/{property_id}/schedule/{resource_id}/exceptions")
async def add_exception(
    request: Request, property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff, resource = await _resource(request, session, property_id, resource_id, Action.schedule_manage)
    form = await request.form()
    try:
        start, end, data = _read_exception(form, staff.prop.timezone)
        async with session.begin_nested():
            await schedule.add_exception(
                session,
                staff.prop,
                resource,
                start=start,
                end=end,
                kind=data.kind,
                reason=data.reason,
                actor=actor(request, staff),
            )
    except AppError as exc:
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return await _resource_page(
            request,
            session,
            staff,
            resource,
            v=values,
            errors=field_messages(exc.errors),
            error=exc.detail,
            status=exc.status,
        )
    return redirect(f"{staff.base}/schedule/{resource.id}?done=added")


@router.post("/staff/p/{property_id}/schedule/{resource_id}/exceptions/{exception_id}/delete")
async def delete_exception(
    request: Request,
    property_id: uuid.UUID,
    resource_id: uuid.UUID,
    exception_id: uuid.UUID,
    session: DbSession,
    _csrf: CsrfChecked,
) -> Response:
    staff, resource = await _resource(request, session, property_id, resource_id, Action.schedule_manage)
    await schedule.delete_exception(session, staff.prop, resource, exception_id, actor(request, staff))
    return redirect(f"{staff.base}/schedule/{resource.id}?done=removed")
