from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from innkeeper.bookings.nightly import Delta, apply, nights
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit.clock import clock
from innkeeper.pricing import service as pricing
from tests.catalog_support import add_room_type, create_property, d, day, freeze, make_admin, make_hotel, user
from tests.helpers import API, assert_problem, bearer, signup


async def take_rooms(
    session: Any, room_type_id: uuid.UUID, checkin: Any, checkout: Any, rooms: int, as_: str
) -> None:
    """Hold or sell ``rooms`` of a type on [checkin, checkout) through the booking engine's counters."""
    await apply(session, [Delta(room_type_id, night, **{as_: rooms}) for night in nights(checkin, checkout)])


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    query = {"checkin": d(10), "checkout": d(13), "guests": 2, "rooms": 1, **params}
    r = await client.get(f"{API}/search", params=query)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def slugs(result: dict[str, Any]) -> list[str]:
    return [item["property"]["slug"] for item in result["items"]]


async def put_inventory(
    client: httpx.AsyncClient, headers: dict[str, str], prop: dict[str, Any], rt: dict[str, Any], **body: Any
) -> None:
    r = await client.put(
        f"{API}/properties/{prop['id']}/inventory", headers=headers, json={"room_type_id": rt["id"], **body}
    )
    assert r.status_code == 200, r.text


async def test_search_across_cities_only_active_properties(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    lisbon, _ = await make_hotel(client, owner, name="Lisbon One", price="120.00")
    lisbon2, _ = await make_hotel(client, owner, name="Lisbon Two", price="90.00", star_rating=5)
    await make_hotel(client, owner, name="Lisbon Closed", active=False)
    porto, _ = await make_hotel(
        client, owner, name="Porto Inn", city="Porto", latitude=41.1579, longitude=-8.6291
    )
    result = await search(client, city="lisbon")
    assert slugs(result) == [lisbon2["slug"], lisbon["slug"]]  # by price
    assert result["total"] == 2
    item = result["items"][0]
    assert item["property"]["name"] == "Lisbon Two" and item["property"]["star_rating"] == 5
    assert item["from_price"] == {"amount": "270.00", "currency": "EUR"}
    assert item["nightly_from"] == {"amount": "90.00", "currency": "EUR"}
    assert item["available_room_types"][0]["available"] == 2
    assert slugs(await search(client, city="  PORTO ")) == [porto["slug"]]
    assert slugs(await search(client, city="lisbon", stars="5")) == [lisbon2["slug"]]
    assert slugs(await search(client, city="lisbon", min_price="100")) == [lisbon["slug"]]
    assert slugs(await search(client, city="lisbon", max_price="100")) == [lisbon2["slug"]]
    assert slugs(await search(client, city="lisbon", sort="rating", limit=1, offset=1)) == [lisbon["slug"]]
    assert (await search(client, city="lisbon", amenities="wifi,spa"))["total"] == 0
    assert (await search(client, city="lisbon", amenities="wifi"))["total"] == 2
    locations = (await client.get(f"{API}/locations", params={"query": "lis"})).json()
    assert locations["items"] == [{"city": "Lisbon", "country": "PT", "properties": 2}]
    assert len((await client.get(f"{API}/locations")).json()["items"]) == 2


async def test_coordinates_radius_and_distance_sort(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    near, _ = await make_hotel(client, owner, name="Near", latitude=38.7100, longitude=-9.1400)
    far, _ = await make_hotel(client, owner, name="Far", latitude=38.8000, longitude=-9.3800)  # ~22 km
    await make_hotel(client, owner, name="Porto", city="Porto", latitude=41.1579, longitude=-8.6291)
    result = await search(client, lat=38.7223, lng=-9.1393, radius_km=30, sort="distance")
    assert slugs(result) == [near["slug"], far["slug"]]
    assert (
        result["items"][0]["property"]["distance_km"] < 2 < result["items"][1]["property"]["distance_km"] < 30
    )
    assert slugs(await search(client, lat=38.7223, lng=-9.1393, radius_km=5)) == [near["slug"]]
    assert (await search(client, lat=38.7223, lng=-9.1393, radius_km=400))["total"] == 3


async def test_capacity_and_rooms(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop, _ = await make_hotel(client, owner, rooms=2, capacity=2)
    assert (await search(client, city="lisbon", guests=3))["total"] == 0
    assert (await search(client, city="lisbon", guests=4, rooms=2))["total"] == 1
    assert (await search(client, city="lisbon", guests=3, rooms=3))["total"] == 0  # only 2 rooms
    await add_room_type(client, owner, prop["id"], code="FAM", capacity=4, price="200.00", rooms=1)
    result = await search(client, city="lisbon", guests=3)
    assert [rt["code"] for rt in result["items"][0]["available_room_types"]] == ["FAM"]


async def test_restrictions_and_sales_show_at_once(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=1)
    assert (await search(client, city="lisbon"))["total"] == 1
    # a sale of the only room on one night of the stay removes the hotel from the next search
    async with ctx.db.unit_of_work() as session:
        await take_rooms(session, uuid.UUID(rt["id"]), day(11), day(12), 1, "sold")
    assert (await search(client, city="lisbon"))["total"] == 0
    assert (await search(client, city="lisbon", checkin=d(12), checkout=d(14)))["total"] == 1
    cases = [
        ({"from": d(12), "to": d(13), "closed": True}, {}),
        ({"from": d(20), "to": d(21), "min_stay": 4}, {"checkin": d(20), "checkout": d(23)}),
        ({"from": d(20), "to": d(21), "max_stay": 2}, {"checkin": d(20), "checkout": d(23)}),
        ({"from": d(20), "to": d(21), "closed_to_arrival": True}, {"checkin": d(20), "checkout": d(23)}),
        ({"from": d(23), "to": d(24), "closed_to_departure": True}, {"checkin": d(20), "checkout": d(23)}),
    ]
    for change, stay in cases:
        stay = stay or {"checkin": d(12), "checkout": d(14)}
        assert (await search(client, city="lisbon", **stay))["total"] == 1, change
        await put_inventory(client, owner, prop, rt, **change)
        assert (await search(client, city="lisbon", **stay))["total"] == 0, change
        undo = {
            k: (None if k == "max_stay" else (1 if k == "min_stay" else False))
            for k in change
            if k not in ("from", "to")
        }
        await put_inventory(client, owner, prop, rt, **{"from": change["from"], "to": change["to"], **undo})
    # an inactive property disappears at once too
    await client.post(f"{API}/properties/{prop['id']}/deactivate", headers=owner)
    assert (await search(client, city="lisbon", checkin=d(12), checkout=d(14)))["total"] == 0


async def test_search_price_equals_quote_total_equals_booking_price(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(
        client, owner, price="99.99", rooms=3, vat_percent="7", city_tax="1.50", city_tax_max_nights=2
    )
    pid = prop["id"]
    for rule in (
        {
            "kind": "season",
            "name": "Spring",
            "start_date": d(0),
            "end_date": d(60),
            "factor": "1.1",
            "priority": 2,
        },
        {"kind": "weekday", "name": "Weekend", "weekdays": ["fri", "sat"], "factor": "1.25"},
        {"kind": "occupancy", "name": "Busy", "min_occupancy_pct": 50, "factor": "1.15"},
        {"kind": "lead_time", "name": "Early", "min_lead_days": 7, "factor": "0.95"},
        {"kind": "length_of_stay", "name": "Three", "min_nights": 3, "factor": "0.9"},
    ):
        r = await client.post(f"{API}/properties/{pid}/rate-rules", headers=owner, json=rule)
        assert r.status_code == 201, r.text
    await put_inventory(client, owner, prop, rt, **{"from": d(11), "to": d(12), "price": "150.00"})
    async with ctx.db.unit_of_work() as session:  # two of three rooms taken on night 12: occupancy 66 %
        await take_rooms(session, uuid.UUID(rt["id"]), day(12), day(13), 2, "held")
    guest_tokens = await signup(client)
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(User).where(User.id == uuid.UUID(guest_tokens["user"]["id"])).values(loyalty_tier="silver")
        )
    guest = bearer(guest_tokens)
    params = {"checkin": d(10), "checkout": d(13), "guests": 3, "rooms": 1}
    r = await client.get(f"{API}/search", params={**params, "city": "Lisbon", "guests": 2}, headers=guest)
    found = r.json()["items"][0]
    quote = await client.get(
        f"{API}/properties/{prop['slug']}/quote",
        headers=guest,
        params={**params, "guests": 2, "room_type_id": rt["id"]},
    )
    assert quote.status_code == 200, quote.text
    q = quote.json()
    assert found["from_price"] == q["total"]
    kinds = [a["name"] for a in q["nights"][2]["adjustments"]]
    assert kinds == ["Spring", "Weekend", "Busy", "Early", "Three"]  # day 12 is a Saturday, 2 of 3 rooms held
    assert [a["name"] for a in q["nights"][0]["adjustments"]] == ["Spring", "Early", "Three"]
    async with ctx.db.unit_of_work(write=False) as session:
        user_row = await session.get(User, uuid.UUID(guest_tokens["user"]["id"]))
        booked = await pricing.quote(
            session, ctx.settings, uuid.UUID(rt["id"]), day(10), day(13), rooms=1, guests=2, user=user_row
        )
    assert booked.quote.to_api()["total"] == q["total"]
    assert [line["kind"] for line in q["lines"]] == ["accommodation", "loyalty", "vat", "city_tax"]
    avail = await client.get(
        f"{API}/properties/{prop['slug']}/availability", headers=guest, params={**params, "guests": 2}
    )
    item = avail.json()["items"][0]
    assert item["total"] == q["total"] and item["available"] == 1 and item["bookable"] is True
    assert [n["price"] for n in item["nights"]] == [n["price"] for n in q["nights"]]


async def test_quote_with_promo_codes(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, price="100.00")
    pid = prop["id"]
    r = await client.post(
        f"{API}/properties/{pid}/promo-codes",
        headers=owner,
        json={"code": "spring10", "kind": "percent", "percent": "10", "max_uses": 5},
    )
    assert r.status_code == 201 and r.json()["code"] == "SPRING10"
    r = await client.post(
        f"{API}/properties/{pid}/promo-codes",
        headers=owner,
        json={"code": "TENOFF", "kind": "fixed", "amount": "10.00", "valid_until": "2030-03-05T00:00:00Z"},
    )
    assert r.status_code == 201, r.text
    admin = await make_admin(ctx, client)
    r = await client.post(
        f"{API}/admin/promo-codes",
        headers=admin,
        json={"code": "WELCOME", "kind": "fixed", "amount": "5.00", "currency": "USD"},
    )
    assert r.status_code == 201, r.text
    url = f"{API}/properties/{prop['slug']}/quote"
    base = {"room_type_id": rt["id"], "checkin": d(10), "checkout": d(12), "guests": 2}
    q = (await client.get(url, params={**base, "promo_code": "Spring10"})).json()
    assert q["total"] == {"amount": "180.00", "currency": "EUR"} and q["promo_code"] == "SPRING10"
    assert (await client.get(url, params={**base, "promo_code": "tenoff"})).json()["total"][
        "amount"
    ] == "190.00"
    for code in ("NOPE", "WELCOME"):  # unknown; a fixed USD code at a EUR property
        assert_problem(
            await client.get(url, params={**base, "promo_code": code}), 422, "pricing.promo_invalid"
        )
    clock.advance(timedelta(days=1))
    assert_problem(
        await client.get(url, params={**base, "promo_code": "TENOFF"}), 422, "pricing.promo_invalid"
    )
    async with ctx.db.unit_of_work() as session:
        for _ in range(5):
            assert await pricing.redeem_promo(session, "SPRING10", uuid.UUID(pid))
        assert not await pricing.redeem_promo(session, "SPRING10", uuid.UUID(pid))
    assert_problem(
        await client.get(url, params={**base, "promo_code": "SPRING10"}), 422, "pricing.promo_invalid"
    )


async def test_zero_decimal_currency_hotel(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(
        client,
        owner,
        name="Tokyo Stay",
        city="Tokyo",
        country="JP",
        timezone="Asia/Tokyo",
        currency="JPY",
        price="12345",
        latitude=35.68,
        longitude=139.76,
        vat_percent="10",
    )
    r = await client.post(
        f"{API}/properties/{prop['id']}/rate-rules",
        headers=owner,
        json={"kind": "weekday", "name": "All", "weekdays": [0, 1, 2, 3, 4, 5, 6], "factor": "1.1111"},
    )
    assert r.status_code == 201
    found = (await search(client, city="tokyo"))["items"][0]
    # 12345 x 1.1111 = 13716.53 → 13717 yen a night; 3 nights 41151; VAT 10 % 4115.1 → 4115
    assert found["nightly_from"] == {"amount": "13717", "currency": "JPY"}
    assert found["from_price"] == {"amount": "45266", "currency": "JPY"}
    cal = await client.get(
        f"{API}/properties/{prop['slug']}/calendar",
        params={"room_type_id": rt["id"], "from": d(0), "to": d(7)},
    )
    assert cal.status_code == 200
    assert [i["price"]["amount"] for i in cal.json()["items"]] == ["13717"] * 7
    assert cal.json()["items"][0]["available"] == 2


async def test_calendar_shows_prices_and_availability(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=2)
    await put_inventory(client, owner, prop, rt, **{"from": d(3), "to": d(4), "price": "150.00"})
    await put_inventory(client, owner, prop, rt, **{"from": d(4), "to": d(5), "closed": True})
    async with ctx.db.unit_of_work() as session:
        await take_rooms(session, uuid.UUID(rt["id"]), day(2), day(3), 1, "held")
    r = await client.get(
        f"{API}/properties/{prop['slug']}/calendar",
        params={"room_type_id": rt["id"], "from": d(1), "to": d(5)},
    )
    items = r.json()["items"]
    assert [(i["date"], i["available"], i["price"]["amount"]) for i in items] == [
        (d(1), 2, "100.00"),
        (d(2), 1, "100.00"),
        (d(3), 2, "150.00"),
        (d(4), 0, "100.00"),
    ]
    other_owner = await user(client)
    _other, other_rt = await make_hotel(client, other_owner, name="Elsewhere")
    assert_problem(
        await client.get(
            f"{API}/properties/{prop['slug']}/calendar", params={"room_type_id": other_rt["id"]}
        ),
        404,
        "room_type.not_found",
    )


BAD_SEARCHES: list[dict[str, Any]] = [
    {"checkin": d(10), "checkout": d(10)},  # equal dates
    {"checkin": d(12), "checkout": d(10)},  # reversed
    {"checkin": d(1), "checkout": d(32)},  # 31 nights
    {"checkin": d(-3), "checkout": d(-1)},  # past
    {"checkin": d(400), "checkout": d(402)},  # beyond the horizon
    {"guests": 0},
    {"guests": 5000},
    {"rooms": 0},
    {"guests": 1, "rooms": 2},
    {"city": None},  # no location at all
    {"sort": "distance"},  # without coordinates
    {"sort": "cheapest"},
    {"lat": 100, "lng": 0, "city": None},
    {"lat": 10, "city": None},
    {"radius_km": -1},
    {"min_price": "-5"},
    {"min_price": "50", "max_price": "10"},
    {"stars": "7"},
    {"checkin": "2030-02-30"},
    {"limit": 1000},
]


@pytest.mark.parametrize("bad", BAD_SEARCHES)
async def test_bad_search_input_is_422(client: httpx.AsyncClient, bad: dict[str, Any]) -> None:
    params = {"city": "Lisbon", "checkin": d(10), "checkout": d(13), "guests": 2, "rooms": 1, **bad}
    params = {k: v for k, v in params.items() if v is not None}
    assert_problem(await client.get(f"{API}/search", params=params), 422)


async def test_bad_property_page_and_availability_input(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    for slug in ("Bad_Slug", "a", "x" * 100, "-lead"):
        assert_problem(await client.get(f"{API}/properties/{slug}"), 422, "property.invalid_slug")
    assert_problem(await client.get(f"{API}/properties/no-such-hotel"), 404, "property.not_found")
    url = f"{API}/properties/{prop['slug']}/availability"
    for bad in (
        {"checkin": d(-1), "checkout": d(1)},
        {"checkin": d(3), "checkout": d(2)},
        {"checkin": d(1), "checkout": d(40)},
        {"checkin": d(360), "checkout": d(367)},
        {"guests": 0},
        {"guests": 51},
    ):
        body = assert_problem(await client.get(url, params={"checkin": d(1), "checkout": d(3), **bad}), 422)
        assert body["errors"]
    quote = f"{API}/properties/{prop['slug']}/quote"
    too_many = await client.get(
        quote, params={"room_type_id": rt["id"], "checkin": d(1), "checkout": d(3), "guests": 3}
    )
    assert_problem(too_many, 409, "inventory.capacity")


async def test_public_property_page(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop = await create_property(client, owner, description="By the river")
    await add_room_type(client, owner, prop["id"], rooms=1, bed_config="1 king", size_sqm=25)
    await client.post(f"{API}/properties/{prop['id']}/activate", headers=owner)
    page = (await client.get(f"{API}/properties/{prop['slug']}")).json()
    assert page["description"] == "By the river" and page["amenities"] == ["wifi", "pool"]
    assert page["room_types"][0]["bed_config"] == "1 king"
    assert "is_active" not in page
