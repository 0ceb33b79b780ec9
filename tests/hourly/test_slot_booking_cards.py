"""A slot booking checks its time against the resource's weekly windows and prices it with its rates as
the process keeps them (``pricing.resource_cards``, the cache resource search reads), under the
property's ``catalog_version``: a change made through another process is in force for the very next
booking or reschedule, and a warm booking reads neither table."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from innkeeper.context import AppContext
from innkeeper.pricing.resource_cards import resource_catalog_cache
from tests.catalog_support import freeze, user
from tests.helpers import API, assert_problem, selects, statements
from tests.hourly.support import add_resource, every_day, set_windows, venue

MONDAY = date(2030, 3, 11)  # the clock is frozen a week before; Lisbon is on UTC until 2030-03-31


def at(hour: int) -> str:
    return f"{MONDAY}T{hour:02d}:00:00+00:00"


async def book(
    client: httpx.AsyncClient, who: dict[str, str], rid: str, start: int, end: int
) -> httpx.Response:
    body = {"resource_id": rid, "start": at(start), "end": at(end)}
    return await client.post(
        f"{API}/bookings", json=body, headers={**who, "Idempotency-Key": uuid.uuid4().hex}
    )


async def hall(client: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, Any], str]:
    freeze()
    owner, lisbon = await venue(client)
    resource = await add_resource(client, owner, lisbon["id"], hourly_price="100.00")
    r = await set_windows(client, owner, lisbon["id"], resource["id"], every_day("09:00", "17:00"))
    assert r.is_success, r.text
    return owner, lisbon, resource["id"]


async def test_bookings_in_every_process_follow_window_and_rate_changes(
    client: httpx.AsyncClient, other_process: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner, lisbon, rid = await hall(client)
    guest = await user(client)
    # both processes warm: each has booked (so holds the property's cards at this version)
    assert (await book(client, guest, rid, 9, 10)).status_code == 201
    assert (await book(other_process, guest, rid, 10, 11)).status_code == 201
    assert len(resource_catalog_cache(ctx)) == 1

    # the windows move to the afternoon through the other process: this one refuses the morning
    r = await set_windows(other_process, owner, lisbon["id"], rid, every_day("13:00", "20:00"))
    assert r.is_success, r.text
    assert_problem(await book(client, guest, rid, 11, 12), 422, "slot.outside_availability")
    r = await book(client, guest, rid, 18, 19)  # outside the old windows, inside the new
    assert r.status_code == 201, r.text
    assert r.json()["total"]["amount"] == "100.00"

    # a half-price afternoon rate added through this process: the other prices with it at once
    rates = f"{API}/properties/{lisbon['id']}/resources/{rid}/rates"
    r = await client.post(
        rates, headers=owner, json={"start_time": "13:00", "end_time": "16:00", "percent": 50}
    )
    assert r.status_code == 201, r.text
    r = await book(other_process, guest, rid, 14, 15)
    assert r.status_code == 201, r.text
    assert r.json()["total"]["amount"] == "50.00"

    # and a reschedule through this process, into the rate's hours, is re-priced with it
    r = await book(client, guest, rid, 16, 17)
    assert r.status_code == 201, r.text
    assert r.json()["total"]["amount"] == "100.00"
    moved = await client.post(
        f"{API}/bookings/{r.json()['id']}/reschedule",
        json={"start": at(13), "end": at(14)},
        headers=guest,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["total"]["amount"] == "50.00"


async def test_a_warm_booking_reads_neither_windows_nor_rates(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _owner, _lisbon, rid = await hall(client)
    guest = await user(client)
    with statements(ctx) as seen:
        assert (await book(client, guest, rid, 9, 10)).status_code == 201
    cold = selects(seen)
    with statements(ctx) as seen:
        assert (await book(client, guest, rid, 11, 12)).status_code == 201
    warm = selects(seen)
    assert [s for s in cold if "FROM resource_windows" in s] and [
        s for s in cold if "FROM resource_rates" in s
    ]
    assert not [s for s in warm if "FROM resource_windows" in s or "FROM resource_rates" in s]
    assert len(warm) == len(cold) - 2
