"""Placing orders: the windows (pre-stay, in-stay), times, prices copied, bad input; idempotency."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.context import AppContext
from innkeeper.extras.models import ServiceOrder
from innkeeper.kit.clock import clock
from tests.bookings.support import book
from tests.catalog_support import freeze, user
from tests.extras.support import at, catalog_hotel, check_in, confirmed, order
from tests.helpers import API, assert_problem

FLIGHT = {"flight_number": "TP1234", "terminal": "T1", "direction": "pickup"}


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()  # Monday 2030-03-04 10:00 UTC = 10:00 in Lisbon


async def count_orders(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(ServiceOrder)) or 0)


async def test_pre_stay_window_times_details_and_price(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await catalog_hotel(client)
    me = await user(client)
    held = await book(client, h, me, start=5, end=6)  # reserved, not confirmed yet
    r = await client.post(
        f"{API}/bookings/{held['id']}/service-orders", headers=me, json={"service_code": "SPA"}
    )
    assert_problem(r, 409, "service.not_available_now")
    b = await confirmed(client, h, me, start=0, end=3)
    bid = b["id"]
    refused = [
        ({"service_code": "LAUNDRY"}, 409, "service.not_available_now"),  # in-stay only
        ({"service_code": "AIRPORT", "details": FLIGHT}, 422, "service_order.invalid"),  # needs a time
        (
            {"service_code": "AIRPORT", "scheduled_for": at(0, "16:00")},
            422,
            "service_order.invalid",
        ),  # flight
        (
            {"service_code": "AIRPORT", "scheduled_for": at(0, "12:00"), "details": FLIGHT},
            409,
            "service.not_available_now",
        ),  # inside the 4-hour lead time
        ({"service_code": "AIRPORT", "scheduled_for": at(0, "09:00"), "details": FLIGHT}, 422, None),  # past
        ({"service_code": "AIRPORT", "scheduled_for": at(5, "09:00"), "details": FLIGHT}, 422, None),  # after
        ({"service_code": "CAB", "details": {"destination": "Belem"}}, 422, "service_order.invalid"),
        ({"service_code": "SPA", "quantity": 0}, 422, "request.validation"),
        ({"service_code": "SPA", "quantity": 10_000}, 422, "request.validation"),
        ({"service_code": "NOPE"}, 404, "service.not_found"),
        ({"service_code": "SPA", "details": {"flight_number": "not a flight!"}}, 422, "request.validation"),
        ({"service_code": "SPA", "scheduled_for": "tomorrow"}, 422, "request.validation"),
    ]
    for body, status, code in refused:
        r = await client.post(f"{API}/bookings/{bid}/service-orders", headers=me, json=body)
        assert_problem(r, status, code)
    assert await count_orders(ctx) == 0
    # a good pre-stay order: priced now, VAT on top through the pricing code, local time shown
    key = uuid.uuid4().hex
    body = {"service_code": "AIRPORT", "scheduled_for": at(0, "16:00"), "details": FLIGHT, "notes": "2 bags"}
    pickup = await order(client, bid, me, key=key, **body)
    assert pickup["status"] == "requested" and pickup["stage"] == "pre_stay"
    assert pickup["unit_price"]["amount"] == "45.00" and pickup["tax"]["amount"] == "4.50"
    assert pickup["total"] == {"amount": "49.50", "currency": "EUR"}
    assert pickup["scheduled_for"] == "2030-03-04T16:00:00+00:00"
    assert pickup["details"] == FLIGHT and pickup["department"] == "concierge"
    # the same key and body replays; the same key with another body is refused
    again = await client.post(
        f"{API}/bookings/{bid}/service-orders", headers={**me, "Idempotency-Key": key}, json=body
    )
    assert again.status_code == 201 and again.json()["id"] == pickup["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = {**body, "notes": "3 bags"}
    r = await client.post(
        f"{API}/bookings/{bid}/service-orders", headers={**me, "Idempotency-Key": key}, json=other
    )
    assert_problem(r, 422, "idempotency.key_reused")
    # a later price change does not touch the order; an inactive service cannot be ordered
    airport = h["services"]["AIRPORT"]["id"]
    r = await client.patch(
        f"{API}/properties/{h['pid']}/services/{airport}",
        headers=h["owner"],
        json={"price": "60.00", "is_active": False},
    )
    assert r.status_code == 200, r.text
    listed = (await client.get(f"{API}/bookings/{bid}/service-orders", headers=me)).json()
    assert [(o["id"], o["total"]["amount"]) for o in listed["items"]] == [(pickup["id"], "49.50")]
    r = await client.post(
        f"{API}/bookings/{bid}/service-orders", headers=me, json=body | {"scheduled_for": at(1, "16:00")}
    )
    assert_problem(r, 404, "service.not_found")
    cab = await order(client, bid, me, service_code="CAB", details={"pickup_address": "Rua Augusta 1"})
    assert cab["total"]["amount"] == "16.50" and cab["details"] == {"pickup_address": "Rua Augusta 1"}
    assert await count_orders(ctx) == 2


async def test_in_stay_window_hours_and_cut_off(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await catalog_hotel(client)
    me = await user(client)
    b = await confirmed(client, h, me, start=0, end=3)
    await check_in(client, h, b["id"])
    bid = b["id"]
    # pre-stay only during the stay; laundry after today's 10:00 cut-off; room service outside 07-23
    assert_problem(
        await client.post(
            f"{API}/bookings/{bid}/service-orders", headers=me, json={"service_code": "WELCOME"}
        ),
        409,
        "service.not_available_now",
    )
    assert_problem(
        await client.post(
            f"{API}/bookings/{bid}/service-orders", headers=me, json={"service_code": "LAUNDRY"}
        ),
        409,
        "service.not_available_now",
    )
    laundry = await order(client, bid, me, service_code="LAUNDRY", quantity=3, scheduled_for=at(1, "09:00"))
    assert laundry["stage"] == "in_stay" and laundry["total"]["amount"] == "39.60"  # 3 x 12.00 + 10 %
    spa = await order(client, bid, me, service_code="SPA", quantity=2)
    assert spa["subtotal"]["amount"] == "160.00" and spa["total"]["amount"] == "176.00"
    clock.advance(timedelta(hours=13, minutes=30))  # 23:30 local
    assert_problem(
        await client.post(
            f"{API}/bookings/{bid}/service-orders", headers=me, json={"service_code": "ROOMSVC"}
        ),
        409,
        "service.not_available_now",
    )
    late = {"service_code": "ROOMSVC", "scheduled_for": at(1, "06:30")}
    assert_problem(await client.post(f"{API}/bookings/{bid}/service-orders", headers=me, json=late), 409)
    breakfast = await order(client, bid, me, service_code="ROOMSVC", scheduled_for=at(1, "07:30"))
    assert breakfast["scheduled_for"] == "2030-03-05T07:30:00+00:00"
    # the desk orders for the guest too
    desk_order = await order(client, bid, h["owner"], service_code="SPA")
    assert desk_order["status"] == "requested"
    assert await count_orders(ctx) == 4
