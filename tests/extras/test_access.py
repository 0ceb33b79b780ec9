"""Who may do what with orders: tenants, roles, the booker, a guest without an account; the queue."""

from __future__ import annotations

import httpx
import pytest

from tests.bookings.support import book
from tests.catalog_support import d, freeze, user
from tests.extras.support import at, catalog_hotel, check_in, confirmed, move, order, staff
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def test_tenancy_roles_guest_token_and_queue(client: httpx.AsyncClient) -> None:
    h = await catalog_hotel(client)
    me = await user(client)
    b = await confirmed(client, h, me, start=0, end=3)
    await check_in(client, h, b["id"])
    spa = await order(client, b["id"], me, service_code="SPA", scheduled_for=at(0, "15:00"))
    laundry = await order(client, b["id"], me, service_code="LAUNDRY", scheduled_for=at(1, "09:00"))
    food = await order(client, b["id"], me, service_code="ROOMSVC", scheduled_for=at(0, "12:00"))
    # another customer: the booking and its orders do not exist for them
    stranger = await user(client)
    assert_problem(await client.get(f"{API}/bookings/{b['id']}/service-orders", headers=stranger), 404)
    r = await client.post(
        f"{API}/bookings/{b['id']}/service-orders", headers=stranger, json={"service_code": "SPA"}
    )
    assert_problem(r, 404, "booking.not_found")
    assert_problem(
        await client.get(f"{API}/service-orders/{spa['id']}", headers=stranger),
        404,
        "service_order.not_found",
    )
    assert_problem(await client.post(f"{API}/service-orders/{spa['id']}/cancel", headers=stranger), 404)
    # another tenant's owner
    other = await catalog_hotel(client)
    assert_problem(await client.post(f"{API}/service-orders/{spa['id']}/accept", headers=other["owner"]), 404)
    assert_problem(
        await client.get(f"{API}/properties/{h['pid']}/service-orders", headers=other["owner"]),
        404,
        "property.not_found",
    )
    # the booker handles nothing; a housekeeper may not deliver food nor see the queue
    assert_problem(await client.post(f"{API}/service-orders/{food['id']}/accept", headers=me), 404)
    assert_problem(await client.get(f"{API}/properties/{h['pid']}/service-orders", headers=me), 404)
    keeper = await staff(client, h, "housekeeping")
    assert_problem(
        await client.post(f"{API}/service-orders/{food['id']}/accept", headers=keeper), 403, "auth.role"
    )
    assert_problem(
        await client.get(f"{API}/properties/{h['pid']}/service-orders", headers=keeper), 403, "auth.role"
    )
    r = await client.post(
        f"{API}/bookings/{b['id']}/service-orders", headers=keeper, json={"service_code": "SPA"}
    )
    assert_problem(r, 403, "auth.role")
    assert_problem(await client.post(f"{API}/service-orders/{food['id']}/cancel", headers=keeper), 403)
    # the front desk works the queue: by scheduled time, filtered by status, category, department, day
    desk = await staff(client, h, "front_desk")
    queue = f"{API}/properties/{h['pid']}/service-orders"
    items = (await client.get(queue, headers=desk)).json()["items"]
    assert [o["id"] for o in items] == [food["id"], spa["id"], laundry["id"]]
    assert items[0]["booking_reference"] == b["reference"]
    await move(client, food["id"], "accept", desk)
    by = lambda **q: client.get(queue, headers=desk, params=q)  # noqa: E731
    assert [o["id"] for o in (await by(status="requested")).json()["items"]] == [spa["id"], laundry["id"]]
    assert [o["id"] for o in (await by(category="laundry")).json()["items"]] == [laundry["id"]]
    assert [o["id"] for o in (await by(department="housekeeping")).json()["items"]] == [laundry["id"]]
    today = (await by(date=d(0))).json()
    assert today["total"] == 2 and {o["id"] for o in today["items"]} == {food["id"], spa["id"]}
    assert (await by(date=d(1), status="requested")).json()["total"] == 1
    assert (await by(limit=1, offset=1)).json()["items"][0]["id"] == spa["id"]
    assert_problem(await by(status="lost"), 422)
    assert_problem(await by(date="yesterday"), 422)
    # a guest without an account orders and cancels with the booking's guest token
    guest_booking = await book(client, h, None, start=1, end=2)
    token = {"X-Guest-Token": guest_booking["guest_token"]}
    r = await client.post(f"{API}/bookings/{guest_booking['id']}/confirm", headers=h["owner"])
    assert r.status_code == 200, r.text
    basket = await order(client, guest_booking["id"], token, service_code="WELCOME")
    assert (await move(client, basket["id"], "cancel", token))["status"] == "cancelled"
    assert_problem(await client.get(f"{API}/service-orders/{basket['id']}"), 404)
