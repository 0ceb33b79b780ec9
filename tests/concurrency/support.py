"""Builders for the live-server tests: a hotel set up through the API, guest bookings, status tallies."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Iterable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from innkeeper.bookings.models import Booking
from innkeeper.catalog.models import Room, RoomStatus
from innkeeper.inventory.models import InventoryDay
from tests.catalog_support import add_room_type, make_hotel, user
from tests.helpers import API

#: Stays start this far ahead of the real today (the live server runs on the real clock).
LEAD_DAYS = 20


def day(offset: int) -> date:
    return date.today() + timedelta(days=LEAD_DAYS + offset)


def iso(offset: int) -> str:
    return day(offset).isoformat()


async def live_hotel(
    client: httpx.AsyncClient, *, rooms: int, second_type_rooms: int = 0, at_property: bool = False
) -> dict[str, Any]:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=rooms, name=f"Race {uuid.uuid4().hex[:8]}")
    h: dict[str, Any] = {"owner": owner, "pid": prop["id"], "rt": [rt["id"]], "room_ids": [rt["room_ids"]]}
    if second_type_rooms:
        rt2 = await add_room_type(client, owner, prop["id"], rooms=second_type_rooms, code="TWN")
        h["rt"].append(rt2["id"])
        h["room_ids"].append(rt2["room_ids"])
    if at_property:
        r = await client.patch(
            f"{API}/properties/{prop['id']}", headers=owner, json={"payment_policy": {"mode": "at_property"}}
        )
        assert r.status_code == 200, r.text
    return h


def body(rt_id: str, start: int, end: int, i: int, rooms: int = 1) -> dict[str, Any]:
    return {
        "room_type_id": rt_id,
        "checkin": iso(start),
        "checkout": iso(end),
        "rooms": rooms,
        "guests": rooms,
        "contact": {"name": f"Racer {i}", "email": f"racer{i}@example.com"},
    }


async def gather_responses(calls: Iterable[Awaitable[httpx.Response]]) -> list[httpx.Response]:
    return list(await asyncio.gather(*calls))


def tally(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """(status, problem code or "") for every response."""
    out: Counter[tuple[int, str]] = Counter()
    for r in responses:
        code = ""
        if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/problem+json"):
            code = r.json().get("code", "")
        out[(r.status_code, code)] += 1
    return out


def assert_no_5xx(responses: list[httpx.Response], server_log: str = "") -> None:
    bad = [(r.status_code, r.text[:300]) for r in responses if r.status_code >= 500]
    assert not bad, f"{len(bad)} server errors, first: {bad[:3]}\n--- server log tail ---\n{server_log}"


async def bookings_of(ctx: Any, rt_id: str) -> list[Booking]:
    async with ctx.db.unit_of_work(write=False) as session:
        return list(
            (await session.scalars(select(Booking).where(Booking.room_type_id == uuid.UUID(rt_id)))).all()
        )


async def days_of(ctx: Any, rt_id: str) -> dict[date, InventoryDay]:
    async with ctx.db.unit_of_work(write=False) as session:
        rows = (
            await session.scalars(select(InventoryDay).where(InventoryDay.room_type_id == uuid.UUID(rt_id)))
        ).all()
    return {r.date: r for r in rows}


async def assert_totals_match_rooms(ctx: Any, rt_id: str, from_day: date) -> None:
    """Every future night's total equals the rooms of this type in service (none lost or doubled)."""
    async with ctx.db.unit_of_work(write=False) as session:
        in_service = await session.scalar(
            select(func.count())
            .select_from(Room)
            .where(Room.room_type_id == uuid.UUID(rt_id), Room.status == RoomStatus.available.value)
        )
    days = await days_of(ctx, rt_id)
    wrong = {d: r.total for d, r in days.items() if d >= from_day and r.total != in_service}
    assert not wrong, (
        f"{len(wrong)} nights with total != {in_service} rooms in service: {sorted(wrong.items())[:3]}"
    )
