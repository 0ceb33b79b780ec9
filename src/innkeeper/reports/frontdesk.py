"""The front desk's lists for one property-local date ``D`` (a date is one whole day), stays only:

* **arrivals** — sold stays arriving on ``D`` (``checkin = D``): confirmed ones still expected, and
  those already checked in (or out, or marked no-show) that day, with their status.
* **departures** — stays leaving on ``D``: checked in with ``checkout = D`` (due out), and checked out
  whose last night was ``D - 1`` (left, early departures included).
* **in-house** — guests whose night ``D`` is theirs: checked in or out, ``checkin <= D <
  release_from or checkout``. A guest due out on ``D`` is on the departures, not in-house.

Each row names the contact, the guests, the room type, the rooms assigned for the night concerned
(``D``; ``D - 1`` for departures) and the folio's balance due. Ordered by contact name, then reference.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.models import SOLD_STATES, Booking, BookingGuest, RoomAssignment, Status
from innkeeper.bookings.service.queries import folio_totals
from innkeeper.catalog.models import Property, Room, RoomType
from innkeeper.kit.money import Money

ONE_DAY = timedelta(days=1)
STAYED = (Status.checked_in.value, Status.checked_out.value)


class DeskList(StrEnum):
    arrivals = "arrivals"
    departures = "departures"
    in_house = "in_house"


def _last_night() -> Any:
    return func.coalesce(Booking.release_from, Booking.checkout)


def condition(which: DeskList, day: date) -> Any:
    """The SQL condition of a list (stays of the property are added by the caller)."""
    if which is DeskList.arrivals:
        return and_(Booking.checkin == day, Booking.status.in_(sorted(s.value for s in SOLD_STATES)))
    if which is DeskList.departures:
        return or_(
            and_(Booking.status == Status.checked_in.value, Booking.checkout == day),
            and_(Booking.status == Status.checked_out.value, _last_night() == day),
        )
    return and_(Booking.status.in_(STAYED), Booking.checkin <= day, _last_night() > day)


def _stays(prop: Property, which: DeskList, day: date) -> Any:
    return and_(Booking.property_id == prop.id, Booking.kind == "stay", condition(which, day))


async def count(session: AsyncSession, prop: Property, which: DeskList, day: date) -> int:
    return int(await session.scalar(select(func.count(Booking.id)).where(_stays(prop, which, day))) or 0)


async def desk_list(
    session: AsyncSession, prop: Property, which: DeskList, day: date, *, limit: int, offset: int
) -> dict[str, Any]:
    where = _stays(prop, which, day)
    total = int(await session.scalar(select(func.count(Booking.id)).where(where)) or 0)
    page = (
        await session.scalars(
            select(Booking)
            .where(where)
            .order_by(Booking.contact_name, Booking.reference)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    night = day - ONE_DAY if which is DeskList.departures else day
    ids = [b.id for b in page]
    guests, rooms, types = (
        await _guests(session, ids),
        await _rooms(session, ids, night),
        await _types(session, prop),
    )
    totals = await folio_totals(session, page)
    items = []
    for b in page:
        t = totals[b.id]
        items.append(
            {
                "booking_id": str(b.id),
                "reference": b.reference,
                "status": b.status,
                "source": b.source,
                "guest_name": b.contact_name,
                "guests": guests.get(b.id, []),
                "guests_count": b.guests,
                "room_type": {
                    "id": str(b.room_type_id),
                    "name": types.get(b.room_type_id, "") if b.room_type_id else "",
                },
                "rooms": rooms.get(b.id, []),
                "rooms_count": b.rooms,
                "checkin": b.checkin.isoformat(),
                "checkout": b.checkout.isoformat(),
                "nights": (b.checkout - b.checkin).days,
                "total": Money(b.total_minor, b.currency).to_api(),
                "balance_due": Money(t.balance_due, b.currency).to_api(),
            }
        )
    return {"date": day.isoformat(), "items": items, "total": total}


async def _guests(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(BookingGuest.booking_id, BookingGuest.name)
            .where(BookingGuest.booking_id.in_(ids))
            .order_by(BookingGuest.booking_id, BookingGuest.position)
        )
        for booking_id, name in rows:
            out[booking_id].append(name)
    return out


async def _rooms(session: AsyncSession, ids: list[uuid.UUID], night: date) -> dict[uuid.UUID, list[str]]:
    """The room numbers assigned to each booking for ``night``."""
    out: dict[uuid.UUID, list[str]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(RoomAssignment.booking_id, Room.number)
            .join(Room, Room.id == RoomAssignment.room_id)
            .where(
                RoomAssignment.booking_id.in_(ids),
                RoomAssignment.active.is_(True),
                RoomAssignment.start_date <= night,
                RoomAssignment.end_date > night,
            )
            .order_by(Room.number)
        )
        for booking_id, number in rows:
            out[booking_id].append(number)
    return out


async def _types(session: AsyncSession, prop: Property) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(RoomType.id, RoomType.name).where(RoomType.property_id == prop.id))
    return {type_id: name for type_id, name in rows}
