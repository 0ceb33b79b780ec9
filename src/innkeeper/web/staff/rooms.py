"""The room rack (rooms by days with the stays placed in them, rooms out of order) and the housekeeping
board (clean / dirty / inspected), made to be used from a phone: one button press per room, htmx swaps
the room's row (a plain form post without script)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from sqlalchemy import and_, select

from innkeeper.bookings.models import Booking, RoomAssignment
from innkeeper.catalog import rooms as catalog_rooms
from innkeeper.catalog.models import Room, RoomType
from innkeeper.catalog.schemas import RoomPatch
from innkeeper.identity.deps import require_action
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import parse_date

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

RACK_DAYS = 14
HOUSEKEEPING = ("dirty", "clean", "inspected")


async def _types(session: DbSession, staff: Staff) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(RoomType.id, RoomType.name).where(RoomType.property_id == staff.prop.id)
    )
    return {rt_id: name for rt_id, name in rows}


async def _stays(
    session: DbSession, staff: Staff, start: date, end: date
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Each room's placed stays overlapping [start, end)."""
    rows = await session.execute(
        select(RoomAssignment, Booking)
        .join(Booking, Booking.id == RoomAssignment.booking_id)
        .where(
            Booking.property_id == staff.prop.id,
            RoomAssignment.active.is_(True),
            and_(RoomAssignment.start_date < end, RoomAssignment.end_date > start),
        )
    )
    out: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for a, b in rows:
        out.setdefault(a.room_id, []).append({"start": a.start_date, "end": a.end_date, "booking": b})
    return out


def _cells(stays: list[dict[str, Any]], days: list[date]) -> list[dict[str, Any]]:
    """The rack row of one room: one cell per day, a stay spanning its nights in view."""
    cells: list[dict[str, Any]] = []
    i = 0
    while i < len(days):
        day = days[i]
        stay = next((s for s in stays if s["start"] <= day < s["end"]), None)
        if stay is None:
            cells.append({"span": 1, "stay": None, "day": day})
            i += 1
            continue
        span = 1
        while i + span < len(days) and days[i + span] < stay["end"]:
            span += 1
        cells.append({"span": span, "stay": stay, "day": day})
        i += span
    return cells


@router.get("/staff/p/{property_id}/rack")
async def rack(
    request: Request, property_id: uuid.UUID, session: DbSession, start: str | None = None
) -> Response:
    staff = await staff_at(request, session, property_id, Action.rooms_view)
    first = parse_date(start) or local_today(staff.prop.timezone)
    days = [first + timedelta(days=n) for n in range(RACK_DAYS)]
    stays = await _stays(session, staff, days[0], days[-1] + timedelta(days=1))
    see_bookings = staff.can(Action.booking_view)
    rows = [
        {"room": room, "cells": _cells(stays.get(room.id, []) if see_bookings else [], days)}
        for room in await catalog_rooms.list_rooms(session, staff.prop.id)
    ]
    context = {
        "rows": rows,
        "days": days,
        "types": await _types(session, staff),
        "prev": (first - timedelta(days=7)).isoformat(),
        "next": (first + timedelta(days=7)).isoformat(),
    }
    return page(request, staff, "staff/rack.html", context)


@router.get("/staff/p/{property_id}/housekeeping")
async def board(request: Request, property_id: uuid.UUID, session: DbSession) -> Response:
    staff = await staff_at(request, session, property_id, Action.rooms_housekeeping)
    rooms = await catalog_rooms.list_rooms(session, staff.prop.id)
    context = {"rooms": rooms, "types": await _types(session, staff), "states": HOUSEKEEPING}
    return page(request, staff, "staff/housekeeping.html", context)


async def _update(
    request: Request, session: DbSession, staff: Staff, room_id: uuid.UUID, patch: RoomPatch
) -> Room:
    return await catalog_rooms.update_room(session, staff.prop, room_id, patch, actor(request, staff))


@router.post("/staff/p/{property_id}/rooms/{room_id}/housekeeping")
async def set_housekeeping(
    request: Request, property_id: uuid.UUID, room_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """The room's housekeeping status (``PATCH /properties/{id}/rooms/{room_id}`` with only
    ``housekeeping``: the ``rooms.housekeeping`` action)."""
    staff = await staff_at(request, session, property_id, Action.rooms_housekeeping)
    form = await request.form()
    try:
        patch = RoomPatch(housekeeping=form.get("housekeeping"))
    except ValidationError as exc:
        raise ValidationFailed("Choose clean, dirty or inspected") from exc
    room = await _update(request, session, staff, room_id, patch)
    if "hx-request" in request.headers:
        context = {"room": room, "types": await _types(session, staff), "states": HOUSEKEEPING, "saved": True}
        return page(request, staff, "staff/_hk_room.html", context)
    return redirect(f"{staff.base}/housekeeping#room-{room.id}")


@router.post("/staff/p/{property_id}/rooms/{room_id}/service")
async def set_service(
    request: Request, property_id: uuid.UUID, room_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """Take a room out of order or back in service (``rooms.manage``: it moves the inventory; 409 when
    fewer rooms would be left than are sold)."""
    staff = await staff_at(request, session, property_id, Action.rooms_view)
    await require_action(session, staff.user, property_id, Action.rooms_manage)
    form = await request.form()
    wanted = "out_of_order" if form.get("status") == "out_of_order" else "available"
    await _update(request, session, staff, room_id, RoomPatch(status=wanted))
    start = parse_date(form.get("start"))
    back = f"?start={start.isoformat()}" if start else ""
    return redirect(f"{staff.base}/rack{back}")
