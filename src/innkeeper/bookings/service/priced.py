"""What a booking request costs, by kind: a stay through the nightly quote, a slot through the hourly
one. Both end in the same :class:`Priced` (the property, the quote and the booking row's kind-specific
columns), which creating a booking takes whatever it books."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.errors import PriceChanged
from innkeeper.bookings.schemas import BookingIn, SlotBookingIn
from innkeeper.catalog.models import Property, Resource
from innkeeper.catalog.resources import public_resource, resource_of
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.inventory import service as inventory
from innkeeper.inventory.errors import Unavailable
from innkeeper.inventory.hourly import check_bookable, local_instant
from innkeeper.kit.clock import utcnow
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import MoneyIn
from innkeeper.pricing import service as pricing
from innkeeper.pricing.engine import Quote
from innkeeper.pricing.hourly import quote_slot
from innkeeper.pricing.resource_cards import resource_card, resource_catalog_cache


@dataclass
class Priced:
    prop: Property
    quote: Quote
    #: the booking row's columns for what it books (kind, room type and nights, or resource and time)
    fields: dict[str, Any]
    #: what the quote read of availability, handed to the allocation's hold
    seen: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_expected(expected: MoneyIn | None, quote: Quote) -> None:
    if expected is None:
        return
    wanted = expected.resolve(quote.currency, field="expected_total")
    if wanted.minor != quote.total:
        raise PriceChanged(
            f"The total is now {Money(quote.total, quote.currency)}, not {wanted}",
            total=Money(quote.total, quote.currency).to_api(),
        )


async def price(
    ctx: AppContext,
    session: AsyncSession,
    room_type_id: uuid.UUID,
    data: BookingIn,
    user: User | None,
    *,
    property_id: uuid.UUID | None = None,
) -> pricing.QuoteResult:
    """Quote the stay and check its restrictions. Availability is settled later, under the locks,
    because expired holds on these nights may still be reclaimed."""
    result = await pricing.quote(
        session,
        ctx.settings,
        room_type_id,
        data.checkin,
        data.checkout,
        rooms=data.rooms,
        guests=data.guests,
        user=user,
        promo_code=data.promo_code,
        property_id=property_id,
        require_available=False,
    )
    check = inventory.check_stay(result.days, data.checkin, data.checkout, 0)  # restrictions only
    if not check.ok:
        raise Unavailable(f"Not bookable: {check.reason}", code="inventory.restricted", reason=check.reason)
    return result


async def price_stay(
    ctx: AppContext,
    session: AsyncSession,
    data: BookingIn,
    user: User | None,
    *,
    property_id: uuid.UUID | None,
) -> Priced:
    result = await price(ctx, session, data.room_type_id, data, user, property_id=property_id)
    fields = {
        "kind": "stay",
        "room_type_id": result.room_type.id,
        "checkin": data.checkin,
        "checkout": data.checkout,
        "rooms": data.rooms,
        "guests": data.guests,
    }
    return Priced(result.prop, result.quote, fields, seen=result.days)


def slot_days(start: datetime, end: datetime, timezone: str) -> tuple[Any, Any]:
    """The property-local days a slot touches, as ``checkin``/``checkout`` (checkout exclusive), so
    lists and reports by day see it: 22:00-24:00 touches one day, 23:00-01:00 two."""
    tz = ZoneInfo(timezone)
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return first, max(first, last) + timedelta(days=1)


async def slot_of(
    session: AsyncSession, resource_id: uuid.UUID, *, property_id: uuid.UUID | None
) -> tuple[Resource, Property]:
    """The resource to book: for staff, any of their property's; for the public, an active resource
    of an active property (404 ``resource.not_found`` otherwise)."""
    if property_id is None:
        return await public_resource(session, resource_id)
    resource = await resource_of(session, property_id, resource_id)
    prop = await session.get(Property, property_id)
    assert prop is not None
    return resource, prop


async def quote_time(
    ctx: AppContext,
    session: AsyncSession,
    resource: Resource,
    prop: Property,
    start: datetime,
    end: datetime,
    *,
    attendees: int | None,
    mode: str | None,
    address: Any,
    addons: Any,
    promo_code: str | None,
    user: User | None,
) -> Quote:
    """Check that ``[start, end)`` is open for booking (422 ``slot.outside_availability``: windows,
    exceptions, notice, horizon, duration) and price it. Overlaps are the allocation's (409). The
    windows and rates are the resource's card at the property's ``catalog_version`` read with it
    (the per-process cache search reads too); exceptions are read here."""
    card = await resource_card(session, resource_catalog_cache(ctx), resource, prop)
    await check_bookable(session, resource, prop, start, end, now=utcnow(), windows=card.windows)
    result = await quote_slot(
        session,
        prop,
        resource,
        start,
        end,
        attendees=attendees,
        mode=mode,
        address=address,
        addons=addons,
        promo_code=promo_code,
        user=user,
        rates=card.prices.ranked,
    )
    return result.quote


async def price_slot(
    ctx: AppContext,
    session: AsyncSession,
    data: SlotBookingIn,
    user: User | None,
    *,
    property_id: uuid.UUID | None,
) -> Priced:
    resource, prop = await slot_of(session, data.resource_id, property_id=property_id)
    start = local_instant(data.start, prop.timezone, field="start")
    end = local_instant(data.end, prop.timezone, field="end")
    address = data.address.model_dump() if data.address else None
    addons = [a.model_dump() for a in data.addons]
    quote = await quote_time(
        ctx,
        session,
        resource,
        prop,
        start,
        end,
        attendees=data.attendees,
        mode=data.mode,
        address=address,
        addons=addons,
        promo_code=data.promo_code,
        user=user,
    )
    checkin, checkout = slot_days(start, end, prop.timezone)
    fields = {
        "kind": "slot",
        "room_type_id": None,
        "resource_id": resource.id,
        "start_at": start,
        "end_at": end,
        "attendees": data.attendees,
        "mode": data.mode or "on_site",
        "address": address,
        "addons": addons or None,
        "checkin": checkin,
        "checkout": checkout,
        "rooms": 1,
        "guests": max(1, data.attendees or 1),
    }
    return Priced(prop, quote, fields, seen=resource)


async def price_request(
    ctx: AppContext,
    session: AsyncSession,
    data: BookingIn | SlotBookingIn,
    user: User | None,
    *,
    property_id: uuid.UUID | None = None,
) -> Priced:
    """Price what the request books (the one place that tells a stay from a slot request)."""
    if isinstance(data, SlotBookingIn):
        return await price_slot(ctx, session, data, user, property_id=property_id)
    return await price_stay(ctx, session, data, user, property_id=property_id)
