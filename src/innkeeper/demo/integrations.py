"""Demo data: integrations. A calendar feed of the first demo hotel's first room type, whose token is
derived from the secret key (``demo_feed_token``) so a developer can open it without the one-time
answer. No webhook subscription: a demo one would call an address nobody owns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import RoomType
from innkeeper.demo.world import DemoWorld
from innkeeper.integrations.models import CalendarFeed
from innkeeper.kit.security import hash_token, hmac_code


def demo_feed_token(secret_key: str) -> str:
    """The demo feed's token: stable for one secret key, unguessable without it."""
    return hmac_code(secret_key, "calendar-feed", context="demo")[:40]


async def load(session: AsyncSession, world: DemoWorld) -> None:
    """Idempotent: running the demo loader twice adds nothing the second time."""
    if not world.hotels:
        return
    hotel = world.hotels[0]
    room_type = await session.scalar(
        select(RoomType).where(RoomType.property_id == hotel.id).order_by(RoomType.code).limit(1)
    )
    if room_type is None:
        return
    token_hash = hash_token(demo_feed_token(world.settings.secret_key))
    if await session.scalar(select(CalendarFeed.id).where(CalendarFeed.token_hash == token_hash)):
        return
    session.add(
        CalendarFeed(
            property_id=hotel.id, room_type_id=room_type.id, token_hash=token_hash, created_by=world.owner.id
        )
    )
