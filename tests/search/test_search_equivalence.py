"""The fast search (availability and restrictions decided in SQL, totals through ``stay_totals``) gives
exactly what the straightforward algorithm gives: every inventory row loaded, ``inventory.check_stay``
per room type, the detailed ``compute_quote``. Random inventory (sales, closures, prices, min/max stay,
closed to arrival/departure), rate rules of every kind and many stays, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from innkeeper.catalog.models import Property, RoomType
from innkeeper.context import AppContext
from innkeeper.inventory import service as inventory
from innkeeper.inventory.models import InventoryDay
from innkeeper.kit.clock import local_today
from innkeeper.kit.money import Money
from innkeeper.pricing.engine import compute_quote, rules_by_kind
from innkeeper.pricing.models import RateRule
from innkeeper.search import service
from innkeeper.search.service import SearchParams
from tests.catalog_support import add_room_type, create_property, day, freeze, user
from tests.helpers import API


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def reference(session: Any, p: SearchParams) -> list[tuple[Any, ...]]:
    """The search of the previous release, row by row (no SQL aggregation, no fast path)."""
    props = (
        await session.scalars(select(Property).where(Property.is_active.is_(True), Property.kind == "hotel"))
    ).all()
    out = []
    for prop in props:
        types = (await session.scalars(select(RoomType).where(RoomType.property_id == prop.id))).all()
        all_days = await inventory.get_days(
            session, [t.id for t in types], p.checkin, p.checkout + timedelta(1)
        )
        occupancy: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for rows in all_days.values():
            for d, row in rows.items():
                if d < p.checkout:
                    occupancy[d][0] += row.sold + row.held
                    occupancy[d][1] += row.total
        occ = {d: (o[0], o[1]) for d, o in occupancy.items()}
        rules = (await session.scalars(select(RateRule).where(RateRule.property_id == prop.id))).all()
        grouped = rules_by_kind(list(rules))
        today = local_today(prop.timezone)
        offers = []
        for rt in types:
            if rt.capacity < -(-p.guests // p.rooms):
                continue
            days = all_days.get(rt.id, {})
            check = inventory.check_stay(days, p.checkin, p.checkout, p.rooms)
            if not check.ok:
                continue
            q = compute_quote(
                prop=prop,
                room_type=rt,
                day_prices={d: r.price_minor for d, r in days.items()},
                occupancy=occ,
                rules=grouped,
                checkin=p.checkin,
                checkout=p.checkout,
                rooms=p.rooms,
                guests=p.guests,
                today=today,
            )
            offers.append((q.total, rt.code, str(rt.id), check.available, q.nightly_average))
        if offers:
            offers.sort()
            money = [
                (Money(t, prop.currency).to_api(), code, rid, avail, Money(avg, prop.currency).to_api())
                for t, code, rid, avail, avg in offers
            ]
            nightly = Money(min(o[4] for o in offers), prop.currency).to_api()
            out.append((Money(offers[0][0], prop.currency).amount, prop.slug, money[0][0], nightly, money))
    out.sort(key=lambda r: (r[0], r[1]))
    return out


def fast_view(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            item["property"]["slug"],
            item["from_price"],
            item["nightly_from"],
            [
                (rt["total"], rt["code"], rt["id"], rt["available"], rt["nightly_average"])
                for rt in item["available_room_types"]
            ],
        )
        for item in items
    ]


async def test_fast_search_equals_the_row_by_row_search(client: httpx.AsyncClient, ctx: AppContext) -> None:
    rng = random.Random(20261122)
    owner = await user(client)
    for h in range(4):
        prop = await create_property(
            client,
            owner,
            name=f"Equal {h}",
            vat_percent="7",
            city_tax="1.50",
            **({"vat_included": True} if h % 2 else {}),
        )
        for code, price in (("DBL", "100.00"), ("TWN", "100.00"), ("SUI", f"{150 + h}.50")):
            await add_room_type(
                client,
                owner,
                prop["id"],
                rooms=rng.randint(1, 3),
                code=code,
                price=price,
                capacity=2 + (code == "SUI"),
            )
        r = await client.post(f"{API}/properties/{prop['id']}/activate", headers=owner)
        assert r.status_code == 200, r.text
        for kind, extra in (
            ("season", {"start_date": day(5), "end_date": day(15), "factor_bp": 12500}),
            ("weekday", {"weekdays": 0b1100000, "factor_bp": 11500}),
            ("occupancy", {"min_occupancy_pct": 40, "factor_bp": 11500}),
            ("lead_time", {"min_lead_days": 8, "factor_bp": 9000}),
            ("length_of_stay", {"min_nights": 3, "factor_bp": 9500}),
        ):
            async with ctx.db.unit_of_work() as session:
                session.add(
                    RateRule(property_id=uuid.UUID(prop["id"]), kind=kind, name=kind, currency="EUR", **extra)
                )
    async with ctx.db.unit_of_work() as session:
        rows = (
            await session.execute(
                select(InventoryDay.id, InventoryDay.total).where(InventoryDay.date < day(25))
            )
        ).all()
        for row_id, total in rows:
            sold = rng.randint(0, total)
            max_stay = rng.choice([None, None, None, 2, 3])
            await session.execute(
                update(InventoryDay)
                .where(InventoryDay.id == row_id)
                .values(
                    sold=sold,
                    closed=rng.random() < 0.08,
                    price_minor=rng.choice([None, None, None, 9999, 12345]),
                    min_stay=rng.choice([1, 1, 1, 2, max_stay or 3]),
                    max_stay=max_stay,
                    closed_to_arrival=rng.random() < 0.08,
                    closed_to_departure=rng.random() < 0.08,
                )
            )
    compared = found = 0
    for _ in range(40):
        checkin = day(rng.randint(1, 18))
        checkout = checkin + timedelta(days=rng.randint(1, 5))
        rooms = rng.choice([1, 1, 2])
        p = SearchParams(
            checkin=checkin,
            checkout=checkout,
            guests=rooms * rng.choice([1, 2, 3]),
            rooms=rooms,
            city="Lisbon",
        )
        async with ctx.db.unit_of_work(write=False) as session:
            expected = await reference(session, p)
            items, total = await service.search(session, ctx.settings, p, None)
        assert total == len(expected)
        assert fast_view(items) == [(slug, fp, nf, money) for _, slug, fp, nf, money in expected], p
        compared += 1
        found += total
    assert compared == 40 and found > 20  # the data leaves something to compare
