"""Rates and inventory: a calendar per room type (price, rooms left, closures, stay limits) and the
bulk edit of a date range on chosen weekdays (``PUT /properties/{id}/inventory``'s use case,
``inventory.service.bulk_update``: every day or none, past days and days beyond the horizon refused)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from innkeeper.catalog.models import RoomType
from innkeeper.identity.permissions import Action
from innkeeper.inventory import service as inventory
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.kit.money import Money
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import field_messages, parse_date, parse_int, parse_uuid, text

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

CALENDAR_DAYS = 28
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


async def _room_types(session: DbSession, staff: Staff) -> list[RoomType]:
    rows = await session.scalars(
        select(RoomType)
        .where(RoomType.property_id == staff.prop.id, RoomType.deleted_at.is_(None))
        .order_by(RoomType.name)
    )
    return list(rows.all())


async def _calendar(
    request: Request, session: DbSession, staff: Staff, room_type_id: str | None, start: str | None
) -> dict[str, Any]:
    types = await _room_types(session, staff)
    chosen = next((t for t in types if str(t.id) == room_type_id), types[0] if types else None)
    first = max(parse_date(start) or local_today(staff.prop.timezone), local_today(staff.prop.timezone))
    end = first + timedelta(days=CALENDAR_DAYS)
    days: list[Any] = []
    if chosen is not None:
        found = (await inventory.get_days(session, [chosen.id], first, end)).get(chosen.id, {})
        days = [{**inventory.day_to_api(found[d]), "weekend": d.weekday() >= 5} for d in sorted(found)]
    return {
        "types": types,
        "chosen": chosen,
        "days": days,
        "first": first,
        "prev": (first - timedelta(days=CALENDAR_DAYS)).isoformat(),
        "next": end.isoformat(),
        "weekdays": WEEKDAYS,
    }


@router.get("/staff/p/{property_id}/rates")
async def rates(
    request: Request,
    property_id: uuid.UUID,
    session: DbSession,
    room_type_id: str | None = None,
    start: str | None = None,
    done: str = "",
) -> Response:
    staff = await staff_at(request, session, property_id, Action.inventory_view)
    context = await _calendar(request, session, staff, room_type_id, start)
    return page(
        request,
        staff,
        "staff/rates.html",
        {**context, "errors": {}, "error": None, "done": done[:40], "v": {}},
    )


def _values(form: Any, currency: str) -> dict[str, Any]:
    """What to set on each chosen day: only the fields filled in."""
    values: dict[str, Any] = {}
    price = text(form, "price", 20)
    if price:
        money = Money.parse(price, currency, field="price")
        if money.minor < 0:
            raise ValidationFailed(
                "The price must not be negative",
                errors=[{"field": "price", "message": "must not be negative", "type": "negative"}],
            )
        values["price_minor"] = money.minor
    closed = form.get("closed")
    if closed in ("open", "close"):
        values["closed"] = closed == "close"
    min_stay = parse_int(form.get("min_stay"), None, 1, 365)
    if min_stay is not None:
        values["min_stay"] = min_stay
    return values


def _change(form: Any, staff: Staff) -> inventory.DayChange:
    room_type_id = parse_uuid(form.get("room_type_id"))
    start, until = parse_date(form.get("from")), parse_date(form.get("until"))
    errors = []
    if room_type_id is None:
        errors.append({"field": "room_type_id", "message": "Choose a room type", "type": "missing"})
    if start is None:
        errors.append({"field": "from", "message": "Enter a date", "type": "missing"})
    if until is None or (start is not None and until < start):
        errors.append({"field": "until", "message": "Enter a date on or after the first", "type": "range"})
    days = [i for i, name in enumerate(WEEKDAYS) if form.get(f"wd_{name.lower()}")]
    if errors or room_type_id is None or start is None or until is None:
        raise ValidationFailed("Please check the range", errors=errors)
    # the form's last day is inclusive (what a person means); the service's ``to`` is exclusive
    return inventory.DayChange(
        room_type_id,
        start,
        until + timedelta(days=1),
        frozenset(days) if days else None,
        _values(form, staff.prop.currency),
    )


@router.post("/staff/p/{property_id}/rates")
async def bulk_edit(
    request: Request, property_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.inventory_manage)
    form = await request.form()
    try:
        change = _change(form, staff)
        if not change.values:
            raise ValidationFailed("Fill in a price, a closure or a minimum stay to change")
        async with session.begin_nested():
            updated = await inventory.bulk_update(
                session,
                staff.prop,
                [change],
                request.app.state.ctx.settings.inventory_horizon_days,
                actor(request, staff),
            )
    except AppError as exc:
        rt = text(form, "room_type_id", 40) or None
        context = await _calendar(request, session, staff, rt, None)
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return page(
            request,
            staff,
            "staff/rates.html",
            {**context, "errors": field_messages(exc.errors), "error": exc.detail, "done": "", "v": values},
            exc.status,
        )
    return redirect(
        f"{staff.base}/rates?room_type_id={change.room_type_id}&start={change.start.isoformat()}&done={updated}"
    )
