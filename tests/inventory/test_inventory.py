from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.inventory.models import InventoryDay
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.catalog_support import TODAY, add_room_type, create_property, d, day, freeze, make_hotel, user
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def rows(ctx: AppContext, room_type_id: str) -> list[InventoryDay]:
    async with ctx.db.unit_of_work(write=False) as session:
        return list(
            (
                await session.scalars(
                    select(InventoryDay)
                    .where(InventoryDay.room_type_id == uuid.UUID(room_type_id))
                    .order_by(InventoryDay.date)
                )
            ).all()
        )


async def set_sold(ctx: AppContext, room_type_id: str, offset: int, sold: int, held: int = 0) -> None:
    async with ctx.db.unit_of_work() as session:
        await session.execute(
            update(InventoryDay)
            .where(InventoryDay.room_type_id == uuid.UUID(room_type_id), InventoryDay.date == day(offset))
            .values(sold=sold, held=held)
        )


async def test_room_type_gets_a_full_horizon_and_rooms_set_the_total(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    rt = await add_room_type(client, owner, prop["id"], rooms=3)
    days = await rows(ctx, rt["id"])
    assert len(days) == ctx.settings.inventory_horizon_days == 365
    assert days[0].date == TODAY and days[-1].date == TODAY + timedelta(days=364)
    assert {x.total for x in days} == {3}
    assert all(x.sold == 0 and x.held == 0 and x.price_minor is None and x.currency == "EUR" for x in days)
    r = await client.get(
        f"{API}/properties/{prop['id']}/inventory",
        headers=owner,
        params={"room_type_id": rt["id"], "from": d(0), "to": d(3)},
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["date"] for i in items] == [d(0), d(1), d(2)]
    assert items[0] == {
        "date": d(0),
        "total": 3,
        "sold": 0,
        "held": 0,
        "available": 3,
        "closed": False,
        "price": None,
        "min_stay": 1,
        "max_stay": None,
        "closed_to_arrival": False,
        "closed_to_departure": False,
    }


async def test_out_of_order_lowers_total_and_is_refused_below_sold(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=2)
    room_url = f"{API}/properties/{prop['id']}/rooms/{rt['room_ids'][0]}"
    r = await client.patch(room_url, headers=owner, json={"status": "out_of_order"})
    assert r.status_code == 200 and r.json()["status"] == "out_of_order"
    assert {x.total for x in await rows(ctx, rt["id"])} == {1}
    r = await client.patch(room_url, headers=owner, json={"status": "available"})
    assert {x.total for x in await rows(ctx, rt["id"])} == {2}
    # both rooms are sold (1) and held (1) on one night in 10 days: no room can leave service
    await set_sold(ctx, rt["id"], 10, sold=1, held=1)
    r = await client.patch(room_url, headers=owner, json={"status": "out_of_order"})
    body = assert_problem(r, 409, "inventory.below_sold")
    assert body["dates"] == [d(10)]
    assert {x.total for x in await rows(ctx, rt["id"])} == {2}  # nothing changed
    rooms = (await client.get(f"{API}/properties/{prop['id']}/rooms", headers=owner)).json()["items"]
    assert all(room["status"] == "available" for room in rooms)


async def test_database_check_refuses_oversell(ctx: AppContext, client: httpx.AsyncClient) -> None:
    owner = await user(client)
    _prop, rt = await make_hotel(client, owner, rooms=1)
    with pytest.raises(IntegrityError):
        await set_sold(ctx, rt["id"], 1, sold=1, held=1)
    with pytest.raises(IntegrityError):
        await set_sold(ctx, rt["id"], 1, sold=-1)


async def test_bulk_update_with_weekday_filter_is_audited(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    url = f"{API}/properties/{prop['id']}/inventory"
    # TODAY is a Monday: days 5 and 6 are Saturday and Sunday
    r = await client.put(
        url,
        headers=owner,
        json={
            "room_type_id": rt["id"],
            "from": d(0),
            "to": d(14),
            "weekdays": ["sat", "sun"],
            "price": {"amount": "180.00", "currency": "EUR"},
            "min_stay": 2,
            "closed_to_arrival": True,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"updated": 4}
    days = {x.date: x for x in await rows(ctx, rt["id"])}
    assert (
        days[day(5)].price_minor == 18000 and days[day(6)].min_stay == 2 and days[day(12)].closed_to_arrival
    )
    assert days[day(4)].price_minor is None and days[day(14)].price_minor is None
    r = await client.put(
        url,
        headers=owner,
        json={
            "items": [
                {"room_type_id": rt["id"], "from": d(20), "to": d(22), "closed": True},
                {"room_type_id": rt["id"], "from": d(30), "to": d(31), "price": "99.50", "max_stay": 7},
            ]
        },
    )
    assert r.json() == {"updated": 3}
    days = {x.date: x for x in await rows(ctx, rt["id"])}
    assert days[day(21)].closed and days[day(30)].price_minor == 9950 and days[day(30)].max_stay == 7
    # clearing a price goes back to the base price
    r = await client.put(
        url, headers=owner, json={"room_type_id": rt["id"], "from": d(30), "to": d(31), "price": None}
    )
    assert r.status_code == 200
    assert {x.date: x for x in await rows(ctx, rt["id"])}[day(30)].price_minor is None
    async with ctx.db.unit_of_work(write=False) as session:
        audits = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "inventory.bulk_updated"))
        ).all()
    assert len(audits) == 4
    assert audits[0].after is not None and audits[0].after["days"] == 4
    me = (await client.get(f"{API}/users/me", headers=owner)).json()["id"]
    assert {str(a.actor_user_id) for a in audits} == {me}  # who did it, from where
    assert all(a.actor_ip and a.property_id == uuid.UUID(prop["id"]) for a in audits)


BAD_UPDATES: list[tuple[dict[str, Any], str | None]] = [
    ({"from": d(5), "to": d(5)}, None),  # equal dates
    ({"from": d(6), "to": d(5)}, None),  # reversed
    ({"from": d(-1), "to": d(2)}, "inventory.invalid_range"),  # past
    ({"from": d(300), "to": d(400)}, "inventory.invalid_range"),  # beyond the horizon
    ({"price": "-5.00"}, "money.negative"),
    ({"price": {"amount": "10.00", "currency": "USD"}}, "money.currency"),
    ({"price": "1.234"}, "money.precision"),
    ({"min_stay": 0}, None),
    ({"min_stay": 5, "max_stay": 2}, None),
    ({"weekdays": ["funday"]}, None),
    ({"weekdays": []}, None),
    ({"closed": None}, None),
    ({"items": [{"room_type_id": "x", "from": d(1), "to": d(2)}]}, None),  # both shapes at once
    ({"room_type_id": "not-an-id"}, None),
]


@pytest.mark.parametrize(("patch", "code"), BAD_UPDATES)
async def test_bad_bulk_updates_are_422_and_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext, patch: dict[str, Any], code: str | None
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    before = [(x.date, x.price_minor, x.closed, x.min_stay) for x in await rows(ctx, rt["id"])]
    body = {"room_type_id": rt["id"], "from": d(1), "to": d(10), "closed": True, **patch}
    r = await client.put(f"{API}/properties/{prop['id']}/inventory", headers=owner, json=body)
    assert_problem(r, 422, code)
    assert [(x.date, x.price_minor, x.closed, x.min_stay) for x in await rows(ctx, rt["id"])] == before


async def test_overlapping_ranges_in_one_request_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    r = await client.put(
        f"{API}/properties/{prop['id']}/inventory",
        headers=owner,
        json={
            "items": [
                {"room_type_id": rt["id"], "from": d(1), "to": d(10), "closed": True},
                {"room_type_id": rt["id"], "from": d(9), "to": d(12), "price": "50.00"},
            ]
        },
    )
    body = assert_problem(r, 422, "inventory.invalid_range")
    assert body["errors"][0]["type"] == "overlap"
    assert not any(x.closed for x in await rows(ctx, rt["id"]))
    # a later range that fails (beyond the horizon) undoes the earlier valid one too
    r = await client.put(
        f"{API}/properties/{prop['id']}/inventory",
        headers=owner,
        json={
            "items": [
                {"room_type_id": rt["id"], "from": d(1), "to": d(3), "closed": True},
                {"room_type_id": rt["id"], "from": d(360), "to": d(370), "closed": True},
            ]
        },
    )
    assert_problem(r, 422)
    assert not any(x.closed for x in await rows(ctx, rt["id"]))


async def test_daily_job_extends_the_horizon(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    owner = await user(client)
    _prop, rt = await make_hotel(client, owner, rooms=2)
    await runner.drain()
    assert len(await rows(ctx, rt["id"])) == 365
    clock.advance(timedelta(days=3))
    await runner.drain()
    days = await rows(ctx, rt["id"])
    assert days[-1].date == TODAY + timedelta(days=3 + 364)
    assert days[-1].total == 2
    async with ctx.db.unit_of_work(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(InventoryDay)) == 368
