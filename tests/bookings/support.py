"""Builders and checks for booking tests."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from innkeeper.bookings.models import HOLD_STATES, SOLD_STATES, Booking
from innkeeper.context import AppContext
from innkeeper.inventory.models import InventoryDay
from tests.catalog_support import d, make_hotel, user
from tests.helpers import API


async def hotel(client: httpx.AsyncClient, *, rooms: int = 2, **extra: Any) -> dict[str, Any]:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=rooms, **extra)
    return {"owner": owner, "prop": prop, "rt": rt, "pid": prop["id"], "rt_id": rt["id"]}


def stay(h: dict[str, Any], start: int = 10, end: int = 12, **extra: Any) -> dict[str, Any]:
    return {
        "room_type_id": h["rt_id"],
        "checkin": d(start),
        "checkout": d(end),
        "rooms": 1,
        "guests": 2,
        **extra,
    }


async def book(
    client: httpx.AsyncClient,
    h: dict[str, Any],
    headers: dict[str, str] | None = None,
    start: int = 10,
    end: int = 12,
    expect: int = 201,
    **extra: Any,
) -> dict[str, Any]:
    body = stay(h, start, end, **extra)
    if headers is None and "contact" not in body:
        body["contact"] = {"name": "Gina Guest", "email": "gina@example.com"}
    r = await client.post(f"{API}/bookings", json=body, headers=headers or {})
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


async def counters(ctx: AppContext, rt_id: str) -> dict[date, tuple[int, int, int]]:
    """(held, sold, total) per date for a room type."""
    async with ctx.db.unit_of_work(write=False) as session:
        rows = (
            await session.scalars(select(InventoryDay).where(InventoryDay.room_type_id == uuid.UUID(rt_id)))
        ).all()
    return {r.date: (r.held, r.sold, r.total) for r in rows}


async def assert_counters_match_bookings(ctx: AppContext, room_type_ids: list[str] | None = None) -> None:
    """Invariant: every inventory counter equals what the booking rows imply; never negative or over.

    ``room_type_ids`` limits the check to those room types (default: the whole database)."""
    days_q, bookings_q = select(InventoryDay), select(Booking)
    if room_type_ids is not None:
        ids = [uuid.UUID(str(x)) for x in room_type_ids]
        days_q = days_q.where(InventoryDay.room_type_id.in_(ids))
        bookings_q = bookings_q.where(Booking.room_type_id.in_(ids))
    async with ctx.db.unit_of_work(write=False) as session:
        days = (await session.scalars(days_q)).all()
        bookings = (await session.scalars(bookings_q)).all()
    held: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    sold: dict[tuple[uuid.UUID, date], int] = defaultdict(int)
    for b in bookings:
        if b.status in HOLD_STATES:
            n = b.checkin
            while n < b.checkout:
                held[(b.room_type_id, n)] += b.rooms
                n += timedelta(days=1)
        elif b.status in SOLD_STATES:
            n = b.checkin
            while n < b.sold_until:
                sold[(b.room_type_id, n)] += b.rooms
                n += timedelta(days=1)
    for day in days:
        key = (day.room_type_id, day.date)
        assert (day.held, day.sold) == (held[key], sold[key]), (
            day.date,
            day.held,
            day.sold,
            held[key],
            sold[key],
        )
        assert 0 <= day.held and 0 <= day.sold and day.held + day.sold <= day.total, day.date
