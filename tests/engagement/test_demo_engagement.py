"""The demo's engagement data: real published reviews behind every demo hotel's rating (no invented
numbers), the guest's points and favorites; loading again adds nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.catalog.models import Favorite, Property
from innkeeper.context import AppContext
from innkeeper.demo import load_demo
from innkeeper.engagement.models import LoyaltyAccount, LoyaltyEntry, Review
from innkeeper.identity.models import User
from tests.catalog_support import freeze
from tests.helpers import API


async def test_demo_ratings_come_from_reviews(
    ctx: AppContext, client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the demo loader is the same code on both databases; once is enough")
    freeze()
    await load_demo(ctx)
    async with ctx.db.unit_of_work(write=False) as session:
        reviews_before = await session.scalar(select(func.count()).select_from(Review))
    await load_demo(ctx)
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Review)) == reviews_before
        hotels = (await session.scalars(select(Property).where(Property.kind == "hotel"))).all()
        for prop in hotels:
            ratings = (
                await session.scalars(
                    select(Review.rating).where(Review.property_id == prop.id, Review.status == "published")
                )
            ).all()
            assert 2 <= prop.review_count == len(ratings), prop.slug
            # the average, x10, rounded half up
            assert prop.rating_x10 == (20 * sum(ratings) + len(ratings)) // (2 * len(ratings)), prop.slug
        guest = await session.scalar(select(User).where(User.email == "guest@example.com"))
        assert guest is not None
        account = await session.get(LoyaltyAccount, guest.id)
        ledger = await session.scalar(
            select(func.sum(LoyaltyEntry.points)).where(LoyaltyEntry.user_id == guest.id)
        )
        assert account is not None and account.points == ledger > 0
        assert guest.loyalty_tier != "standard"
        assert await session.scalar(select(func.count()).where(Favorite.user_id == guest.id)) == 2
    first = hotels[0]
    page = (await client.get(f"{API}/properties/{first.slug}/reviews")).json()
    assert page["total"] == page["review_count"] >= 2 and page["items"][0]["body"]
