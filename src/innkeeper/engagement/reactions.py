"""In-transaction reactions of engagement: loyalty points at check-out (or a slot's completion), and
their reversal when a finished booking is refunded later. Both run in the emitter's transaction, so the
points commit with the check-out or the refund, or not at all."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.lifecycle import BookingChanged
from innkeeper.engagement import loyalty
from innkeeper.kit import events
from innkeeper.payments import hooks

#: the history actions that finish a booking: a stay's check-out, a slot's completion after its end
FINISHED = frozenset({"checked_out", "completed"})


@events.on(BookingChanged)
async def earn_points(session: AsyncSession, event: BookingChanged) -> None:
    if event.action in FINISHED:
        await loyalty.earn_for_booking(session, event.booking, event.actor)


@hooks.on("booking")
async def reverse_points(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
    if outcome.kind != "refunded" or outcome.refund is None:
        return
    try:
        booking_id = uuid.UUID(outcome.payment.purpose_id)
    except ValueError:
        return  # not a booking of ours (a payment made through the service with a made-up purpose)
    await loyalty.reverse_for_refund(
        session,
        booking_id,
        outcome.refund.id,
        outcome.refund.amount,
        outcome.actor,
    )
