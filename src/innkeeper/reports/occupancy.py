"""Occupancy, ADR and RevPAR per day, ISO week or month, on property-local nights.

* ``rooms_available`` — Σ of the nights' sellable totals (``inventory_days.total``): rooms in service
  that night, so out-of-order rooms are not there (taking a room out of service lowers the total from
  that day on, past nights keep theirs). A night closed to sale still counts: its rooms exist.
* ``rooms_sold`` — Σ ``inventory_days.sold``: what the sold bookings hold, night by night (confirmed,
  checked in, checked out and no-show stays, ``[checkin, release_from or checkout)``; the counters equal
  the booking rows, an invariant of the booking engine).
* ``room_revenue`` — room revenue of those nights (:func:`innkeeper.reports.revenue.room_lines`).
* ``occupancy = sold / available`` (4 decimals, half-up), ``adr = revenue / sold``,
  ``revpar = revenue / available`` (half-up to the minor unit; 0 with nothing to divide by).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property
from innkeeper.inventory.models import InventoryDay
from innkeeper.kit.money import Money
from innkeeper.reports.revenue import room_lines
from innkeeper.reports.source import DateRange, GroupBy, per_unit, period_label, periods, ratio


@dataclass
class Figures:
    rooms_available: int = 0
    rooms_sold: int = 0
    room_revenue: int = 0

    def add(self, other: Figures) -> None:
        self.rooms_available += other.rooms_available
        self.rooms_sold += other.rooms_sold
        self.room_revenue += other.room_revenue

    def to_api(self, currency: str) -> dict[str, Any]:
        m = lambda minor: Money(minor, currency).to_api()  # noqa: E731
        return {
            "rooms_available": self.rooms_available,
            "rooms_sold": self.rooms_sold,
            "occupancy": ratio(self.rooms_sold, self.rooms_available),
            "adr": m(per_unit(self.room_revenue, self.rooms_sold)),
            "revpar": m(per_unit(self.room_revenue, self.rooms_available)),
            "room_revenue": m(self.room_revenue),
        }


async def nightly(session: AsyncSession, prop: Property, rng: DateRange) -> dict[date, Figures]:
    """The figures of every night of ``rng`` (nights without inventory rows are all zero)."""
    out: dict[date, Figures] = defaultdict(Figures)
    rows = await session.execute(
        select(InventoryDay.date, func.sum(InventoryDay.total), func.sum(InventoryDay.sold))
        .where(
            InventoryDay.property_id == prop.id,
            InventoryDay.date >= rng.start,
            InventoryDay.date < rng.end,
        )
        .group_by(InventoryDay.date)
    )
    for day, total, sold in rows:
        out[day].rooms_available = int(total or 0)
        out[day].rooms_sold = int(sold or 0)
    for line in await room_lines(session, prop, rng):
        out[line.day].room_revenue += line.amount
    return out


async def occupancy_report(
    session: AsyncSession, prop: Property, rng: DateRange, group_by: GroupBy
) -> list[dict[str, Any]]:
    by_night = await nightly(session, prop, rng)
    items = []
    for period in periods(rng, group_by):
        figures = Figures()
        for day in period.dates():
            if day in by_night:
                figures.add(by_night[day])
        items.append(
            {
                "period": period_label(period.start, group_by),
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                **figures.to_api(prop.currency),
            }
        )
    return items


async def totals(session: AsyncSession, prop: Property, rng: DateRange) -> Figures:
    """The whole range's figures (the admin's per-property line)."""
    figures = Figures()
    for night in (await nightly(session, prop, rng)).values():
        figures.add(night)
    return figures
