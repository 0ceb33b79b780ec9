"""Builders for hourly-resource tests: a venue with a resource and windows, booking rows to hang
allocations on."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import httpx

from innkeeper.bookings.models import Booking
from innkeeper.catalog.models import Property, RoomType
from innkeeper.context import AppContext
from tests.catalog_support import create_property, user
from tests.helpers import API

_refs = itertools.count(1)


async def venue(
    client: httpx.AsyncClient,
    *,
    timezone: str = "Europe/Lisbon",
    kind: str = "venue",
    active: bool = True,
    **extra: Any,
) -> tuple[dict[str, str], dict[str, Any]]:
    """An owner's headers and a venue (or practice), active unless asked otherwise."""
    owner = await user(client)
    prop = await create_property(client, owner, name="Venue", kind=kind, timezone=timezone, **extra)
    if active:
        r = await client.post(f"{API}/properties/{prop['id']}/activate", headers=owner)
        assert r.status_code == 200, r.text
    return owner, prop


async def add_resource(
    client: httpx.AsyncClient, owner: dict[str, str], prop_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"kind": "hall", "name": "Hall A", "capacity": 50, "hourly_price": "100.00", **fields}
    r = await client.post(f"{API}/properties/{prop_id}/resources", json=body, headers=owner)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def set_windows(
    client: httpx.AsyncClient, owner: dict[str, str], prop_id: str, rid: str, windows: list[dict[str, Any]]
) -> httpx.Response:
    return await client.put(
        f"{API}/properties/{prop_id}/resources/{rid}/availability", json={"windows": windows}, headers=owner
    )


def every_day(start: str, end: str) -> list[dict[str, Any]]:
    return [{"weekday": d, "start": start, "end": end} for d in range(7)]


async def slots(
    client: httpx.AsyncClient, rid: str, day: date | str, duration: int = 60, **params: Any
) -> list[tuple[str, str]]:
    r = await client.get(
        f"{API}/resources/{rid}/slots", params={"date": str(day), "duration_minutes": duration, **params}
    )
    assert r.status_code == 200, r.text
    return [(s["start"], s["end"]) for s in r.json()["items"]]


async def booking_ids(ctx: AppContext, property_id: str | uuid.UUID, n: int) -> list[uuid.UUID]:
    """``n`` booking rows at the property, for allocations to belong to (their own fields do not matter
    here: the hourly booking columns are the booking engine's)."""
    pid = uuid.UUID(str(property_id))
    async with ctx.db.unit_of_work() as session:
        prop = await session.get(Property, pid)
        assert prop is not None
        rt = RoomType(
            property_id=pid,
            code=f"X{next(_refs)}",
            name="Placeholder",
            capacity=2,
            base_price_minor=0,
            currency=prop.currency,
        )
        session.add(rt)
        await session.flush()
        rows = [
            Booking(
                reference=f"HRLY{next(_refs):08d}",
                property_id=pid,
                room_type_id=rt.id,
                contact_name="Test",
                contact_email="test@example.com",
                checkin=date(2030, 3, 4),
                checkout=date(2030, 3, 5),
                rooms=1,
                guests=1,
                currency=prop.currency,
                total_minor=0,
                quote={},
            )
            for _ in range(n)
        ]
        session.add_all(rows)
        await session.flush()
        return [b.id for b in rows]
