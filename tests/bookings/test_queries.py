"""Read-side queries of bookings: the list costs the same statements for any page size, and the lookup
by reference uses the reference's unique index."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from innkeeper.context import AppContext
from innkeeper.kit.money import Money
from tests.billing.support import customer, eur, pay
from tests.bookings.support import book, hotel
from tests.catalog_support import freeze
from tests.helpers import API, statements


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def listed(client: httpx.AsyncClient, ctx: AppContext, headers: dict[str, str]) -> tuple[Any, int]:
    with statements(ctx) as seen:
        r = await client.get(f"{API}/bookings", headers=headers)
    assert r.status_code == 200, r.text
    return r.json(), len(seen)


async def assert_money_matches_detail(client: httpx.AsyncClient, page: Any, headers: dict[str, str]) -> None:
    """Each listed booking shows the same folio figures as the booking itself."""
    for item in page["items"]:
        detail = (await client.get(f"{API}/bookings/{item['id']}", headers=headers)).json()
        for key in ("total", "paid", "balance_due", "refund_due", "status", "payment_status"):
            assert item[key] == detail[key], (key, item, detail)


async def test_listing_bookings_reads_all_folio_totals_in_one_query(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client, rooms=8)
    me, _ = await customer(client, ctx, balance=Money(100000, "EUR"))
    first = await book(client, h, me, start=10, end=12)
    await pay(client, first["id"], me, method="wallet", amount=eur("50.00"))
    await listed(client, ctx, me)  # warm caches (the session check) before counting
    one, with_one = await listed(client, ctx, me)
    assert one["total"] == 1 and one["items"][0]["paid"] == eur("50.00")

    for start in (20, 30, 40, 50):
        b = await book(client, h, me, start=start, end=start + 1)
        if start == 20:
            await pay(client, b["id"], me, method="wallet")  # paid in full
        if start == 30:
            assert (await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me)).status_code == 200
    five, with_five = await listed(client, ctx, me)
    assert five["total"] == 5 and len(five["items"]) == 5
    assert with_five == with_one, "listing more bookings must not cost more statements"
    await assert_money_matches_detail(client, five, me)
    # the owner sees the same five through their property, at the same cost
    await listed(client, ctx, h["owner"])
    staff, with_staff = await listed(client, ctx, h["owner"])
    assert {i["id"] for i in staff["items"]} == {i["id"] for i in five["items"]}
    assert with_staff == with_one


async def _plan(ctx: AppContext, statement: str, parameters: Any) -> str:
    """The database's plan for ``statement``; on PostgreSQL with sequential scans priced out, so an
    index that can serve it is always chosen (a tiny table would otherwise be scanned anyway)."""
    async with ctx.db.engine.connect() as conn:
        if ctx.db.is_sqlite:
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(str(row[0]) for row in rows)


async def test_lookup_by_reference_in_any_case_uses_the_unique_index(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client)
    b = await book(client, h)
    with statements(ctx) as seen:
        r = await client.get(
            f"{API}/bookings/lookup",
            params={"reference": f"  {b['reference'].lower()} ", "email": "GINA@example.com"},
        )
    assert r.status_code == 200 and r.json()["id"] == b["id"], r.text
    lookups = [(s, p) for s, p in seen if "FROM bookings" in s and "reference" in s.split("WHERE")[-1]]
    assert len(lookups) == 1, seen
    plan = await _plan(ctx, *lookups[0])
    if ctx.db.is_sqlite:
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
    else:
        assert "Index" in plan and "Seq Scan" not in plan, plan


async def test_arrival_day_bounds_are_inclusive(client: httpx.AsyncClient, ctx: AppContext) -> None:
    """``checkin_from=D&checkin_to=D`` lists the arrivals of day D (it listed nothing)."""
    h = await hotel(client, rooms=4)
    me, _ = await customer(client, ctx)
    arriving = await book(client, h, me, start=10, end=12)
    later = await book(client, h, me, start=11, end=12)
    day = arriving["checkin"]

    async def ids(**params: str) -> set[str]:
        r = await client.get(f"{API}/bookings", headers=h["owner"], params=params)
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    assert await ids(checkin_from=day, checkin_to=day) == {arriving["id"]}
    assert await ids(checkin_from=day, checkin_to=later["checkin"]) == {arriving["id"], later["id"]}
    assert await ids(checkin_to=day) == {arriving["id"]}
