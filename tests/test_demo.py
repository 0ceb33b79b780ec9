"""``innkeeper demo`` builds a believable, searchable world, and loading it twice changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from innkeeper.catalog.models import Property, Room
from innkeeper.context import AppContext
from innkeeper.demo import DEMO_ACCOUNTS, load_demo
from innkeeper.identity.models import PropertyMembership, User
from innkeeper.inventory.models import InventoryDay
from tests.catalog_support import d, freeze
from tests.helpers import API


async def test_demo_world(ctx: AppContext, client: httpx.AsyncClient) -> None:
    freeze()
    first = await load_demo(ctx)
    assert first == {"users": 4, "properties": 32}
    assert await load_demo(ctx) == {"users": 0, "properties": 0}
    async with ctx.db.unit_of_work(write=False) as session:
        kinds = dict(
            (await session.execute(select(Property.kind, func.count()).group_by(Property.kind))).all()
        )
        assert kinds == {"hotel": 30, "venue": 1, "practice": 1}
        assert await session.scalar(select(func.count(func.distinct(Property.city)))) >= 5
        assert (await session.scalar(select(func.count()).select_from(Room)) or 0) >= 30 * 9
        horizon = await session.scalar(select(func.count(func.distinct(InventoryDay.date))))
        assert horizon is not None and horizon >= 365
    locations = (await client.get(f"{API}/locations")).json()["items"]
    assert len(locations) >= 5
    for city in ("Lisbon", "Porto", "Barcelona", "Paris", "London", "Tokyo"):
        found = (
            await client.get(
                f"{API}/search", params={"city": city, "checkin": d(20), "checkout": d(23), "guests": 2}
            )
        ).json()
        assert found["total"] == 5, city
    owner, desk = DEMO_ACCOUNTS[1], DEMO_ACCOUNTS[2]
    async with ctx.db.unit_of_work(write=False) as session:
        roles = (
            await session.execute(
                select(User.email, PropertyMembership.role, Property.slug)
                .join(PropertyMembership, PropertyMembership.user_id == User.id)
                .join(Property, Property.id == PropertyMembership.property_id)
            )
        ).all()
    assert sum(1 for email, role, _ in roles if email == owner.email and role == "owner") == 32
    desk_roles = [(role, slug) for email, role, slug in roles if email == desk.email]
    assert len(desk_roles) == 1 and desk_roles[0][0] == "front_desk"
    slug = desk_roles[0][1]
    quote_rt = (await client.get(f"{API}/properties/{slug}")).json()["room_types"][0]["id"]
    q = await client.get(
        f"{API}/properties/{slug}/quote",
        params={
            "room_type_id": quote_rt,
            "checkin": d(20),
            "checkout": d(23),
            "guests": 2,
            "promo_code": "WELCOME10",
        },
    )
    assert q.status_code == 200, q.text
    assert any(line["kind"] == "promo" for line in q.json()["lines"])
