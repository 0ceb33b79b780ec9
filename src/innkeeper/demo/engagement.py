"""Demo data: engagement. Every demo hotel gets two to four published reviews of past stays (by a few
demo reviewers who cannot sign in), some with the hotel's reply, so ratings and review counts are real
averages; the guest account has a reviewed past stay at the first hotel, the loyalty points it earned
and two favorites (the second hotel and the venue).

Idempotent: the past stays are keyed by their references (``DR…``), the favorites by their keys."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Favorite, Property, RoomType
from innkeeper.demo.world import DemoWorld
from innkeeper.engagement import loyalty, reviews
from innkeeper.engagement.models import LoyaltyAccount, LoyaltyEntry, LoyaltyKind, Review, ReviewStatus
from innkeeper.identity.models import User
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.db import insert_for
from innkeeper.kit.ids import new_id
from innkeeper.kit.money import exponent

REVIEWERS = (
    ("Ana Sousa", "ana.sousa"),
    ("Tom Becker", "tom.becker"),
    ("Mei Tanaka", "mei.tanaka"),
    ("Luis Ortega", "luis.ortega"),
    ("Chloe Martin", "chloe.martin"),
)
#: (rating, title, body): mostly good, as real review sets are
OPINIONS = (
    (5, "Wonderful stay", "Spotless room, friendly staff and a great breakfast. We will be back."),
    (5, "Perfect location", "Everything within walking distance, and the bed was very comfortable."),
    (4, "Very good", "Comfortable and quiet. The check-in took a little while, but the staff were kind."),
    (4, "Good value", "Clean and well kept for the price; the wifi was fast."),
    (3, "Fine for a night", "Decent room, though the street noise kept us up a bit."),
    (5, "Lovely", "The staff went out of their way to help us plan our days."),
    (2, "Not as pictured", "The room was smaller than in the photos and the shower was weak."),
    (4, "Would stay again", "Great views and a helpful front desk."),
)
REPLY = "Thank you for staying with us and for taking the time to write. We hope to welcome you again soon."
DEMO = Actor.system("demo")


async def _reviewers(session: AsyncSession) -> list[User]:
    """Accounts without a password (they cannot sign in): they only wrote the demo's reviews."""
    users = []
    for name, handle in REVIEWERS:
        email = f"{handle}@reviewers.example.com"
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, full_name=name, password_hash=None)
            session.add(user)
            await session.flush()
        users.append(user)
    return users


async def _past_stay(
    session: AsyncSession, prop: Property, guest: User, reference: str, nights_ago: int
) -> Booking | None:
    """A checked-out two-night stay ending ``nights_ago`` days ago, or None if it exists already."""
    if await session.scalar(select(Booking.id).where(Booking.reference == reference)) is not None:
        return None
    room_type = await session.scalar(
        select(RoomType).where(RoomType.property_id == prop.id).order_by(RoomType.base_price_minor).limit(1)
    )
    if room_type is None:
        return None
    checkout = local_today(prop.timezone) - timedelta(days=nights_ago)
    checkin = checkout - timedelta(days=2)
    left = datetime.combine(checkout, time(10), tzinfo=utcnow().tzinfo)
    booking = Booking(
        id=new_id(),
        reference=reference,
        property_id=prop.id,
        kind="stay",
        room_type_id=room_type.id,
        user_id=guest.id,
        contact_name=guest.full_name,
        contact_email=guest.email or "guest@example.com",
        checkin=checkin,
        checkout=checkout,
        rooms=1,
        guests=2,
        status=Status.checked_out.value,
        payment_status="paid",
        currency=prop.currency,
        total_minor=room_type.base_price_minor * 2,
        quote={},
        created_at=left - timedelta(days=30),
        updated_at=left,
        confirmed_at=left - timedelta(days=30),
        checked_in_at=left - timedelta(days=2),
        checked_out_at=left,
    )
    session.add(booking)
    await session.flush()
    return booking


def _review(booking: Booking, author: User, opinion: tuple[int, str, str], reply: bool) -> Review:
    rating, title, body = opinion
    assert booking.checked_out_at is not None
    written = booking.checked_out_at + timedelta(days=1)
    return Review(
        id=new_id(),
        booking_id=booking.id,
        property_id=booking.property_id,
        user_id=author.id,
        rating=rating,
        title=title,
        body=body,
        author_name=reviews.author_name(author),
        status=ReviewStatus.published.value,
        moderated_at=written + timedelta(hours=5),
        published_at=written + timedelta(hours=5),
        reply_body=REPLY if reply else None,
        replied_at=written + timedelta(days=1) if reply else None,
        created_at=written,
        updated_at=written,
    )


async def _hotel_reviews(session: AsyncSession, world: DemoWorld, reviewers: list[User]) -> None:
    rng = random.Random(13)
    for index, prop in enumerate(world.hotels):
        count = 2 + index % 3
        for j in range(count):
            author = reviewers[(index + j) % len(reviewers)]
            opinion = OPINIONS[rng.randrange(len(OPINIONS))]
            booking = await _past_stay(session, prop, author, f"DR{index:02d}{j}", 20 + 9 * j)
            if booking is not None:
                session.add(_review(booking, author, opinion, reply=j == 0))
        await session.flush()
        await reviews.refresh_rating(session, prop.id)


async def _guest(session: AsyncSession, world: DemoWorld) -> None:
    """The guest's past stay at the first hotel: reviewed, and the points it earned."""
    guest, prop = world.guest, world.hotels[0]
    booking = await _past_stay(session, prop, guest, "DRGUEST0", 40)
    if booking is None:
        return
    session.add(_review(booking, guest, OPINIONS[1], reply=True))
    points = booking.total_minor // 10 ** exponent(booking.currency)
    if points > 0:
        account = await session.get(LoyaltyAccount, guest.id)
        if account is None:
            account = LoyaltyAccount(user_id=guest.id, points=0, updated_at=utcnow())
            session.add(account)
        account.points += points
        assert booking.checked_out_at is not None
        session.add(
            LoyaltyEntry(
                id=new_id(),
                user_id=guest.id,
                kind=LoyaltyKind.earn.value,
                points=points,
                booking_id=booking.id,
                memo=booking.reference,
                created_at=booking.checked_out_at,
            )
        )
    await session.flush()
    await reviews.refresh_rating(session, prop.id)
    await loyalty.recompute_tier(session, guest.id, DEMO)


async def _favorites(session: AsyncSession, world: DemoWorld) -> None:
    for prop in (world.hotels[1], world.venue):
        stmt = insert_for(session, Favorite).values(
            user_id=world.guest.id, property_id=prop.id, created_at=utcnow()
        )
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "property_id"]))


async def load(session: AsyncSession, world: DemoWorld) -> None:
    """Idempotent: running the demo loader twice adds nothing the second time."""
    if not world.hotels:
        return
    await _hotel_reviews(session, world, await _reviewers(session))
    await _guest(session, world)
    await _favorites(session, world)
