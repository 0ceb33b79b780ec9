"""Cancel a booking under the cancellation policy snapshot taken when it was made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle, notify, policy
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import BookingExpired
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.service import payment
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow
from innkeeper.kit.money import Money


def refund_percent_now(b: Booking, prop: Property, now: datetime) -> int:
    """The share of what was paid that cancelling at ``now`` gives back: the policy snapshot's tier by
    hours before the start once confirmed; everything before that."""
    if b.status != Status.confirmed:
        return 100
    return policy.refund_percent(b.cancellation_policy, policy.hours_before_start(b, prop, now))


async def refund_preview(session: AsyncSession, b: Booking) -> dict[str, Any]:
    """What :func:`cancel` would refund now, for a page that asks before cancelling (the web's)."""
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    percent = refund_percent_now(b, prop, utcnow())
    paid = Money(max(0, (await folio.totals(session, b)).paid), b.currency)
    refund = paid.percent(percent) if paid.minor else Money.zero(b.currency)
    return {"amount": refund.to_api(), "percent": percent, "destination": payment.refund_destination(b, prop)}


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
    percent = refund_percent_now(b, prop, now)
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
