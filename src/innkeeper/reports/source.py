"""Where reports read, and what every report shares: ranges of property-local dates, periods, ratios.

* **Read-only.** Reports read through :func:`read_only`: a unit of work of its own on the reports
  database (``INNKEEPER_REPORTS_DATABASE_URL``, a read replica; unset, the main database). On
  PostgreSQL its transaction is ``READ ONLY`` (a write fails in the database); on SQLite it is a
  deferred read transaction, which in WAL mode never blocks a writer. Plain ``SELECT``\\s take no row
  locks on either, so no report blocks a booking.
* **Dates.** A report's ``from``/``to`` are property-local dates, ``from`` inclusive and ``to``
  exclusive, at most :data:`MAX_DAYS` apart. A night belongs to the date it starts on.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.inventory.hourly import day_bounds
from innkeeper.kit.db import Database
from innkeeper.kit.errors import ValidationFailed

#: the longest range a report covers (a leap year)
MAX_DAYS = 366
ONE_DAY = timedelta(days=1)
#: ``ctx.extras`` key of the reports' own database, when it is not the main one
_REPLICA_KEY = "reports.database"


def reports_database(ctx: AppContext) -> Database:
    """The database reports read: the replica when one is configured, else the main database. The
    replica's engine is built once per process, on first use."""
    url = ctx.settings.reports_database_url
    if not url or url == ctx.settings.database_url:
        return ctx.db
    db = ctx.extras.get(_REPLICA_KEY)
    if not isinstance(db, Database) or db.url != url:
        s = ctx.settings
        db = Database(
            url,
            pool_size=s.database_pool_size,
            max_overflow=s.database_max_overflow,
            ping_idle_seconds=s.database_ping_idle_seconds,
            lock_timeout_ms=s.database_lock_timeout_ms,
            statement_timeout_ms=s.database_statement_timeout_ms,
            connect_timeout=s.database_connect_timeout_seconds,
            sqlite_busy_timeout=s.database_sqlite_busy_timeout_ms / 1000,
        )
        ctx.extras[_REPLICA_KEY] = db
    return db


@asynccontextmanager
async def read_only(ctx: AppContext) -> AsyncIterator[AsyncSession]:
    """A read-only unit of work on the reports database (see the module's docstring)."""
    db = reports_database(ctx)
    async with db.unit_of_work(write=False) as session:
        if not db.is_sqlite:
            # the first statement of the transaction: PostgreSQL refuses it any later
            await session.execute(text("SET TRANSACTION READ ONLY"))
        yield session


async def dispose(ctx: AppContext) -> None:
    """Close the replica's connections (the main database is the context's to close)."""
    db = ctx.extras.pop(_REPLICA_KEY, None)
    if isinstance(db, Database):
        await db.dispose()


async def property_of(session: AsyncSession, property_id: uuid.UUID) -> Property:
    """The property as the reports database has it (a replica may lag behind a brand-new one)."""
    prop = await session.get(Property, property_id)
    if prop is None:
        raise PropertyNotFound()
    return prop


# -- ranges and periods -----------------------------------------------------------------------------------


class GroupBy(StrEnum):
    day = "day"
    week = "week"
    month = "month"


@dataclass(frozen=True)
class DateRange:
    """Property-local dates ``[start, end)``."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def dates(self) -> Iterator[date]:
        day = self.start
        while day < self.end:
            yield day
            day += ONE_DAY

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end

    def instants(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants the local range spans (a DST day is 23 or 25 hours long)."""
        return day_bounds(self.start, tz)[0], day_bounds(self.end, tz)[0]


def date_range(start: date | None, end: date | None) -> DateRange:
    """``from``/``to`` as a range: both given, ``from`` before ``to``, at most a year apart (422
    ``report.range`` naming the field otherwise)."""
    if start is None or end is None:
        field = "from" if start is None else "to"
        raise _range_error("give both from and to (property-local dates; to is exclusive)", field)
    if end <= start:
        raise _range_error("to must be after from (to is exclusive)", "to")
    if (end - start).days > MAX_DAYS:
        raise _range_error(f"a report covers at most {MAX_DAYS} days", "to")
    return DateRange(start, end)


def _range_error(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(
        message, code="report.range", errors=[{"field": field, "message": message, "type": "report.range"}]
    )


def period_start(day: date, group_by: GroupBy) -> date:
    if group_by is GroupBy.week:
        return day - timedelta(days=day.weekday())
    if group_by is GroupBy.month:
        return day.replace(day=1)
    return day


def period_label(start: date, group_by: GroupBy) -> str:
    """``2030-03-04`` (day), ``2030-W10`` (ISO week), ``2030-03`` (month)."""
    if group_by is GroupBy.week:
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if group_by is GroupBy.month:
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def periods(rng: DateRange, group_by: GroupBy) -> list[DateRange]:
    """The range cut into days, ISO weeks or calendar months (the first and last cut to the range)."""
    out: list[DateRange] = []
    day = rng.start
    while day < rng.end:
        if group_by is GroupBy.week:
            nxt = period_start(day, group_by) + timedelta(days=7)
        elif group_by is GroupBy.month:
            nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        else:
            nxt = day + ONE_DAY
        out.append(DateRange(day, min(nxt, rng.end)))
        day = nxt
    return out


# -- figures ----------------------------------------------------------------------------------------------


def ratio(numerator: int | Decimal, denominator: int | Decimal, places: int = 4) -> str:
    """``numerator / denominator`` as a decimal string rounded half-up (``"0.6667"``); 0 when the
    denominator is 0."""
    quantum = Decimal(1).scaleb(-places)
    if not denominator:
        return str(Decimal(0).quantize(quantum))
    return str((Decimal(numerator) / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_UP))


def per_unit(minor: int, units: int) -> int:
    """Minor units per unit (ADR, RevPAR), rounded half-up; 0 for no units."""
    if units <= 0:
        return 0
    value = Decimal(minor) / Decimal(units)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def hours(minutes: int | Decimal) -> str:
    """Minutes as hours with two decimals (``"7.50"``)."""
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
