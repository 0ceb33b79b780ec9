"""Read-side queries of bookings: the list, the lookup by reference, history and room assignments.

Each answer takes a fixed number of statements whatever its size: the list reads the folio totals of
a whole page in one grouped query (never one query per booking).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.billing.folio import Totals
from innkeeper.billing.models import FolioEntry, FolioKind
from innkeeper.bookings import access
from innkeeper.bookings.models import Booking, BookingEvent, RoomAssignment
from innkeeper.catalog.models import Room
from innkeeper.identity.models import User


@dataclass(frozen=True)
class BookingFilters:
    status: str | None = None
    property_id: uuid.UUID | None = None
    checkin_from: date | None = None
    checkin_to: date | None = None


async def folio_totals(session: AsyncSession, bookings: Sequence[Booking]) -> dict[uuid.UUID, Totals]:
    """Each booking's folio totals (charges, payments, refunds), in one grouped query."""
    sums: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if bookings:
        rows = await session.execute(
            select(FolioEntry.booking_id, FolioEntry.kind, func.sum(FolioEntry.amount_minor))
            .where(FolioEntry.booking_id.in_([b.id for b in bookings]))
            .group_by(FolioEntry.booking_id, FolioEntry.kind)
        )
        for booking_id, kind, total in rows:
            sums[booking_id][kind] = int(total or 0)
    return {
        b.id: Totals(
            b.currency,
            sums[b.id].get(FolioKind.charge.value, 0),
            sums[b.id].get(FolioKind.payment.value, 0),
            sums[b.id].get(FolioKind.refund.value, 0),
        )
        for b in bookings
    }


async def list_bookings(
    session: AsyncSession, user: User, filters: BookingFilters, *, limit: int, offset: int
) -> tuple[list[tuple[Booking, Totals]], int]:
    """A page of the bookings ``user`` may see (newest check-in first) with their folio totals, and
    how many there are in all: three statements for any page size."""
    stmt = access.visible_to(user)
    if filters.status:
        stmt = stmt.where(Booking.status == filters.status)
    if filters.property_id:
        stmt = stmt.where(Booking.property_id == filters.property_id)
    if filters.checkin_from:
        stmt = stmt.where(Booking.checkin >= filters.checkin_from)
    if filters.checkin_to:  # inclusive: a date is one whole day (from=to=today: today's arrivals)
        stmt = stmt.where(Booking.checkin <= filters.checkin_to)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = (
        await session.scalars(
            stmt.order_by(Booking.checkin.desc(), Booking.id.desc()).limit(limit).offset(offset)
        )
    ).all()
    totals = await folio_totals(session, page)
    return [(b, totals[b.id]) for b in page], int(total or 0)


def normalise_reference(reference: str) -> str:
    """References are stored upper case (``IK-7K3F9QZ``, :func:`innkeeper.kit.ids.reference`); what a
    guest types is brought to that form, so the lookup compares the column as stored and uses its
    unique index (``UPPER(reference)`` on the column would scan the table)."""
    return reference.strip().upper()


async def by_reference(session: AsyncSession, reference: str) -> Booking | None:
    return await session.scalar(select(Booking).where(Booking.reference == normalise_reference(reference)))


async def history(session: AsyncSession, booking_id: uuid.UUID) -> list[BookingEvent]:
    return list(
        (
            await session.scalars(
                select(BookingEvent)
                .where(BookingEvent.booking_id == booking_id)
                .order_by(BookingEvent.at, BookingEvent.id)
            )
        ).all()
    )


async def room_assignments(session: AsyncSession, booking_id: uuid.UUID) -> list[tuple[RoomAssignment, str]]:
    """The booking's room assignments, oldest first, with each room's number."""
    rows = await session.execute(
        select(RoomAssignment, Room.number)
        .join(Room, Room.id == RoomAssignment.room_id)
        .where(RoomAssignment.booking_id == booking_id)
        .order_by(RoomAssignment.created_at)
    )
    return [(assignment, number) for assignment, number in rows]
