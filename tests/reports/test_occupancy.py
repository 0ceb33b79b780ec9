"""Occupancy, ADR, RevPAR and room revenue agree with what was booked: out-of-order rooms are not
available, holds and cancellations sell nothing, discounts and taxes are not room revenue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from innkeeper.bookings.service.expiry import mark_no_shows
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.money import Money
from tests.catalog_support import d, freeze
from tests.helpers import API
from tests.reports.support import desk_booking, eur, hotel, report


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}  # a test travels days through time


def minor(m: dict[str, str]) -> int:
    return Money.from_decimal(m["amount"], m["currency"]).minor


def euros(minor_units: int) -> dict[str, str]:
    return Money(minor_units, "EUR").to_api()


async def test_out_of_order_rooms_holds_and_cancellations(client: httpx.AsyncClient) -> None:
    h = await hotel(client, rooms=3, price="100.00")
    r = await client.patch(
        f"{API}/properties/{h['pid']}/rooms/{h['rt']['room_ids'][2]}",
        json={"status": "out_of_order"},
        headers=h["owner"],
    )
    assert r.status_code == 200, r.text
    await desk_booking(client, h, 10, 13)  # nights 10, 11, 12
    await desk_booking(client, h, 11, 12)  # night 11
    await desk_booking(client, h, 10, 11, confirm=False)  # a hold: sells nothing
    cancelled = await desk_booking(client, h, 12, 13)
    r = await client.post(f"{API}/bookings/{cancelled['id']}/cancel", json={}, headers=h["owner"])
    assert r.status_code == 200, r.text

    data = await report(client, h, "occupancy", **{"from": d(10), "to": d(14)})
    sold = [1, 2, 1, 0]
    assert [i["period"] for i in data["items"]] == [d(10), d(11), d(12), d(13)]
    assert [i["rooms_available"] for i in data["items"]] == [2, 2, 2, 2]  # 3 rooms, 1 out of order
    assert [i["rooms_sold"] for i in data["items"]] == sold
    assert [i["room_revenue"] for i in data["items"]] == [euros(10000 * n) for n in sold]
    assert [i["occupancy"] for i in data["items"]] == ["0.5000", "1.0000", "0.5000", "0.0000"]
    assert [i["adr"] for i in data["items"]] == [eur("100.00")] * 3 + [eur("0.00")]
    assert [i["revpar"] for i in data["items"]] == [euros(5000 * n) for n in sold]
    assert (data["from"], data["to"], data["group_by"], data["total"]) == (d(10), d(14), "day", 4)

    # ISO weeks: Thursday 14 March .. Sunday 17 is the end of W11, Monday 18 starts W12
    weeks = await report(client, h, "occupancy", **{"from": d(10), "to": d(15), "group_by": "week"})
    assert [(i["period"], i["start"], i["end"]) for i in weeks["items"]] == [
        ("2030-W11", d(10), d(14)),
        ("2030-W12", d(14), d(15)),
    ]
    w11 = weeks["items"][0]
    assert (w11["rooms_available"], w11["rooms_sold"], w11["occupancy"]) == (8, 4, "0.5000")
    assert (w11["room_revenue"], w11["adr"], w11["revpar"]) == (eur("400.00"), eur("100.00"), eur("50.00"))

    # months: the hotel exists from today (4 March) on; 2 rooms in service every night
    months = await report(
        client, h, "occupancy", **{"from": "2030-03-01", "to": "2030-05-01", "group_by": "month"}
    )
    march, april = months["items"]
    assert (march["period"], march["rooms_available"], march["rooms_sold"]) == ("2030-03", 2 * 28, 4)
    assert (april["period"], april["rooms_available"], april["rooms_sold"]) == ("2030-04", 2 * 30, 0)
    assert march["occupancy"] == "0.0714"  # 4 / 56 = 0.071428…
    assert march["revpar"] == eur("7.14")  # 400 / 56 = 7.1428…


async def test_room_revenue_is_net_of_taxes_and_discounts(client: httpx.AsyncClient) -> None:
    h = await hotel(client, rooms=2, price="100.00")
    r = await client.patch(
        f"{API}/properties/{h['pid']}",
        json={"vat_percent": "10", "vat_included": False, "city_tax": "2.00"},
        headers=h["owner"],
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{API}/properties/{h['pid']}/promo-codes",
        json={"code": "TENOFF", "kind": "fixed", "amount": "10.00"},
        headers=h["owner"],
    )
    assert r.status_code == 201, r.text
    b = await desk_booking(client, h, 10, 13, promo_code="TENOFF")
    # 3 nights at 100, less 10 off, plus 10 % VAT on 290 and 2.00 city tax per guest and night
    assert b["total"] == euros(30000 - 1000 + 2900 + 3 * 200)
    # the discount comes off the nights in proportion to their price, the odd cent on the first night
    share = [-334, -333, -333]
    expected = [10000 + s for s in share]
    data = await report(client, h, "occupancy", **{"from": d(10), "to": d(13)})
    assert [minor(i["room_revenue"]) for i in data["items"]] == expected
    assert sum(expected) == 29000
    assert [i["adr"] for i in data["items"]] == [euros(x) for x in expected]

    # VAT inside the price comes off too: 2 nights at 110 incl. 10 % VAT are 200 net
    g = await hotel(client, rooms=1, price="110.00")
    r = await client.patch(
        f"{API}/properties/{g['pid']}", json={"vat_percent": "10", "vat_included": True}, headers=g["owner"]
    )
    assert r.status_code == 200, r.text
    b = await desk_booking(client, g, 10, 12)
    assert b["total"] == eur("220.00")
    data = await report(client, g, "occupancy", **{"from": d(10), "to": d(12)})
    assert [i["room_revenue"] for i in data["items"]] == [eur("100.00"), eur("100.00")]
    assert [i["occupancy"] for i in data["items"]] == ["1.0000", "1.0000"]


async def test_a_no_show_keeps_its_revenue_but_gives_its_later_nights_back(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client, rooms=1, price="100.00")
    await desk_booking(client, h, 1, 4)  # nights 1, 2, 3
    clock.advance(timedelta(days=2))  # day 2: the guest never came on day 1
    async with ctx.db.unit_of_work() as session:
        assert await mark_no_shows(session) == 1
    data = await report(client, h, "occupancy", **{"from": d(1), "to": d(4)})
    # night 1 stays sold (it is past); nights 2 and 3 are back on sale but still charged
    assert [i["rooms_sold"] for i in data["items"]] == [1, 0, 0]
    assert [i["room_revenue"] for i in data["items"]] == [eur("100.00")] * 3
    bookings = await report(client, h, "bookings", **{"from": d(0), "to": d(1)})
    assert (bookings["created"], bookings["confirmed"], bookings["no_show"]) == (1, 1, 1)
