"""Modify dates, room type or number of rooms: re-priced and all-or-nothing.

The new nights are taken and the old ones given back in **one** counter update per night (the net of
both), under the same ordered locks: a stay that grows by a night needs one more room on that night
only, and a failure leaves the booking and the inventory exactly as they were."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import BookingExpired, InvalidBooking
from innkeeper.bookings.models import HOLD_STATES, Booking, Status
from innkeeper.bookings.schemas import BookingIn, ModifyIn
from innkeeper.bookings.service import payment
from innkeeper.bookings.service.create import check_expected, price
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit.money import Money
from innkeeper.pricing.errors import PromoInvalid


def _snapshot(b: Booking) -> dict[str, Any]:
    return {
        "checkin": b.checkin.isoformat(),
        "checkout": b.checkout.isoformat(),
        "rooms": b.rooms,
        "guests": b.guests,
        "room_type_id": str(b.room_type_id),
        "total": Money(b.total_minor, b.currency).to_api(),
    }


async def modify(
    ctx: AppContext, session: AsyncSession, b: Booking, data: ModifyIn, *, user: User | None, actor: Actor
) -> Booking:
    if await expire_if_lapsed(session, b):
        raise BookingExpired("The reservation has expired")
    lifecycle.require(b, *HOLD_STATES, Status.confirmed, action="modify")
    request = BookingIn(
        room_type_id=data.room_type_id or b.room_type_id,
        checkin=data.checkin or b.checkin,
        checkout=data.checkout or b.checkout,
        rooms=data.rooms or b.rooms,
        guests=data.guests or b.guests,
        promo_code=b.promo_code,
    )
    unchanged = (request.room_type_id, request.checkin, request.checkout, request.rooms, request.guests) == (
        b.room_type_id,
        b.checkin,
        b.checkout,
        b.rooms,
        b.guests,
    )
    if unchanged:
        raise InvalidBooking(
            "Nothing to change", errors=[{"field": "body", "message": "no change", "type": "noop"}]
        )
    try:
        priced = await price(ctx, session, request.room_type_id, request, user, property_id=b.property_id)
    except PromoInvalid:  # the code has lapsed since booking: price without it
        request = request.model_copy(update={"promo_code": None})
        priced = await price(ctx, session, request.room_type_id, request, user, property_id=b.property_id)
    room_type, quote = priced.room_type, priced.quote
    check_expected(data.expected_total, quote)
    before = _snapshot(b)
    allocation = allocation_for(b)
    old = allocation.footprint(b)
    b.room_type_id, b.checkin, b.checkout = room_type.id, request.checkin, request.checkout
    b.rooms, b.guests = request.rooms, request.guests
    b.release_from = None
    await allocation.move(session, b, old)
    b.total_minor = quote.total
    b.quote = quote.to_api()
    b.promo_code = quote.promo_code
    await folio.sync_charges(session, b, actor)  # adjusting rows for what changed
    await payment.after_modify(session, b)
    lifecycle.event(
        session, b, actor, "modified", from_status=b.status, data={"before": before, "after": _snapshot(b)}
    )
    return b
