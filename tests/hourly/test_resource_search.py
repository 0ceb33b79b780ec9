"""Public resource search (``GET /resources``): only active resources of active properties with a free slot
of the asked length that day, priced as the booking's quote prices the cheapest of those slots; filters,
coordinates and travel; a handful of statements whatever the number of resources."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from innkeeper.catalog.models import Property, Resource
from innkeeper.context import AppContext
from innkeeper.inventory import allocations
from innkeeper.inventory.hourly import free_slots
from innkeeper.kit.clock import utcnow
from innkeeper.pricing.hourly import quote_slot
from innkeeper.search.resources import load_schedules, resource_free_slots
from tests.catalog_support import freeze
from tests.helpers import API, assert_problem, selects, statements
from tests.hourly.support import add_resource, booking_ids, every_day, set_windows, venue

MONDAY = date(2030, 3, 11)  # the clock is frozen a week before; Lisbon is on UTC until 2030-03-31


def at(hhmm: str, day: date = MONDAY) -> str:
    return f"{day}T{hhmm}:00+00:00"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def _open(
    client: httpx.AsyncClient,
    owner: dict[str, str],
    prop: dict[str, Any],
    windows: list[dict[str, Any]],
    **fields: Any,
) -> dict[str, Any]:
    resource = await add_resource(client, owner, prop["id"], **fields)
    assert (await set_windows(client, owner, prop["id"], resource["id"], windows)).status_code == 200
    return resource


async def _world(client: httpx.AsyncClient) -> dict[str, Any]:
    """Lisbon: a hall (100.00/h, 09-17) and a meeting room (40.00/h, 08-12, 08-10 at 200 %), and what
    must not be found: an inactive hall, a hall with no windows, a hall of an inactive venue. Porto: a
    hall."""
    freeze()
    owner, lisbon = await venue(client)
    hall = await _open(
        client,
        owner,
        lisbon,
        every_day("09:00", "17:00"),
        name="Grand Hall",
        category="Conference",
        capacity=50,
    )
    room = await _open(
        client,
        owner,
        lisbon,
        every_day("08:00", "12:00"),
        kind="meeting_room",
        name="Room B",
        capacity=8,
        hourly_price="40.00",
        category="meeting",
    )
    r = await client.post(
        f"{API}/properties/{lisbon['id']}/resources/{room['id']}/rates",
        json={"start_time": "08:00", "end_time": "10:00", "percent": 200},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    closed = await _open(
        client, owner, lisbon, every_day("09:00", "17:00"), name="Old Hall", hourly_price="1.00"
    )
    r = await client.patch(
        f"{API}/properties/{lisbon['id']}/resources/{closed['id']}", json={"is_active": False}, headers=owner
    )
    assert r.status_code == 200, r.text
    await add_resource(client, owner, lisbon["id"], name="Unopened Hall", hourly_price="1.00")
    other_owner, hidden = await venue(client, active=False)
    await _open(
        client, other_owner, hidden, every_day("09:00", "17:00"), name="Hidden Hall", hourly_price="1.00"
    )
    porto_owner, porto = await venue(client, city="Porto", latitude=41.1579, longitude=-8.6291)
    porto_hall = await _open(client, porto_owner, porto, every_day("09:00", "17:00"), name="Porto Hall")
    return {
        "owner": owner,
        "lisbon": lisbon,
        "hall": hall,
        "room": room,
        "porto": porto,
        "porto_hall": porto_hall,
    }


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    r = await client.get(f"{API}/resources", params={"date": str(MONDAY), **params})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def names(page: dict[str, Any]) -> list[str]:
    return [item["resource"]["name"] for item in page["items"]]


async def test_lists_free_resources_cheapest_first_at_the_quote_price(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    w = await _world(client)
    page = await search(client, city="Lisbon")
    assert page["total"] == 2
    room, hall = page["items"]
    assert room == {
        "resource": {
            "id": w["room"]["id"],
            "kind": "meeting_room",
            "name": "Room B",
            "capacity": 8,
            "category": "meeting",
        },
        "property": {"id": w["lisbon"]["id"], "slug": w["lisbon"]["slug"], "name": "Venue", "city": "Lisbon"},
        # 08:00 and 09:00 cost 80.00 (200 %), 10:00 and 11:00 40.00: the earliest of the cheapest
        "from_price": eur("40.00"),
        "first_slot": at("10:00"),
    }
    assert (hall["from_price"], hall["first_slot"]) == (eur("100.00"), at("09:00"))
    # the public slot list and the booking's quote agree with the search
    listed = (
        await client.get(
            f"{API}/resources/{w['room']['id']}/slots", params={"date": str(MONDAY), "duration_minutes": 60}
        )
    ).json()["items"]
    assert min(Decimal(s["price"]["amount"]) for s in listed) == Decimal("40.00")
    async with ctx.db.unit_of_work() as session:
        prop = await session.get(Property, uuid.UUID(w["lisbon"]["id"]))
        resource = await session.get(Resource, uuid.UUID(w["room"]["id"]))
        assert prop is not None and resource is not None
        start = datetime.fromisoformat(room["first_slot"])
        quoted = await quote_slot(session, prop, resource, start, start + timedelta(minutes=60))
    assert quoted.quote.to_api()["total"] == room["from_price"]
    # without a city, Porto too; inactive, unopened and hidden halls never
    assert sorted(names(await search(client))) == ["Grand Hall", "Porto Hall", "Room B"]
    # a day nobody is open: after the horizon
    assert (await search(client, date=str(MONDAY + timedelta(days=400))))["total"] == 0


async def test_filters_kind_category_attendees_duration_and_start_time(client: httpx.AsyncClient) -> None:
    await _world(client)
    assert names(await search(client, city="Lisbon", kind="hall")) == ["Grand Hall"]
    assert names(await search(client, city="Lisbon", category="CONFERENCE")) == ["Grand Hall"]
    assert names(await search(client, city="Lisbon", attendees=9)) == ["Grand Hall"]
    assert names(await search(client, city="Lisbon", attendees=8)) == ["Room B", "Grand Hall"]
    # the room is open four hours a day
    assert names(await search(client, city="Lisbon", duration_minutes=300)) == ["Grand Hall"]
    long = (await search(client, city="Lisbon", duration_minutes=240))["items"]
    assert [(i["resource"]["name"], i["from_price"], i["first_slot"]) for i in long] == [
        ("Room B", eur("240.00"), at("08:00")),  # 2 h at 80.00 + 2 h at 40.00
        ("Grand Hall", eur("400.00"), at("09:00")),
    ]
    at_eight = (await search(client, city="Lisbon", start_time="08:00"))["items"]
    assert [(i["resource"]["name"], i["from_price"], i["first_slot"]) for i in at_eight] == [
        ("Room B", eur("80.00"), at("08:00"))
    ]
    at_eleven = await search(client, city="Lisbon", start_time="11:00")
    assert [(i["resource"]["name"], i["first_slot"]) for i in at_eleven["items"]] == [
        ("Room B", at("11:00")),
        ("Grand Hall", at("11:00")),
    ]
    # limit and offset
    second = await search(client, city="Lisbon", limit=1, offset=1)
    assert (names(second), second["total"], second["limit"], second["offset"]) == (["Grand Hall"], 2, 1, 1)


async def test_only_resources_with_a_free_slot(client: httpx.AsyncClient, ctx: AppContext) -> None:
    w = await _world(client)
    lisbon, room = w["lisbon"], w["room"]
    r = await client.post(
        f"{API}/properties/{lisbon['id']}/resources/{room['id']}/exceptions",
        json={"start": at("10:00"), "end": at("12:00"), "kind": "closed"},
        headers=w["owner"],
    )
    assert r.status_code == 201, r.text
    item = (await search(client, city="Lisbon", kind="meeting_room"))["items"][0]
    assert (item["from_price"], item["first_slot"]) == (eur("80.00"), at("08:00"))
    # a booking holds 08:00-10:00: nothing of an hour is left
    (booking,) = await booking_ids(ctx, lisbon["id"], 1)
    async with ctx.db.unit_of_work() as session:
        resource = await session.get(Resource, uuid.UUID(room["id"]))
        assert resource is not None
        await allocations.take(
            session,
            resource,
            booking,
            datetime(2030, 3, 11, 8, tzinfo=UTC),
            datetime(2030, 3, 11, 10, tzinfo=UTC),
        )
    assert (await search(client, city="Lisbon", kind="meeting_room"))["total"] == 0
    # the same on another day: free
    assert (await search(client, city="Lisbon", kind="meeting_room", date=str(MONDAY + timedelta(days=1))))[
        "total"
    ] == 1


async def test_coordinates_travel_and_online(client: httpx.AsyncClient) -> None:
    w = await _world(client)
    owner, practice = await venue(client, kind="practice")
    await _open(
        client,
        owner,
        practice,
        every_day("09:00", "17:00"),
        kind="professional",
        name="Dr. Travel",
        capacity=None,
        hourly_price="60.00",
        latitude=38.7,
        longitude=-9.1,
        travel={"base_fee": "10.00", "per_km": "0.80", "max_km": "12"},
    )
    await _open(
        client,
        owner,
        practice,
        every_day("09:00", "17:00"),
        kind="professional",
        name="Dr. Online",
        capacity=None,
        hourly_price="50.00",
        online=True,
    )
    # on site near Lisbon: the property within the radius, with its distance
    near = await search(client, lat=38.72, lng=-9.14, radius_km=5)
    assert sorted(names(near)) == ["Dr. Online", "Dr. Travel", "Grand Hall", "Room B"]
    assert all(i["distance_km"] < 1 for i in near["items"])
    assert names(await search(client, lat=41.15, lng=-8.63, radius_km=5)) == ["Porto Hall"]
    assert "distance_km" not in (await search(client, city="Porto"))["items"][0]
    # travel: 0.1 degree north of where the professional starts is 11.12 km, charged as 11.2 km
    travel = await search(client, mode="travel", lat=38.8, lng=-9.1)
    (item,) = travel["items"]
    assert item["resource"]["name"] == "Dr. Travel"
    assert item["from_price"] == eur("78.96")  # 60.00 + 10.00 + 0.80 x 11.2
    assert item["distance_km"] == pytest.approx(11.12, abs=0.01)
    assert (await search(client, mode="travel", lat=38.82, lng=-9.1))["total"] == 0  # 13.3 km: too far
    assert (await search(client, mode="travel", lat=38.8, lng=-9.1, radius_km=10))["total"] == 0
    online = await search(client, mode="online")
    assert [(i["resource"]["name"], i["from_price"]) for i in online["items"]] == [
        ("Dr. Online", eur("50.00"))
    ]
    assert w["hall"]["id"] not in {i["resource"]["id"] for i in online["items"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 38.7}, "lat"),
        ({"mode": "travel"}, "lat"),
        ({"radius_km": 5}, "radius_km"),
        ({"lat": 38.7, "lng": -9.1, "radius_km": 100_000}, "radius_km"),
        ({"date": "2030-03-01"}, "date"),
        ({"start_time": "25:00"}, "start_time"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"kind": "room"}, "kind"),
    ],
)
async def test_bad_searches_are_refused(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    freeze()
    r = await client.get(f"{API}/resources", params={"date": str(MONDAY), **params})
    body = assert_problem(r, 422)
    assert any(e["field"].split(".")[-1] == field for e in body["errors"]), body


async def test_statements_do_not_grow_with_the_number_of_resources(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    w = await _world(client)
    with statements(ctx) as seen:
        assert (await search(client))["total"] == 3
    few = len(selects(seen))
    for i in range(2):
        resource = await _open(
            client,
            w["owner"],
            w["lisbon"],
            every_day("09:00", "17:00"),
            name=f"Extra {i}",
            hourly_price="50.00",
        )
        await client.post(
            f"{API}/properties/{w['lisbon']['id']}/resources/{resource['id']}/rates",
            json={"percent": 90},
            headers=w["owner"],
        )
    with statements(ctx) as seen:
        assert (await search(client))["total"] == 5
    # the candidates, their properties, exceptions, allocations, and (Lisbon's cached ones being behind
    # after the changes) windows and rates
    assert len(selects(seen)) == few <= 6


async def test_preloaded_slots_are_free_slots(client: httpx.AsyncClient, ctx: AppContext) -> None:
    """The batched rows give exactly what ``inventory.hourly.free_slots`` gives for each resource:
    exceptions, allocations, buffers and notice included."""
    w = await _world(client)
    owner, lisbon = w["owner"], w["lisbon"]
    buffered = await _open(
        client,
        owner,
        lisbon,
        [*every_day("08:00", "12:00"), *every_day("13:00", "24:00")],
        name="Buffered",
        buffer_before_minutes=30,
        buffer_after_minutes=60,
    )
    base = f"{API}/properties/{lisbon['id']}/resources"
    for rid, body in (
        (buffered["id"], {"start": at("13:30"), "end": at("14:30"), "kind": "closed"}),
        (w["hall"]["id"], {"start": at("18:00"), "end": at("21:00"), "kind": "open"}),
    ):
        assert (await client.post(f"{base}/{rid}/exceptions", json=body, headers=owner)).status_code == 201
    bookings = await booking_ids(ctx, lisbon["id"], 2)
    async with ctx.db.unit_of_work() as session:
        for booking, (rid, hour) in zip(bookings, ((buffered["id"], 9), (w["hall"]["id"], 12)), strict=True):
            resource = await session.get(Resource, uuid.UUID(rid))
            assert resource is not None
            start = datetime(2030, 3, 11, hour, tzinfo=UTC)
            await allocations.take(session, resource, booking, start, start + timedelta(hours=1))
    ids = [w["hall"]["id"], w["room"]["id"], buffered["id"], w["porto_hall"]["id"]]
    async with ctx.db.unit_of_work() as session:
        pairs = []
        for rid in ids:
            resource = await session.get(Resource, uuid.UUID(rid))
            assert resource is not None
            prop = await session.get(Property, resource.property_id)
            assert prop is not None
            pairs.append((resource, prop))
        now = utcnow()
        for day in (MONDAY, MONDAY + timedelta(days=1)):
            schedules = await load_schedules(session, pairs, day)
            for duration in (60, 120):
                for resource, prop in pairs:
                    expected = await free_slots(session, resource, prop, day, duration, now=now)
                    assert resource_free_slots(resource, prop, schedules, day, duration, now) == expected
        # a length a resource does not sell: no slots (free_slots refuses it with a 422)
        assert resource_free_slots(pairs[0][0], pairs[0][1], schedules, MONDAY, 45, now) == []
