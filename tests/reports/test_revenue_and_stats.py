"""Revenue by source, room type and service category; booking statistics and customers. Expected
figures come from what the test booked (prices, policies) and what the folio shows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from tests.billing.support import pay, simulate
from tests.catalog_support import d, day, freeze
from tests.helpers import API
from tests.reports.support import desk_booking, eur, folio_charges, hotel, report, second_room_type


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}  # a test travels days through time


def minor(m: dict[str, str]) -> int:
    return Money.from_decimal(m["amount"], m["currency"]).minor


async def post_service(ctx: AppContext, booking_id: str, category: str, amount: int, vat: int) -> None:
    """What ``extras`` does when an order is delivered: its charge under the service's category, its
    VAT under ``vat`` (the contract reports group by)."""
    async with ctx.db.unit_of_work() as session:
        b = await session.get(Booking, uuid.UUID(booking_id))
        assert b is not None
        lines = [(category, "Spa x 1", amount), ("vat", "VAT on Spa", vat)]
        await folio.post_service_order(
            session, b, uuid.uuid4(), lines, Actor.system("test"), service_date=day(10)
        )


async def test_revenue_by_source_room_type_and_service_category(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client, rooms=2, price="100.00", policy={"preset": "non_refundable"})
    suite = await second_room_type(client, h, code="STE", rooms=1, price="200.00")
    direct = await desk_booking(client, h, 10, 12, source="direct")  # 2 x 100
    await desk_booking(client, h, 10, 11, source="walk_in", room_type_id=suite["id"])  # 200
    await desk_booking(client, h, 11, 12, source="phone")  # 100
    gone = await desk_booking(client, h, 10, 11, source="phone")
    await simulate(client, runner, (await pay(client, gone["id"], h["owner"]))["id"])  # paid in full
    r = await client.post(f"{API}/bookings/{gone['id']}/cancel", json={}, headers=h["owner"])
    assert r.status_code == 200, r.text
    fee = sum(
        minor(e["amount"])
        for e in await folio_charges(client, h, gone["id"])
        if e["category"] == "cancellation"
    )
    assert fee == 10000  # non-refundable: the policy keeps what was paid
    await post_service(ctx, direct["id"], "spa", 3000, 300)
    rng = {"from": d(10), "to": d(12)}

    by_source = await report(client, h, "revenue", **rng, group_by="source")
    got = {i["key"]: (i["bookings"], minor(i["revenue"])) for i in by_source["items"]}
    assert got == {"direct": (1, 20000 + 3000), "walk_in": (1, 20000), "phone": (1, 10000)}
    assert minor(by_source["revenue"]) == 53000 and by_source["bookings"] == 3
    # the cancellation charge is revenue of the day it was posted (today), not of the stay's nights
    today = await report(client, h, "revenue", **{"from": d(0), "to": d(1)}, group_by="source")
    assert [(i["key"], i["bookings"], minor(i["revenue"])) for i in today["items"]] == [("phone", 1, fee)]
    assert [i["key"] for i in by_source["items"]] == sorted(got, key=lambda k: -got[k][1])

    by_type = await report(client, h, "revenue", **rng, group_by="room_type")
    got_types = {i["label"]: (i["key"], i["bookings"], i["revenue"]) for i in by_type["items"]}
    assert got_types == {
        "Room DBL": (h["rt_id"], 2, eur("300.00")),
        "Room STE": (suite["id"], 1, eur("200.00")),
    }
    services = await report(client, h, "revenue", **rng, group_by="service_category")
    assert [(i["key"], i["bookings"], i["revenue"]) for i in services["items"]] == [("spa", 1, eur("30.00"))]
    assert (await report(client, h, "revenue", **rng, group_by="resource"))["items"] == []
    # a range the service's date is outside of has none of it
    later = await report(client, h, "revenue", **{"from": d(11), "to": d(12)}, group_by="service_category")
    assert later["items"] == []


async def test_booking_statistics_and_customers(client: httpx.AsyncClient) -> None:
    h = await hotel(client, rooms=3, price="100.00")
    # created today (day 0): two by Ann (one with an account-less e-mail in upper case), one by Bob
    await desk_booking(client, h, 10, 12, name="Ann", email="ann@example.com")  # lead 10, 2 nights
    await desk_booking(client, h, 20, 23, name="Ann", email="ANN@example.com")  # lead 20, 3 nights
    bob = await desk_booking(client, h, 10, 11, name="Bob", email="bob@example.com")  # lead 10, 1 night
    await desk_booking(client, h, 5, 6, name="Hold", email="hold@example.com", confirm=False)
    r = await client.post(f"{API}/bookings/{bob['id']}/cancel", json={}, headers=h["owner"])
    assert r.status_code == 200, r.text
    clock.advance(timedelta(days=1))
    await desk_booking(client, h, 12, 13, name="Cy", email="cy@example.com")  # tomorrow: not in the range

    stats = await report(client, h, "bookings", **{"from": d(0), "to": d(1)})
    assert {k: stats[k] for k in ("created", "confirmed", "cancelled", "no_show", "expired")} == {
        "created": 4,
        "confirmed": 3,
        "cancelled": 1,
        "no_show": 0,
        "expired": 0,
    }
    assert stats["cancellation_rate"] == "0.2500"  # 1 of 4
    assert stats["average_lead_days"] == "13.33"  # (10 + 20 + 10) / 3
    assert stats["average_length"] == "2.00"  # (2 + 3 + 1) / 3

    customers = await report(client, h, "customers", **{"from": d(10), "to": d(30)})
    # arrivals in the range that were sold: Ann twice, Cy once (Bob cancelled, the hold never sold)
    assert (customers["customers"], customers["repeat_customers"], customers["repeat_rate"]) == (
        2,
        1,
        "0.5000",
    )
    assert [(c["name"], c["bookings"], c["visits"], c["revenue"]) for c in customers["top"]] == [
        ("Ann", 2, 2, eur("500.00")),
        ("Cy", 1, 1, eur("100.00")),
    ]
    # only Ann's second stay arrives from day 15 on, but her first one makes her a repeat customer
    later = await report(client, h, "customers", **{"from": d(15), "to": d(30)})
    assert (later["customers"], later["repeat_customers"]) == (1, 1)


async def test_booking_dates_are_property_local(client: httpx.AsyncClient) -> None:
    """20:00 UTC on 4 March is already 5 March in Tokyo: the booking is made on the 5th there."""
    clock.freeze(datetime(2030, 3, 4, 20, 0, tzinfo=UTC))
    h = await hotel(client, rooms=1, timezone="Asia/Tokyo", currency="JPY", price="10000")
    await desk_booking(client, h, 10, 11)
    on_4th = await report(client, h, "bookings", **{"from": "2030-03-04", "to": "2030-03-05"})
    on_5th = await report(client, h, "bookings", **{"from": "2030-03-05", "to": "2030-03-06"})
    assert (on_4th["created"], on_5th["created"]) == (0, 1)
    assert on_5th["average_lead_days"] == "9.00"  # booked on the 5th (local) for the 14th (d(10))
    occupancy = await report(client, h, "occupancy", **{"from": d(10), "to": d(11)})
    assert occupancy["items"][0]["room_revenue"] == eur("10000", "JPY")
