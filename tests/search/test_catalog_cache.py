"""Search keeps room types and rate rules per process, keyed by ``properties.catalog_version``: a change
made anywhere (this process or another) shows in the very next search."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from innkeeper.catalog.cache import CatalogCache
from innkeeper.context import AppContext
from innkeeper.search.finder import catalog_cache
from tests.catalog_support import d, freeze, make_hotel, user
from tests.helpers import API


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def offer(client: httpx.AsyncClient, **params: Any) -> dict[str, Any] | None:
    query = {"checkin": d(10), "checkout": d(13), "guests": 2, "rooms": 1, "city": "lisbon", **params}
    r = await client.get(f"{API}/search", params=query)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    return items[0] if items else None


def price(item: dict[str, Any] | None) -> str:
    assert item is not None
    return str(item["from_price"]["amount"])


async def test_room_type_and_rule_changes_show_in_the_next_search_of_every_process(
    client: httpx.AsyncClient, other_process: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, price="100.00", capacity=2)
    pid = prop["id"]
    assert price(await offer(client)) == price(await offer(other_process)) == "300.00"
    assert len(catalog_cache(ctx)) == 1  # warm in this process

    # a rule added through the other process: this one's cached entry is behind, and is reloaded
    r = await other_process.post(
        f"{API}/properties/{pid}/rate-rules",
        headers=owner,
        json={"kind": "length_of_stay", "name": "3+", "min_nights": 3, "factor": "1.5"},
    )
    assert r.status_code == 201, r.text
    assert price(await offer(client)) == "450.00"

    # room type changes (price, capacity) through this process show in the other one
    r = await client.patch(
        f"{API}/properties/{pid}/room-types/{rt['id']}", headers=owner, json={"base_price": "80.00"}
    )
    assert r.status_code == 200, r.text
    assert price(await offer(other_process)) == "360.00"
    r = await client.patch(
        f"{API}/properties/{pid}/room-types/{rt['id']}", headers=owner, json={"capacity": 1}
    )
    assert r.status_code == 200, r.text
    assert await offer(other_process) is None and await offer(client) is None
    assert price(await offer(other_process, guests=1)) == "360.00"

    # deleting the rule, likewise
    rule_id = r_id = (await other_process.get(f"{API}/properties/{pid}/rate-rules", headers=owner)).json()[
        "items"
    ][0]["id"]
    assert rule_id == r_id
    r = await other_process.delete(f"{API}/properties/{pid}/rate-rules/{rule_id}", headers=owner)
    assert r.status_code == 204, r.text
    assert price(await offer(client, guests=1)) == "240.00"


def test_the_cache_forgets_the_least_recently_used_beyond_its_size() -> None:
    import uuid

    cache = CatalogCache[tuple[list[str], list[str]]](size=2)
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cache.put(a, 1, (["a"], []))
    cache.put(b, 1, (["b"], []))
    assert cache.get(a, 1) == (["a"], [])  # a is now the most recent
    cache.put(c, 1, (["c"], []))
    assert cache.get(b, 1) is None and cache.get(a, 1) is not None and cache.get(c, 1) is not None
    assert cache.get(a, 2) is None  # another version is a miss
    assert len(cache) == 2
