"""Stays are dates in the property's time zone: "today" and "past" are judged there, not in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from innkeeper.kit.clock import clock
from tests.catalog_support import make_hotel, user
from tests.helpers import API, assert_problem


async def test_today_is_the_property_local_date(client: httpx.AsyncClient) -> None:
    clock.freeze(datetime(2030, 3, 30, 20, 0, tzinfo=UTC))  # already 31 March in Tokyo, still 30 in Honolulu
    owner = await user(client)
    tokyo, tokyo_rt = await make_hotel(
        client,
        owner,
        name="Tokyo",
        city="Tokyo",
        country="JP",
        timezone="Asia/Tokyo",
        currency="JPY",
        price="10000",
        latitude=35.68,  # (real places: far apart, so a search in one never widens to the other)
        longitude=139.69,
    )
    honolulu, _ = await make_hotel(
        client,
        owner,
        name="Honolulu",
        city="Honolulu",
        country="US",
        timezone="Pacific/Honolulu",
        currency="USD",
        latitude=21.31,
        longitude=-157.86,
    )
    inv = await client.get(
        f"{API}/properties/{tokyo['id']}/inventory",
        headers=owner,
        params={"room_type_id": tokyo_rt["id"], "from": "2030-03-31", "to": "2030-04-01"},
    )
    assert [i["date"] for i in inv.json()["items"]] == ["2030-03-31"]  # the horizon starts at Tokyo's today
    stay = {"checkin": "2030-03-30", "checkout": "2030-04-01", "guests": 2}
    assert_problem(
        await client.get(f"{API}/properties/{tokyo['slug']}/availability", params=stay), 422, "stay.invalid"
    )
    ok = await client.get(f"{API}/properties/{honolulu['slug']}/availability", params=stay)
    assert ok.status_code == 200 and ok.json()["items"][0]["bookable"] is True
    # cross-property search accepts the date and simply leaves out the property where it is past
    found = await client.get(f"{API}/search", params={**stay, "city": "Tokyo"})
    assert found.status_code == 200 and found.json()["total"] == 0
    found = await client.get(f"{API}/search", params={**stay, "city": "Honolulu"})
    assert found.json()["total"] == 1


async def test_a_stay_across_a_dst_change_prices_every_night(client: httpx.AsyncClient) -> None:
    clock.freeze(datetime(2030, 3, 20, 12, 0, tzinfo=UTC))
    owner = await user(client)
    prop, rt = await make_hotel(
        client, owner, name="Lisbon DST"
    )  # Europe/Lisbon moves to summer time 31 March
    q = await client.get(
        f"{API}/properties/{prop['slug']}/quote",
        params={"room_type_id": rt["id"], "checkin": "2030-03-30", "checkout": "2030-04-02", "guests": 2},
    )
    assert q.status_code == 200, q.text
    assert [n["date"] for n in q.json()["nights"]] == ["2030-03-30", "2030-03-31", "2030-04-01"]
    assert q.json()["total"] == {"amount": "300.00", "currency": "EUR"}
