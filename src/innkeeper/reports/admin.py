"""Platform admin: the property figures across every property, one line per property, and subtotals
per currency (``by_currency``). Amounts in different currencies are never added up.

A property is listed when it has anything in the range: inventory nights (occupancy) or revenue.
The ``from``/``to`` dates are read in each property's own time zone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property
from innkeeper.kit.money import Money
from innkeeper.reports import occupancy
from innkeeper.reports.revenue import all_lines
from innkeeper.reports.revenue_report import streams
from innkeeper.reports.source import DateRange

STREAMS = ("room", "hourly", "service", "cancellation")


async def _properties(session: AsyncSession) -> list[Property]:
    return list((await session.scalars(select(Property).order_by(Property.name, Property.id))).all())


def _head(prop: Property) -> dict[str, Any]:
    return {"property_id": str(prop.id), "property_name": prop.name, "currency": prop.currency}


async def occupancy_across(session: AsyncSession, rng: DateRange) -> dict[str, Any]:
    items = []
    per_currency: dict[str, list[Any]] = defaultdict(lambda: [0, occupancy.Figures()])
    for prop in await _properties(session):
        figures = await occupancy.totals(session, prop, rng)
        if not (figures.rooms_available or figures.rooms_sold or figures.room_revenue):
            continue
        items.append(_head(prop) | figures.to_api(prop.currency))
        entry = per_currency[prop.currency]
        entry[0] += 1
        entry[1].add(figures)
    by_currency = [
        {"currency": cur, "properties": n} | figures.to_api(cur)
        for cur, (n, figures) in sorted(per_currency.items())
    ]
    return _answer(rng, items, by_currency)


async def revenue_across(session: AsyncSession, rng: DateRange) -> dict[str, Any]:
    items = []
    per_currency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for prop in await _properties(session):
        lines = await all_lines(session, prop, rng)
        if not lines:
            continue
        sums = streams(lines)
        counts = {"bookings": len({line.booking_id for line in lines}), "revenue": sum(sums.values())}
        m = lambda minor, c=prop.currency: Money(minor, c).to_api()  # noqa: E731
        items.append(
            _head(prop)
            | {"bookings": counts["bookings"]}
            | {s: m(sums[s]) for s in STREAMS}
            | {"revenue": m(counts["revenue"])}
        )
        acc = per_currency[prop.currency]
        acc["properties"] += 1
        for key, value in (sums | counts).items():
            acc[key] += value
    by_currency = []
    for cur, acc in sorted(per_currency.items()):
        money = {s: Money(acc[s], cur).to_api() for s in (*STREAMS, "revenue")}
        by_currency.append(
            {"currency": cur, "properties": acc["properties"], "bookings": acc["bookings"]} | money
        )
    return _answer(rng, items, by_currency)


def _answer(rng: DateRange, items: list[dict[str, Any]], by_currency: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "from": rng.start.isoformat(),
        "to": rng.end.isoformat(),
        "items": items,
        "total": len(items),
        "by_currency": by_currency,
    }
