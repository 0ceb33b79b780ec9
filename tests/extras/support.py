"""Builders for service tests: a hotel with a catalog, confirmed and checked-in bookings, orders."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.bookings.support import book, hotel
from tests.catalog_support import add_member, d
from tests.helpers import API, bearer, signup

#: the demo-like catalog the tests order from (prices in EUR)
CATALOG: list[dict[str, Any]] = [
    {
        "code": "AIRPORT",
        "name": "Airport pickup",
        "category": "airport_transfer",
        "price": "45.00",
        "unit": "per_trip",
        "needs_time": True,
        "lead_time_minutes": 240,
    },
    {"code": "CAB", "name": "City cab", "category": "cab", "price": "15.00", "unit": "per_trip"},
    {
        "code": "LAUNDRY",
        "name": "Laundry bag",
        "category": "laundry",
        "price": "12.00",
        "pre_stay": False,
        "order_cutoff": "10:00",
    },
    {"code": "SPA", "name": "Massage", "category": "spa", "price": "80.00", "unit": "per_hour"},
    {
        "code": "ROOMSVC",
        "name": "Room service",
        "category": "room_service",
        "price": "20.00",
        "pre_stay": False,
        "opens_at": "07:00",
        "closes_at": "23:00",
    },
    {"code": "WELCOME", "name": "Welcome basket", "category": "food", "price": "30.00", "in_stay": False},
]


async def catalog_hotel(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    """A hotel (VAT 10 % on top, pay at the property) with :data:`CATALOG`; ``services`` by code."""
    h = await hotel(client, **extra)
    r = await client.patch(
        f"{API}/properties/{h['pid']}",
        headers=h["owner"],
        json={"vat_percent": "10", "payment_policy": {"mode": "at_property"}},
    )
    assert r.status_code == 200, r.text
    h["services"] = {}
    for body in CATALOG:
        r = await client.post(f"{API}/properties/{h['pid']}/services", headers=h["owner"], json=body)
        assert r.status_code == 201, r.text
        h["services"][body["code"]] = r.json()
    return h


async def staff(client: httpx.AsyncClient, h: dict[str, Any], role: str) -> dict[str, str]:
    tokens = await signup(client)
    await add_member(client, h["owner"], h["pid"], tokens, role)
    return bearer(tokens)


async def confirmed(
    client: httpx.AsyncClient, h: dict[str, Any], guest: dict[str, str], start: int = 0, end: int = 3
) -> dict[str, Any]:
    b = await book(client, h, guest, start=start, end=end)
    r = await client.post(f"{API}/bookings/{b['id']}/confirm", headers=h["owner"])
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def check_in(client: httpx.AsyncClient, h: dict[str, Any], booking_id: str) -> None:
    r = await client.post(f"{API}/bookings/{booking_id}/check-in", headers=h["owner"], json={})
    assert r.status_code == 200, r.text


async def order(
    client: httpx.AsyncClient,
    booking_id: str,
    headers: dict[str, str],
    expect: int = 201,
    key: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/bookings/{booking_id}/service-orders",
        json=body,
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


async def move(
    client: httpx.AsyncClient,
    order_id: str,
    verb: str,
    headers: dict[str, str],
    expect: int = 200,
    **body: Any,
) -> dict[str, Any]:
    r = await client.post(f"{API}/service-orders/{order_id}/{verb}", json=body or None, headers=headers)
    assert r.status_code == expect, r.text
    data: dict[str, Any] = r.json()
    return data


def at(day: int, clock: str) -> str:
    """A naive property-local instant (Lisbon: UTC+0 in March) ``day`` days from the tests' today."""
    return f"{d(day)}T{clock}"
