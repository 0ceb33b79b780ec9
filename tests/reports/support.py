"""Builders for report tests: hotels whose bookings the desk confirms at once (pay at the property),
and calls of the reports. Expected figures are computed in the tests from what they booked."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.catalog_support import add_room_type, d, make_hotel, user
from tests.helpers import API


def eur(amount: str, currency: str = "EUR") -> dict[str, str]:
    """The money object the API shows."""
    return {"amount": amount, "currency": currency}


async def hotel(
    client: httpx.AsyncClient,
    *,
    rooms: int = 2,
    price: str = "100.00",
    owner: dict[str, str] | None = None,
    policy: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An active hotel that takes payment at the property (the desk confirms bookings at once)."""
    owner = owner or await user(client)
    prop, rt = await make_hotel(client, owner, rooms=rooms, price=price, **extra)
    body: dict[str, Any] = {"payment_policy": {"mode": "at_property"}}
    if policy:
        body["cancellation_policy"] = policy
    r = await client.patch(f"{API}/properties/{prop['id']}", json=body, headers=owner)
    assert r.status_code == 200, r.text
    return {"owner": owner, "prop": r.json(), "pid": prop["id"], "rt": rt, "rt_id": rt["id"]}


async def second_room_type(
    client: httpx.AsyncClient, h: dict[str, Any], *, code: str, rooms: int, price: str
) -> dict[str, Any]:
    return await add_room_type(client, h["owner"], h["pid"], rooms=rooms, code=code, price=price)


async def desk_booking(
    client: httpx.AsyncClient,
    h: dict[str, Any],
    start: int,
    end: int,
    *,
    confirm: bool = True,
    source: str = "direct",
    name: str = "Gina Guest",
    email: str = "gina@example.com",
    room_type_id: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A stay taken at the desk for days ``start``..``end`` (offsets from the frozen today)."""
    body = {
        "room_type_id": room_type_id or h["rt_id"],
        "checkin": d(start),
        "checkout": d(end),
        "rooms": 1,
        "guests": 1,
        "source": source,
        "confirm": confirm,
        "contact": {"name": name, "email": email},
        **extra,
    }
    r = await client.post(
        f"{API}/properties/{h['pid']}/bookings",
        json=body,
        headers={**(headers or h["owner"]), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def report(
    client: httpx.AsyncClient,
    h: dict[str, Any],
    name: str,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> dict[str, Any]:
    r = await client.get(
        f"{API}/properties/{h['pid']}/reports/{name}", params=params, headers=headers or h["owner"]
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def folio_charges(
    client: httpx.AsyncClient, h: dict[str, Any], booking_id: str
) -> list[dict[str, Any]]:
    r = await client.get(f"{API}/bookings/{booking_id}/folio", headers=h["owner"])
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if e["kind"] == "charge"]
