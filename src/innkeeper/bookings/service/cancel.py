"""Cancel a booking under the cancellation policy snapshot taken when it was made."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.bookings import lifecycle, notify, policy
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import BookingExpired
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.service import payment
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow


async def cancel(
    ctx: AppContext, session: AsyncSession, b: Booking, actor: Actor, reason: str | None
) -> dict[str, Any]:
    """Cancel and give the rooms back. The refund due follows the policy snapshot taken at booking."""
    if await expire_if_lapsed(session, b):
        raise BookingExpired("The reservation has already expired")
    lifecycle.require(
        b, Status.reserved, Status.guests_added, Status.payment_pending, Status.confirmed, action="cancel"
    )
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    now = utcnow()
    hours = policy.hours_before_start(b, prop, now)
    percent = policy.refund_percent(b.cancellation_policy, hours) if b.status == Status.confirmed else 100
    await allocation_for(b).release(session, [b])
    refund, destination = await payment.refund_on_cancel(ctx, session, b, prop, percent, actor)
    b.cancelled_at = now
    b.cancel_reason = reason
    b.expires_at = None
    await lifecycle.move(
        session,
        b,
        Status.cancelled,
        actor,
        "cancelled",
        data={"reason": reason, "refund_percent": percent, "refund": refund.to_api()},
    )
    await notify.cancellation(ctx, session, b)
    return {"amount": refund.to_api(), "percent": percent, "destination": destination}
