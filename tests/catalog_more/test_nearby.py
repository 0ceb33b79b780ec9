"""A city search with fewer than 5 results widens to the nearest active properties around the city."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.search import nearby
from innkeeper.search.finder import SearchParams
from tests.catalog_support import d, day, freeze, make_hotel, user
from tests.helpers import API, with_settings


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


STAY = {"checkin": d(3), "checkout": d(5), "guests": 2}
#: (name, city, latitude, longitude, stars): two hotels in Lisbon, three around it, one far away
HOTELS = [
    ("Alfama", "Lisbon", 38.712, -9.130, 4),
    ("Baixa", "Lisbon", 38.732, -9.150, 4),
    ("Sintra Palace", "Sintra", 38.800, -9.380, 4),  # ~22 km from Lisbon's centre
    ("Cascais Bay", "Cascais", 38.697, -9.421, 5),  # ~25 km
    ("Setubal Port", "Setubal", 38.524, -8.893, 4),  # ~30 km
    ("Porto Ribeira", "Porto", 41.141, -8.611, 4),  # ~275 km: out of the radius
]


async def world(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    owner = await user(client)
    out = {}
    for name, city, lat, lng, stars in HOTELS:
        prop, _ = await make_hotel(
            client, owner, rooms=1, name=name, city=city, latitude=lat, longitude=lng, star_rating=stars
        )
        out[name] = prop
    return out


def summary(found: dict[str, Any]) -> list[tuple[str, bool, float | None]]:
    return [
        (i["property"]["name"], i["property"]["nearby"], i["property"]["distance_km"]) for i in found["items"]
    ]


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    r = await client.get(f"{API}/search", params={**STAY, **params})
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def test_a_small_city_widens_to_its_neighbours(client: httpx.AsyncClient, ctx: AppContext) -> None:
    await world(client)
    found = await search(client, city="Lisbon")
    rows = summary(found)
    assert found["total"] == 5
    # the city's own first (as searched), then the nearest around it, up to five in all
    assert [(n, near) for n, near, _ in rows] == [
        ("Alfama", False),
        ("Baixa", False),
        ("Sintra Palace", True),
        ("Cascais Bay", True),
        ("Setubal Port", True),
    ]
    assert rows[0][2] is None and rows[1][2] is None
    distances = [dist for _, _, dist in rows[2:]]
    assert distances == sorted(distances) and all(dist is not None and 15 < dist < 35 for dist in distances)
    # the widened part pages like the rest
    page = await search(client, city="Lisbon", limit=2, offset=2)
    assert [(n, near) for n, near, _ in summary(page)] == [("Sintra Palace", True), ("Cascais Bay", True)]
    assert page["total"] == 5
    # it honours the search's filters: only 5-star hotels, and there is none in Lisbon
    five = await search(client, city="Lisbon", stars="5")
    assert [(n, near) for n, near, _ in summary(five)] == [("Cascais Bay", True)]
    # a city with no located hotel has no centre: nothing to widen around
    assert (await search(client, city="Atlantis"))["total"] == 0
    # a neighbour searched for itself is not "nearby" itself
    sintra = summary(await search(client, city="Sintra"))
    assert sintra[0] == ("Sintra Palace", False, None) and all(near for _, near, _ in sintra[1:])
    # a smaller radius keeps fewer neighbours; 0 turns the widening off
    ctx.settings = with_settings(ctx.settings, search_nearby_radius_km=24)
    assert [n for n, _, _ in summary(await search(client, city="Lisbon"))] == [
        "Alfama",
        "Baixa",
        "Sintra Palace",
    ]
    ctx.settings = with_settings(ctx.settings, search_nearby_radius_km=0)
    assert (await search(client, city="Lisbon"))["total"] == 2


async def test_searches_by_coordinates_are_never_widened(client: httpx.AsyncClient) -> None:
    await world(client)
    found = await search(client, lat=38.72, lng=-9.14, radius_km=5)
    assert [(n, near) for n, near, _ in summary(found)] == [("Alfama", False), ("Baixa", False)]


def test_widening_is_asked_for_only_below_five_city_results() -> None:
    settings = Settings()
    city = SearchParams(checkin=day(3), checkout=day(5), city="Lisbon")
    assert [nearby.wanted(settings, city, found) for found in (0, 4, 5, 40)] == [5, 1, 0, 0]
    by_point = SearchParams(checkin=day(3), checkout=day(5), city="Lisbon", lat=38.7, lng=-9.1)
    assert nearby.wanted(settings, by_point, 0) == 0
    assert nearby.wanted(with_settings(settings, search_nearby_radius_km=0), city, 0) == 0
