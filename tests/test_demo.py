"""``innkeeper demo`` builds a believable, searchable world, and loading it twice changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from innkeeper.catalog.models import Property, Resource, ResourceAddon, Room
from innkeeper.context import AppContext
from innkeeper.demo import DEMO_ACCOUNTS, load_demo
from innkeeper.identity.models import PropertyMembership, User
from innkeeper.inventory.hourly_models import ResourceWindow
from innkeeper.inventory.models import InventoryDay
from innkeeper.pricing.models import ResourceRate
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
    await _hourly_resources(ctx, client, first_hotel=slug)


async def _hourly_resources(ctx: AppContext, client: httpx.AsyncClient, *, first_hotel: str) -> None:
    """The venue's halls and meeting rooms, the practice's professionals, the hotel's meeting room:
    each with windows, bookable in the public slot list; loading again added none of them twice."""
    async with ctx.db.unit_of_work(write=False) as session:
        rows = (
            await session.execute(
                select(Property.slug, Resource).join(Resource, Resource.property_id == Property.id)
            )
        ).all()
        by_property: dict[str, list[Resource]] = {}
        for slug, resource in rows:
            by_property.setdefault(slug, []).append(resource)
        windowed = set(await session.scalars(select(ResourceWindow.resource_id).distinct()))
        addons = dict(
            (
                await session.execute(
                    select(ResourceAddon.resource_id, func.count()).group_by(ResourceAddon.resource_id)
                )
            ).all()
        )
        rated = set(await session.scalars(select(ResourceRate.resource_id).distinct()))
    venue = by_property["lisbon-congress-hall"]
    assert sorted(r.kind for r in venue) == ["hall"] * 3 + ["meeting_room"] * 2
    halls = [r for r in venue if r.kind == "hall"]
    assert all(addons.get(r.id) == 3 for r in halls) and {r.id for r in halls} <= rated
    practice = by_property["porto-physio-practice"]
    assert [r.kind for r in practice] == ["professional"] * 4
    assert len({r.category for r in practice}) == 4
    assert sum(bool(r.travel) for r in practice) == 1 and sum(r.online for r in practice) == 1
    assert [r.kind for r in by_property[first_hotel]] == ["meeting_room"]
    assert len(rows) == 10 and {r.id for _, r in rows} <= windowed
    hall = halls[0]
    found = (await client.get(f"{API}/resources/{hall.id}/slots", params={"date": d(22)})).json()  # a Tuesday
    assert found["total"] > 0 and found["items"][0]["price"] is not None
