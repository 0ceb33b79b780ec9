"""Booking metrics (kit.metrics) counted from BookingChanged events.

``innkeeper_bookings_total{kind, event}``: each lifecycle step a dashboard follows, counted when the
change commits (a booking refused halfway, or a request rolled back, counts nothing). Other history
entries (guests added, rooms assigned, ...) are not counted: they say nothing about demand.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.lifecycle import BookingChanged
from innkeeper.kit import events
from innkeeper.kit.metrics import BOOKINGS, inc_on_commit

#: history action -> the ``event`` label (a slot that ended is completed, a stay checked out)
COUNTED = {
    "created": "created",
    "confirmed": "confirmed",
    "cancelled": "cancelled",
    "expired": "expired",
    "checked_in": "checked_in",
    "checked_out": "checked_out",
    "completed": "completed",
    "no_show": "no_show",
    "modified": "modified",
    "rescheduled": "rescheduled",
}


@events.on(BookingChanged)
async def count_booking_event(session: AsyncSession, event: BookingChanged) -> None:
    label = COUNTED.get(event.action)
    if label is not None:
        inc_on_commit(session, BOOKINGS.labels(event.booking.kind or "stay", label))
