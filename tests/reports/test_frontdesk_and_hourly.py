"""Front-desk lists and the dashboard for a day; utilization of hourly resources, across DST changes."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from tests.catalog_support import d, freeze
from tests.helpers import API
from tests.hourly.support import add_resource, every_day, set_windows, venue
from tests.reports.support import desk_booking, eur, hotel, report


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}  # a test travels days through time


async def desk(client: httpx.AsyncClient, h: dict[str, Any], which: str, day: str) -> dict[str, Any]:
    r = await client.get(f"{API}/properties/{h['pid']}/{which}", params={"date": day}, headers=h["owner"])
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_arrivals_departures_in_house_and_the_dashboard(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client, rooms=3, price="100.00")
    ann = await desk_booking(client, h, 0, 2, name="Ann Arrived", email="ann@example.com")
    await desk_booking(client, h, 0, 1, name="Bea Expected", email="bea@example.com")
    await desk_booking(client, h, 0, 1, name="Hal Hold", email="hal@example.com", confirm=False)
    await desk_booking(client, h, 1, 3, name="Cal Tomorrow", email="cal@example.com")
    r = await client.post(f"{API}/bookings/{ann['id']}/check-in", json={}, headers=h["owner"])
    assert r.status_code == 200, r.text

    arrivals = await desk(client, h, "arrivals", d(0))
    assert [(i["guest_name"], i["status"]) for i in arrivals["items"]] == [
        ("Ann Arrived", "checked_in"),
        ("Bea Expected", "confirmed"),
    ]
    first = arrivals["items"][0]
    assert (first["checkin"], first["checkout"], first["nights"]) == (d(0), d(2), 2)
    assert first["balance_due"] == eur("200.00") and first["total"] == eur("200.00")
    assert len(first["rooms"]) == 1
    assert first["room_type"] == {"id": h["rt_id"], "name": "Room DBL"}
    assert arrivals["items"][1]["rooms"] == []
    in_house = await desk(client, h, "in-house", d(0))
    assert [i["guest_name"] for i in in_house["items"]] == ["Ann Arrived"]
    assert (await desk(client, h, "departures", d(0)))["items"] == []

    r = await client.get(f"{API}/properties/{h['pid']}/dashboard", params={"date": d(0)}, headers=h["owner"])
    assert r.status_code == 200, r.text
    dash = r.json()
    assert (dash["arrivals"], dash["departures"], dash["in_house"]) == (2, 0, 1)
    # night 0: Ann and Bea of 3 rooms (the hold sells nothing)
    assert (dash["rooms_sold"], dash["rooms_available"], dash["occupancy"]) == (2, 3, "0.6667")
    assert dash["revenue"] == eur("200.00") and dash["room_revenue"] == eur("200.00")
    assert dash["rooms"] == {"clean": 3, "dirty": 0, "inspected": 0, "out_of_order": 0}
    assert (dash["open_service_orders"], dash["hourly_bookings"], dash["hourly_booked_hours"]) == (
        0,
        0,
        "0.00",
    )
    # no date: the property's today
    today = await client.get(f"{API}/properties/{h['pid']}/dashboard", headers=h["owner"])
    assert today.json() == dash

    # day 2: Ann is due out, Cal is in house; a page of one
    clock.advance(timedelta(days=2))
    departures = await desk(client, h, "departures", d(2))
    assert [(i["guest_name"], i["status"]) for i in departures["items"]] == [("Ann Arrived", "checked_in")]
    assert (await desk(client, h, "in-house", d(2)))["items"] == []  # Cal never checked in
    assert (await desk(client, h, "arrivals", d(1)))["total"] == 1
    r = await client.get(
        f"{API}/properties/{h['pid']}/arrivals",
        params={"date": d(0), "limit": 1, "offset": 1},
        headers=h["owner"],
    )
    assert [i["guest_name"] for i in r.json()["items"]] == ["Bea Expected"] and r.json()["total"] == 2


async def slot(
    client: httpx.AsyncClient, owner: dict[str, str], pid: str, rid: str, start: str, end: str
) -> None:
    r = await client.post(
        f"{API}/properties/{pid}/bookings",
        json={
            "resource_id": rid,
            "start": start,
            "end": end,
            "source": "phone",
            "confirm": True,
            "contact": {"name": "Rita", "email": "rita@example.com"},
        },
        headers={**owner, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "confirmed"


async def test_utilization_counts_open_hours_across_dst_and_exceptions(client: httpx.AsyncClient) -> None:
    owner, prop = await venue(client)  # Europe/Lisbon: clocks go forward on 31 March, back on 27 October
    pid = prop["id"]
    r = await client.patch(
        f"{API}/properties/{pid}", json={"payment_policy": {"mode": "at_property"}}, headers=owner
    )
    assert r.status_code == 200, r.text
    hall = await add_resource(client, owner, pid, name="Hall A", hourly_price="50.00")
    idle = await add_resource(client, owner, pid, name="Hall B")
    for rid in (hall["id"], idle["id"]):
        assert (await set_windows(client, owner, pid, rid, every_day("00:00", "24:00"))).status_code == 200
    # closed 2 hours on 1 April
    r = await client.post(
        f"{API}/properties/{pid}/resources/{hall['id']}/exceptions",
        json={"start": "2030-04-01T10:00", "end": "2030-04-01T12:00", "kind": "closed"},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    await slot(client, owner, pid, hall["id"], "2030-03-31T10:00:00+01:00", "2030-03-31T13:00:00+01:00")
    await slot(client, owner, pid, hall["id"], "2030-04-01T14:00:00+01:00", "2030-04-01T15:30:00+01:00")
    h = {"pid": pid, "owner": owner}

    data = await report(client, h, "utilization", **{"from": "2030-03-30", "to": "2030-04-02"})
    rows = {i["name"]: i for i in data["items"]}
    # 24 + 23 (the DST day) + 22 (24 less the closure) hours open
    assert rows["Hall A"]["available_hours"] == "69.00"
    assert rows["Hall A"]["booked_hours"] == "4.50"
    assert rows["Hall A"]["utilization"] == "0.0652"  # 4.5 / 69 = 0.06521…
    assert (rows["Hall B"]["available_hours"], rows["Hall B"]["booked_hours"]) == ("71.00", "0.00")
    autumn = await report(client, h, "utilization", **{"from": "2030-10-27", "to": "2030-10-28"})
    assert {i["available_hours"] for i in autumn["items"]} == {"25.00"}

    revenue = await report(
        client, h, "revenue", **{"from": "2030-03-31", "to": "2030-04-02"}, group_by="resource"
    )
    assert [(i["label"], i["bookings"], i["revenue"]) for i in revenue["items"]] == [
        ("Hall A", 2, eur("225.00"))  # 3 h + 1.5 h at 50.00
    ]
    r = await client.get(f"{API}/properties/{pid}/dashboard", params={"date": "2030-03-31"}, headers=owner)
    assert (r.json()["hourly_bookings"], r.json()["hourly_booked_hours"]) == (1, "3.00")
    assert r.json()["revenue"] == eur("150.00")
