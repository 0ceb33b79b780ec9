"""In-transaction reactions: domain events become webhook deliveries in the outbox (and confirmed online
bookings get a meeting, through a job).

* ``BookingChanged`` (bookings): ``created``, ``confirmed``, ``modified`` / ``rescheduled``,
  ``cancelled``, ``checked_in``, ``checked_out`` / ``completed`` → ``booking.*``;
* payment outcomes of bookings (``payments.hooks``): ``succeeded`` → ``payment.succeeded``,
  ``refunded`` → ``payment.refunded``;
* ``ServiceOrderChanged`` (extras) → ``service_order.updated``; ``ReviewPublished`` (engagement) →
  ``review.published``.

Payloads carry no guest contact details: a receiver that needs them reads the booking through the API
with the property's credentials. Every handler runs in the emitter's transaction, so a delivery exists
if and only if the change committed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.lifecycle import BookingChanged
from innkeeper.bookings.models import Booking
from innkeeper.engagement.events import ReviewPublished
from innkeeper.extras.events import ServiceOrderChanged
from innkeeper.integrations import connect as _connect  # noqa: F401  (registers its payments hooks)
from innkeeper.integrations import deliveries
from innkeeper.integrations.meetings import service as meetings
from innkeeper.kit import events
from innkeeper.kit.money import Money
from innkeeper.payments import hooks

BOOKING_EVENTS = {
    "created": "booking.created",
    "confirmed": "booking.confirmed",
    "modified": "booking.modified",
    "rescheduled": "booking.modified",
    "cancelled": "booking.cancelled",
    "checked_in": "booking.checked_in",
    "checked_out": "booking.checked_out",
    "completed": "booking.checked_out",
}
PAYMENT_EVENTS = {"succeeded": "payment.succeeded", "refunded": "payment.refunded"}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def booking_data(b: Booking, action: str) -> dict[str, Any]:
    return {
        "action": action,
        "reference": b.reference,
        "property_id": str(b.property_id),
        "kind": b.kind,
        "status": b.status,
        "payment_status": b.payment_status,
        "room_type_id": str(b.room_type_id) if b.room_type_id else None,
        "resource_id": str(b.resource_id) if b.resource_id else None,
        "checkin": b.checkin.isoformat(),
        "checkout": b.checkout.isoformat(),
        "start": _iso(b.start_at),
        "end": _iso(b.end_at),
        "rooms": b.rooms,
        "guests": b.guests,
        "mode": b.mode,
        "total": Money(b.total_minor, b.currency).to_api(),
    }


@events.on(BookingChanged)
async def booking_changed(session: AsyncSession, event: BookingChanged) -> None:
    b = event.booking
    if event.action == "confirmed" and meetings.wants_meeting(b):
        meetings.schedule_creation(session, b)
    event_type = BOOKING_EVENTS.get(event.action)
    if event_type is None:
        return
    await deliveries.announce(
        session,
        b.property_id,
        event_type,
        object_type="booking",
        object_id=str(b.id),
        data=lambda: booking_data(b, event.action),
    )


@hooks.on("booking")
async def booking_payment(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
    event_type = PAYMENT_EVENTS.get(outcome.kind)
    if event_type is None:
        return
    payment = outcome.payment
    try:
        booking_id = uuid.UUID(payment.purpose_id)
    except ValueError:
        return  # not a booking id (the bookings layer ignores it too): nothing to announce
    booking = await session.get(Booking, booking_id)
    if booking is None:
        return
    data: dict[str, Any] = {
        "booking_id": str(booking.id),
        "booking_reference": booking.reference,
        "status": payment.status,
        "method": payment.method,
        "amount": payment.amount.to_api(),
        "received": payment.received.to_api(),
        "refunded": payment.refunded.to_api(),
    }
    if outcome.refund is not None:
        refund = outcome.refund
        data["refund"] = {
            "id": str(refund.id),
            "amount": refund.amount.to_api(),
            "status": refund.status,
            "destination": refund.destination,
        }
    await deliveries.announce(
        session, booking.property_id, event_type, object_type="payment", object_id=str(payment.id), data=data
    )


@events.on(ServiceOrderChanged)
async def service_order_changed(session: AsyncSession, event: ServiceOrderChanged) -> None:
    order = event.order
    data = {
        "action": event.action,
        "booking_id": str(order.booking_id),
        "service_code": order.service_code,
        "category": order.category,
        "quantity": order.quantity,
        "status": order.status,
        "scheduled_for": _iso(order.scheduled_for),
        "total": Money(order.total_minor, order.currency).to_api(),
    }
    await deliveries.announce(
        session,
        order.property_id,
        "service_order.updated",
        object_type="service_order",
        object_id=str(order.id),
        data=data,
    )


@events.on(ReviewPublished)
async def review_published(session: AsyncSession, event: ReviewPublished) -> None:
    review = event.review
    data = {
        "booking_id": str(review.booking_id),
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "author_name": review.author_name,
        "published_at": _iso(review.published_at),
    }
    await deliveries.announce(
        session,
        review.property_id,
        "review.published",
        object_type="review",
        object_id=str(review.id),
        data=data,
    )
