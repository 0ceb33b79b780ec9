"""Builders for catalog tests: a user, a hotel with room types and rooms, active or not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit.clock import clock
from tests.helpers import API, bearer, signup

#: A fixed "now" for catalog tests: Monday 2030-03-04 10:00 UTC.
NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


def freeze() -> None:
    clock.freeze(NOW)


def d(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


async def user(client: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await signup(client))


async def make_admin(ctx: AppContext, client: httpx.AsyncClient) -> dict[str, str]:
    tokens = await signup(client)
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(User).where(User.email == tokens["user"]["email"]).values(is_platform_admin=True)
        )
    return bearer(tokens)


async def create_property(client: httpx.AsyncClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {
        "name": "Hotel Test",
        "kind": "hotel",
        "city": "Lisbon",
        "country": "PT",
        "timezone": "Europe/Lisbon",
        "currency": "EUR",
        "latitude": 38.7223,
        "longitude": -9.1393,
        "star_rating": 4,
        "amenities": ["wifi", "pool"],
        **extra,
    }
    r = await client.post(f"{API}/properties", json=body, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def add_room_type(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    property_id: str,
    *,
    rooms: int = 2,
    code: str = "DBL",
    capacity: int = 2,
    price: Any = "100.00",
    **extra: Any,
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/properties/{property_id}/room-types",
        headers=headers,
        json={"code": code, "name": f"Room {code}", "capacity": capacity, "base_price": price, **extra},
    )
    assert r.status_code == 201, r.text
    rt: dict[str, Any] = r.json()
    rt["room_ids"] = []
    for i in range(rooms):
        r = await client.post(
            f"{API}/properties/{property_id}/rooms",
            headers=headers,
            json={"room_type_id": rt["id"], "number": f"{code}-{i + 1}", "floor": 1},
        )
        assert r.status_code == 201, r.text
        rt["room_ids"].append(r.json()["id"])
    return rt


async def make_hotel(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    active: bool = True,
    rooms: int = 2,
    price: Any = "100.00",
    capacity: int = 2,
    **extra: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    prop = await create_property(client, headers, **extra)
    rt = await add_room_type(client, headers, prop["id"], rooms=rooms, price=price, capacity=capacity)
    if active:
        r = await client.post(f"{API}/properties/{prop['id']}/activate", headers=headers)
        assert r.status_code == 200, r.text
        prop = r.json()
    return prop, rt


async def invite(
    client: httpx.AsyncClient, headers: dict[str, str], property_id: str, email: str, role: str
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/properties/{property_id}/members", headers=headers, json={"email": email, "role": role}
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def add_member(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    property_id: str,
    member: dict[str, Any],
    role: str,
) -> dict[str, Any]:
    """Make ``member`` (the tokens ``signup`` returned) staff the only way there is: ``headers`` (an
    owner) invites the member's address, and the member, signed in, accepts."""
    invitation = await invite(client, headers, property_id, member["user"]["email"], role)
    r = await client.post(f"{API}/users/me/invitations/{invitation['id']}/accept", headers=bearer(member))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    return invitation


def minor(money: dict[str, str]) -> str:
    return money["amount"]
