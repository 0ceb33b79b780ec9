"""Change what a booking takes: a stay's dates, room type or rooms (modify), a slot's time
(reschedule). Re-priced and all-or-nothing, through the booking's allocation.

For a stay the new nights are taken and the old ones given back in **one** counter update per night
(the net of both), under the same ordered locks; a slot's range moves in one row. A failure leaves the
booking and its inventory exactly as they were."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import BookingExpired, InvalidBooking
from innkeeper.bookings.models import HOLD_STATES, Booking, Status
from innkeeper.bookings.schemas import BookingIn, ModifyIn, RescheduleIn
from innkeeper.bookings.service import payment
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.bookings.service.priced import check_expected, price, quote_time, slot_days, slot_of
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.inventory.hourly import local_instant
from innkeeper.kit.money import Money
from innkeeper.pricing.engine import Quote
from innkeeper.pricing.errors import PromoInvalid


def _snapshot(b: Booking) -> dict[str, Any]:
    taken: dict[str, Any] = (
        {"resource_id": str(b.resource_id), "start": b.start_at.isoformat(), "end": b.end_at.isoformat()}
        if b.start_at is not None and b.end_at is not None
        else {"room_type_id": str(b.room_type_id), "rooms": b.rooms, "guests": b.guests}
    )
    return {
        "checkin": b.checkin.isoformat(),
        "checkout": b.checkout.isoformat(),
        **taken,
        "total": Money(b.total_minor, b.currency).to_api(),
    }


def _nothing_to_change() -> InvalidBooking:
    return InvalidBooking(
        "Nothing to change", errors=[{"field": "body", "message": "no change", "type": "noop"}]
    )


async def _changeable(session: AsyncSession, b: Booking, kind: str, action: str) -> None:
    if await expire_if_lapsed(session, b):
        raise BookingExpired("The reservation has expired")
    lifecycle.require(b, *HOLD_STATES, Status.confirmed, action=action)
    if b.kind != kind:
        other = "reschedule" if b.kind == "slot" else "modify"
        raise InvalidBooking(
            f"This booking is a {b.kind}: change it with /{other}",
            errors=[{"field": "body", "message": f"use /{other}", "type": "kind"}],
        )


async def _take_new_price(
    session: AsyncSession, b: Booking, quote: Quote, actor: Actor, before: dict[str, Any], action: str
) -> None:
    """The re-priced booking's total, quote and folio (adjusting rows), a refund of what it now holds
    beyond its bill, and the change in its history."""
    b.total_minor = quote.total
    b.quote = quote.to_api()
    b.promo_code = quote.promo_code
    await folio.sync_charges(session, b, actor)
    await payment.after_modify(session, b)
    await lifecycle.event(
        session, b, actor, action, from_status=b.status, data={"before": before, "after": _snapshot(b)}
    )


async def modify(
    ctx: AppContext, session: AsyncSession, b: Booking, data: ModifyIn, *, user: User | None, actor: Actor
) -> Booking:
    await _changeable(session, b, "stay", "modify")
    assert b.room_type_id is not None
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
        raise _nothing_to_change()
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
    await _take_new_price(session, b, quote, actor, before, "modified")
    return b


async def reschedule(
    ctx: AppContext, session: AsyncSession, b: Booking, data: RescheduleIn, *, user: User | None, actor: Actor
) -> Booking:
    """Move a slot to another time of its resource: open for booking (422), free (409), re-priced with
    the same attendees, mode, address and add-ons (a lapsed promo code is dropped)."""
    await _changeable(session, b, "slot", "reschedule")
    resource, prop = await slot_of(session, b.resource_id, property_id=b.property_id)  # type: ignore[arg-type]
    start = local_instant(data.start, prop.timezone, field="start")
    end = local_instant(data.end, prop.timezone, field="end")
    if (start, end) == (b.start_at, b.end_at):
        raise _nothing_to_change()

    async def priced(promo_code: str | None) -> Quote:
        return await quote_time(
            ctx,
            session,
            resource,
            prop,
            start,
            end,
            attendees=b.attendees,
            mode=b.mode,
            address=b.address,
            addons=b.addons,
            promo_code=promo_code,
            user=user,
        )

    try:
        quote = await priced(b.promo_code)
    except PromoInvalid:  # the code has lapsed since booking: price without it
        quote = await priced(None)
    check_expected(data.expected_total, quote)
    before = _snapshot(b)
    allocation = allocation_for(b)
    old = allocation.footprint(b)
    b.start_at, b.end_at = start, end
    b.checkin, b.checkout = slot_days(start, end, prop.timezone)
    await allocation.move(session, b, old)
    await _take_new_price(session, b, quote, actor, before, "rescheduled")
    return b
