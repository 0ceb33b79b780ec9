"""Guards the catalog asks for through kit.events: no deleting what future bookings need.

The catalog sits below bookings, so before it soft-deletes a property, a room type or a room it emits
``catalog.events.*Deleting`` and these handlers, in the same transaction, count the active future
bookings that depend on it: 409 ``catalog.has_future_bookings`` with ``bookings`` (the count) aborts
the deletion. "Active" is a live hold (its ``expires_at`` not passed), ``confirmed`` or ``checked_in``;
"future" is a stay whose departure day is after the property's today (a guest in house always counts)
or a slot that has not ended. Lapsed holds are not bookings any more: they are expired here first, as
the periodic sweep would, so the nights they still hold do not block the rooms leaving service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.models import HOLD_STATES, Booking, RoomAssignment, Status
from innkeeper.bookings.service.expiry import expire
from innkeeper.catalog.errors import HasFutureBookings
from innkeeper.catalog.events import PropertyDeleting, RoomDeleting, RoomTypeDeleting
from innkeeper.catalog.models import Property
from innkeeper.kit import events
from innkeeper.kit.clock import local_today, utcnow

_HOLDS = [s.value for s in HOLD_STATES]


def _active_future(prop: Property) -> Any:
    """The SQL condition: an active booking of ``prop`` that is not over yet."""
    now = utcnow()
    live = or_(
        Booking.status.in_([Status.confirmed.value, Status.checked_in.value]),
        and_(Booking.status.in_(_HOLDS), or_(Booking.expires_at.is_(None), Booking.expires_at > now)),
    )
    future = or_(
        Booking.status == Status.checked_in.value,
        and_(Booking.kind == "stay", Booking.checkout > local_today(prop.timezone)),
        and_(Booking.kind == "slot", Booking.end_at > now),
    )
    return and_(Booking.property_id == prop.id, live, future)


async def _expire_lapsed_holds(session: AsyncSession, *where: Any) -> None:
    lapsed = (
        await session.scalars(
            select(Booking)
            .where(Booking.status.in_(_HOLDS), Booking.expires_at <= utcnow(), *where)
            .order_by(Booking.id)
            .with_for_update()
        )
    ).all()
    if lapsed:
        await expire(session, list(lapsed))


def _refuse(count: int, what: str) -> None:
    if count:
        raise HasFutureBookings(
            f"{count} active future booking(s) need this {what}: cancel or move them first", bookings=count
        )


@events.on(PropertyDeleting)
async def property_without_future_bookings(session: AsyncSession, event: PropertyDeleting) -> None:
    await _expire_lapsed_holds(session, Booking.property_id == event.prop.id)
    count = await session.scalar(select(func.count()).select_from(Booking).where(_active_future(event.prop)))
    _refuse(int(count or 0), "property")


@events.on(RoomTypeDeleting)
async def room_type_without_future_bookings(session: AsyncSession, event: RoomTypeDeleting) -> None:
    of_type = Booking.room_type_id == event.room_type.id
    await _expire_lapsed_holds(session, of_type)
    count = await session.scalar(
        select(func.count()).select_from(Booking).where(of_type, _active_future(event.prop))
    )
    _refuse(int(count or 0), "room type")


@events.on(RoomDeleting)
async def room_without_future_bookings(session: AsyncSession, event: RoomDeleting) -> None:
    """Bookings assigned to the room (a stay's other nights elsewhere do not count)."""
    count = await session.scalar(
        select(func.count(func.distinct(Booking.id)))
        .select_from(RoomAssignment)
        .join(Booking, Booking.id == RoomAssignment.booking_id)
        .where(
            RoomAssignment.room_id == event.room.id,
            RoomAssignment.active.is_(True),
            RoomAssignment.ended_at.is_(None),
            RoomAssignment.end_date > local_today(event.prop.timezone),
            _active_future(event.prop),
        )
    )
    _refuse(int(count or 0), "room")
