"""Demo data: the guest account's stays of today, made through the booking engine as a guest and a front
desk would make them, so the account shows what a stay can do on the web site:

* one **checked in** at the second hotel (three nights from today): services can be ordered from its
  page (``demo.extras`` then places a cab on it, as on every booking that can take orders);
* one **checked out** at the third hotel (one night, arrived and left today) and not reviewed: a review
  can be written.

Both are paid from the guest's wallet, credited with the stay's price first (a demo credit), so no card
gateway is involved and the folio is settled before the check-out, as the desk requires.

Idempotent: nothing is made while the guest has a stay checked in, nor while they have a checked-out
stay without a review. A stay the hotel cannot sell tonight (sold out) is skipped, never an error.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio, wallet
from innkeeper.billing.models import EntryKind
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.schemas import BookingIn
from innkeeper.bookings.service import checkout, payment, stay
from innkeeper.bookings.service.create import create
from innkeeper.catalog.models import Property, RoomType
from innkeeper.context import AppContext
from innkeeper.demo.world import DemoWorld
from innkeeper.engagement.models import Review
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import AppError
from innkeeper.kit.money import Money

DEMO = Actor.system("demo")


async def _has_stay_checked_in(session: AsyncSession, world: DemoWorld) -> bool:
    found = await session.scalar(
        select(Booking.id)
        .where(Booking.user_id == world.guest.id, Booking.status == Status.checked_in.value)
        .limit(1)
    )
    return found is not None


async def _has_stay_to_review(session: AsyncSession, world: DemoWorld) -> bool:
    found = await session.scalar(
        select(Booking.id)
        .where(
            Booking.user_id == world.guest.id,
            Booking.status == Status.checked_out.value,
            Booking.id.not_in(select(Review.booking_id)),
        )
        .limit(1)
    )
    return found is not None


async def _stay(
    ctx: AppContext, session: AsyncSession, world: DemoWorld, hotel: Property, nights: int, *, leave: bool
) -> None:
    """Book tonight's cheapest room for the guest, pay it from their wallet, check in (and out)."""
    room_type = await session.scalar(
        select(RoomType).where(RoomType.property_id == hotel.id).order_by(RoomType.base_price_minor).limit(1)
    )
    if room_type is None:
        return
    today = local_today(hotel.timezone)
    data = BookingIn(
        room_type_id=room_type.id, checkin=today, checkout=today + timedelta(days=nights), rooms=1
    )
    guest = world.guest
    try:
        async with session.begin_nested():
            b, _ = await create(ctx, session, data, user=guest, actor=DEMO)
            due = Money((await folio.totals(session, b)).balance_due, b.currency)
            await wallet.post(
                session,
                DEMO,
                user_id=guest.id,
                amount=due,
                kind=EntryKind.credit,
                reference=("demo", b.reference),
                memo=f"Demo credit for {hotel.name}",
            )
            # the wallet pays at once: the payment hook confirms the booking in this transaction
            await payment.pay_booking(ctx, session, b, DEMO, guest, method="wallet", amount=due)
            await stay.check_in(session, b, DEMO, room_id=None)
            if leave:
                await checkout.finish(ctx, session, b, DEMO)
    except AppError:
        return  # (no room tonight, say): the rest of the demo loads without this stay


async def load(ctx: AppContext, session: AsyncSession, world: DemoWorld) -> None:
    """Idempotent: running the demo loader twice adds nothing the second time."""
    if len(world.hotels) < 3:
        return
    if not await _has_stay_to_review(session, world):
        await _stay(ctx, session, world, world.hotels[2], 1, leave=True)
    if not await _has_stay_checked_in(session, world):
        await _stay(ctx, session, world, world.hotels[1], 3, leave=False)
