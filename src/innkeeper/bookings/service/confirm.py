"""Confirm a held booking: held → sold."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.bookings import lifecycle, notify
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import BookingExpired
from innkeeper.bookings.models import HOLD_STATES, Booking, Status
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow


async def confirm(ctx: AppContext, session: AsyncSession, b: Booking, actor: Actor, *, reason: str) -> None:
    """Held → sold. A hold that lapsed but was not yet swept is expired instead (409 ``booking.expired``)."""
    if await expire_if_lapsed(session, b):
        raise BookingExpired("The reservation expired before it was confirmed")
    lifecycle.require(b, *HOLD_STATES, action="confirm")
    await allocation_for(b).confirm(session, b)
    b.expires_at = None
    b.confirmed_at = utcnow()
    await lifecycle.move(session, b, Status.confirmed, actor, "confirmed", data={"reason": reason})
    await notify.confirmation(ctx, session, b)
