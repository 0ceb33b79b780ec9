"""Create a booking: price it with the one pricing function, hold the inventory, store it."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import InvalidBooking, NotAllowed, PropertyInactive
from innkeeper.bookings.models import Booking, Source, Status
from innkeeper.bookings.schemas import BookingIn, SlotBookingIn, TakenByStaff
from innkeeper.bookings.service.confirm import confirm
from innkeeper.bookings.service.priced import check_expected, price_request
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import dialect_insert, dialect_name
from innkeeper.kit.ids import reference
from innkeeper.kit.money import Money
from innkeeper.kit.security import hash_token, random_token
from innkeeper.pricing import service as pricing
from innkeeper.pricing.errors import PromoInvalid


@lru_cache(maxsize=2)
def _insert_booking(dialect: str) -> Any:
    insert = dialect_insert(dialect)(Booking)
    return insert.on_conflict_do_nothing(index_elements=["reference"]).returning(Booking)


async def insert_booking(session: AsyncSession, values: dict[str, Any]) -> Booking:
    """INSERT the booking under a newly drawn reference. A reference already taken (35 random bits: a
    draw collides once in 34,000 with a million bookings stored) inserts nothing and another is drawn:
    no look-up first, and no race between two bookings that drew the same one."""
    statement = _insert_booking(dialect_name(session))
    for _ in range(5):
        booking = (await session.scalars(statement, [{**values, "reference": reference()}])).first()
        if booking is not None:
            return booking
    raise RuntimeError("could not find a free booking reference")  # 2^35 space: never in practice


async def create(
    ctx: AppContext,
    session: AsyncSession,
    data: BookingIn | SlotBookingIn,
    *,
    user: User | None,
    actor: Actor,
    staff_property: Property | None = None,
) -> tuple[Booking, str | None]:
    """A ``reserved`` booking holding its rooms until ``expires_at`` (or, for staff with ``confirm``
    under a pay-at-property policy, a ``confirmed`` one). Returns the booking and, for guests
    without an account, their one-time ``guest_token``."""
    staff = isinstance(data, TakenByStaff) and staff_property is not None
    if user is None and data.contact is None:
        raise InvalidBooking(
            "Without an account, give a contact (name, email)",
            errors=[{"field": "contact", "message": "required without a bearer token", "type": "missing"}],
        )
    # (another property's room type or resource is "not found" for staff: the quote checks property_id)
    priced = await price_request(
        ctx, session, data, None if staff else user, property_id=staff_property.id if staff_property else None
    )
    prop, quote = priced.prop, priced.quote
    if not prop.is_active and not staff:
        raise PropertyInactive("This property is not taking bookings")
    check_expected(data.expected_total, quote)
    if quote.promo_code and not await pricing.redeem_promo(session, quote.promo_code, prop.id):
        raise PromoInvalid(f"Promo code {quote.promo_code} is used up")

    confirm_now = staff and isinstance(data, TakenByStaff) and data.confirm
    if confirm_now and (prop.payment_policy or {}).get("mode") != "at_property":
        raise NotAllowed("Confirming without payment needs the property's 'at_property' payment policy")

    contact = data.contact
    values: dict[str, Any] = dict(
        property_id=prop.id,
        **priced.fields,
        user_id=user.id if user is not None and not staff else None,
        contact_name=contact.name if contact else (user.full_name if user else ""),
        contact_email=contact.email if contact else (user.email or "") if user else "",
        contact_phone=contact.phone if contact else (user.phone if user else None),
        source=data.source if isinstance(data, TakenByStaff) else Source.web.value,
        status=Status.reserved.value,
        currency=quote.currency,
        total_minor=quote.total,
        promo_code=quote.promo_code,
        quote=quote.to_api(),
        notes=data.notes,
        special_requests=data.special_requests,
        cancellation_policy=prop.cancellation_policy or {"preset": "flexible"},
        payment_policy=prop.payment_policy or {"mode": "prepay"},
        expires_at=utcnow() + timedelta(seconds=ctx.settings.hold_ttl_seconds),
        guest_token_hash=None,
    )
    if not values["contact_email"]:
        raise InvalidBooking(
            "A contact e-mail is needed",
            errors=[
                {
                    "field": "contact.email",
                    "message": "your account has no e-mail; give a contact",
                    "type": "missing",
                }
            ],
        )
    guest_token = None
    if user is None and not staff:
        guest_token = random_token(24)
        values["guest_token_hash"] = hash_token(guest_token)
    # Rows first, inventory last: the locks on the stay's inventory rows (the contended ones when many
    # guests want the same nights) are then held only for the lock, the UPDATE and the COMMIT. A new
    # booking row is locked by no one else, so the lock order (bookings, then inventory) still holds;
    # when the inventory is not there, the whole transaction rolls back.
    booking = await insert_booking(session, values)
    await folio.sync_charges(session, booking, actor, fresh=True)
    await lifecycle.event(
        session,
        booking,
        actor,
        "created",
        data={"total": Money(quote.total, quote.currency).to_api(), "source": booking.source},
    )
    await allocation_for(booking).hold(session, booking, seen=priced.seen)
    if confirm_now:
        await confirm(ctx, session, booking, actor, reason="staff, pay at property")
    return booking, guest_token
