"""Resource search keeps weekly windows and rates per process, keyed by the property's ``catalog_version``
(``search.resources.resource_catalog_cache``): a change made through any process shows in the very next
search of every process, and a warm search reads neither table."""

from __future__ import annotations

from datetime import date

import httpx

from innkeeper.context import AppContext
from innkeeper.pricing.resource_cards import resource_catalog_cache
from tests.catalog_support import freeze
from tests.helpers import API, selects, statements
from tests.hourly.support import add_resource, every_day, set_windows, venue

MONDAY = date(2030, 3, 11)  # the clock is frozen a week before; Lisbon is on UTC until 2030-03-31


async def cheapest(client: httpx.AsyncClient) -> tuple[str, str] | None:
    """The Lisbon hall's ``(from_price, first_slot)`` for an hour on MONDAY; None when it is not found."""
    r = await client.get(f"{API}/resources", params={"date": str(MONDAY), "city": "Lisbon"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    if not items:
        return None
    return items[0]["from_price"]["amount"], items[0]["first_slot"][11:16]


async def test_window_and_rate_changes_show_in_the_next_search_of_every_process(
    client: httpx.AsyncClient, other_process: httpx.AsyncClient, ctx: AppContext
) -> None:
    freeze()
    owner, lisbon = await venue(client)
    hall = await add_resource(client, owner, lisbon["id"])
    resources = f"{API}/properties/{lisbon['id']}/resources/{hall['id']}"
    assert (
        await set_windows(client, owner, lisbon["id"], hall["id"], every_day("09:00", "17:00"))
    ).is_success
    assert await cheapest(client) == await cheapest(other_process) == ("100.00", "09:00")
    assert len(resource_catalog_cache(ctx)) == 1  # warm in this process

    async def everywhere() -> tuple[str, str] | None:
        """What both processes find, each having searched before the change (so each is warm)."""
        found = await cheapest(client)
        assert await cheapest(other_process) == found
        return found

    # a rate added through the other process: both entries are behind, and are reloaded
    r = await other_process.post(
        f"{resources}/rates", headers=owner, json={"start_time": "12:00", "end_time": "14:00", "percent": 50}
    )
    assert r.status_code == 201, r.text
    assert await everywhere() == ("50.00", "12:00")
    r = await client.delete(f"{resources}/rates/{r.json()['id']}", headers=owner)
    assert r.status_code == 204, r.text
    assert await everywhere() == ("100.00", "09:00")

    # windows replaced, then removed altogether (a delete with nothing inserted after it), then back
    assert (
        await set_windows(other_process, owner, lisbon["id"], hall["id"], every_day("13:00", "17:00"))
    ).is_success
    assert await everywhere() == ("100.00", "13:00")
    assert (await set_windows(client, owner, lisbon["id"], hall["id"], [])).is_success
    assert await everywhere() is None
    assert (
        await set_windows(other_process, owner, lisbon["id"], hall["id"], every_day("10:00", "12:00"))
    ).is_success
    assert await everywhere() == ("100.00", "10:00")


async def test_a_resource_added_after_its_property_was_cached_is_found(client: httpx.AsyncClient) -> None:
    freeze()
    owner, lisbon = await venue(client)
    hall = await add_resource(client, owner, lisbon["id"], hourly_price="100.00")
    assert (
        await set_windows(client, owner, lisbon["id"], hall["id"], every_day("09:00", "17:00"))
    ).is_success
    assert await cheapest(client) == ("100.00", "09:00")
    room = await add_resource(client, owner, lisbon["id"], name="Room", hourly_price="30.00")
    assert await cheapest(client) == ("100.00", "09:00")  # no windows yet: not bookable
    assert (
        await set_windows(client, owner, lisbon["id"], room["id"], every_day("15:00", "17:00"))
    ).is_success
    assert await cheapest(client) == ("30.00", "15:00")


async def test_a_warm_search_reads_neither_windows_nor_rates(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    freeze()
    owner, lisbon = await venue(client)
    hall = await add_resource(client, owner, lisbon["id"])
    assert (
        await set_windows(client, owner, lisbon["id"], hall["id"], every_day("09:00", "17:00"))
    ).is_success
    with statements(ctx) as seen:
        assert await cheapest(client) == ("100.00", "09:00")
    cold = selects(seen)
    with statements(ctx) as seen:
        assert await cheapest(client) == ("100.00", "09:00")
    warm = selects(seen)
    # the candidates, their properties, exceptions and allocations; windows and rates once, when cold
    assert [s for s in cold if "resource_windows" in s or "resource_rates" in s]
    assert len(warm) == len(cold) - 2
    assert not [s for s in warm if "resource_windows" in s or "resource_rates" in s]
