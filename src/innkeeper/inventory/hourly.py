"""When an hourly resource can be booked: weekly windows, exceptions, notice, horizon, durations, slots.

**Time.** Windows are property-local wall-clock minutes of a weekday; each day they become instants with
``zoneinfo`` (:func:`wall_instant`), so a window keeps its wall-clock hours across a DST change and is an
hour shorter or longer in real time that day. A wall time the clocks skip (02:30 when they jump from
02:00 to 03:00) maps to the instant as many minutes after the last valid one (03:30), a repeated one
(01:30 when they go back) to its first occurrence. Exceptions and allocations are UTC instants.

**Open time** around a local day ``D`` (days ``D-1 .. D+1``, so a booking may run through midnight when
two windows meet there) is the union of the windows and ``open`` exceptions (the *openings*), less the
``closed`` exceptions. Slot starts step by ``slot_step_minutes`` from the start of each opening, in
real time; a slot is ``[start, start + duration)`` inside open time, starting no sooner than
``min_notice_minutes`` from now and on a local date at most ``horizon_days`` after today.

:func:`check_bookable` applies these rules to one range (422 ``slot.outside_availability``); whether
the range is free is the allocation's business (``inventory.allocations``: the database refuses
overlaps, 409). :func:`free_slots` lists every start of a day that passes both, buffers included:
``[start - buffer_before, end + buffer_after)`` must overlap no active allocation.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from math import gcd
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property, Resource
from innkeeper.inventory.errors import InvalidLocalTime, OutsideAvailability
from innkeeper.inventory.hourly_models import (
    MINUTES_PER_DAY,
    ExceptionKind,
    ResourceAllocation,
    ResourceException,
    ResourceWindow,
)
from innkeeper.kit.money import Money

Interval = tuple[datetime, datetime]
ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
#: the longest slot (a resource's ``max_duration_minutes`` is at most a day too)
MAX_SLOT_MINUTES = 24 * 60
#: the longest allocation: a slot and two buffers of at most a day each. A row overlapping ``[a, b)``
#: starts after ``a - MAX_ALLOCATION``: that lower bound keeps the ``(resource_id, starts_at)`` index scan
#: to the rows near ``a`` instead of the resource's whole history before it.
MAX_ALLOCATION = 3 * ONE_DAY


# -- instants --------------------------------------------------------------------------------------------


def local_instant(value: datetime, timezone: str, *, field: str = "start") -> datetime:
    """An API input as a UTC instant: with an offset as given; naive, read as wall-clock time in the
    property's ``timezone``. A naive time the clocks skip (a DST gap) is 422 ``time.nonexistent``
    naming ``field``; a repeated one (the hour the clocks go back) is its first occurrence."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    tz = ZoneInfo(timezone)
    aware = value.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != value:
        message = f"{value:%Y-%m-%d %H:%M} does not exist in {timezone} (the clocks skip it)"
        raise InvalidLocalTime(
            message, errors=[{"field": field, "message": message, "type": "time.nonexistent"}]
        )
    return aware.astimezone(UTC)


@lru_cache(maxsize=8192)
def wall_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of local wall-clock ``minute`` (0..1440; 1440 is the next midnight) of ``day``.
    Pure, and asked again and again: search plans hundreds of resources whose windows share their hours."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    return wall.replace(tzinfo=tz).astimezone(UTC)


def day_bounds(day: date, tz: ZoneInfo) -> Interval:
    return wall_instant(day, 0, tz), wall_instant(day + ONE_DAY, 0, tz)


# -- interval arithmetic (half-open ranges, sorted) ------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching ranges joined."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(intervals: Sequence[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    """``intervals`` less every range in ``cuts`` (both merged)."""
    out: list[Interval] = []
    for start, end in intervals:
        for cut_start, cut_end in cuts:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > start:
                out.append((start, cut_start))
            start = max(start, cut_end)
            if start >= end:
                break
        if start < end:
            out.append((start, end))
    return out


def covers(intervals: Sequence[Interval], start: datetime, end: datetime) -> bool:
    return any(s <= start and end <= e for s, e in intervals)


def overlaps(intervals: Iterable[Interval], start: datetime, end: datetime) -> bool:
    return any(s < end and start < e for s, e in intervals)


# -- the rules -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPlan:
    """Open time around a local day: ``openings`` (windows and open exceptions, merged: where the step
    grid starts) and ``open`` (the openings less the closed exceptions)."""

    openings: list[Interval]
    open: list[Interval]


def plan_day(
    windows: Iterable[ResourceWindow], exceptions: Iterable[ResourceException], day: date, tz: ZoneInfo
) -> DayPlan:
    return plan_openings(window_openings(window_pattern(windows), day, tz), exceptions)


WindowPattern = tuple[tuple[int, int, int], ...]


def window_pattern(windows: Iterable[Any]) -> WindowPattern:
    """A resource's weekly windows as a value: ``(weekday, start_minute, end_minute)``, sorted."""
    return tuple(sorted((w.weekday, w.start_minute, w.end_minute) for w in windows))


@lru_cache(maxsize=1024)
def window_openings(pattern: WindowPattern, day: date, tz: ZoneInfo) -> tuple[Interval, ...]:
    """The open time of weekly windows on the local days ``day-1 .. day+1``, merged. Pure, and asked
    again and again: search plans hundreds of resources a request, and their hours are alike."""
    days = (day - ONE_DAY, day, day + ONE_DAY)
    return tuple(
        merge(
            (wall_instant(d, start, tz), wall_instant(d, end, tz))
            for d in days
            for weekday, start, end in pattern
            if weekday == d.weekday()
        )
    )


def plan_openings(openings: Sequence[Interval], exceptions: Iterable[ResourceException]) -> DayPlan:
    """The :class:`DayPlan` of the windows' ``openings`` (:func:`window_openings`) and the exceptions
    around the day."""
    exceptions = list(exceptions)
    if not exceptions:
        return DayPlan(list(openings), list(openings))
    spans = [*openings, *((x.starts_at, x.ends_at) for x in exceptions if x.kind == ExceptionKind.open.value)]
    merged = merge(spans)
    closed = merge((x.starts_at, x.ends_at) for x in exceptions if x.kind == ExceptionKind.closed.value)
    return DayPlan(merged, subtract(merged, closed))


def _refuse(message: str, field: str) -> OutsideAvailability:
    return OutsideAvailability(
        message, errors=[{"field": field, "message": message, "type": "slot.outside_availability"}]
    )


def check_duration(resource: Resource, minutes: int, *, field: str) -> None:
    """A length the resource sells: at least the minimum, at most the maximum, on the step."""
    if minutes < resource.min_duration_minutes:
        raise _refuse(
            f"{resource.name} is booked for at least {resource.min_duration_minutes} minutes", field
        )
    longest = min(resource.max_duration_minutes or MAX_SLOT_MINUTES, MAX_SLOT_MINUTES)
    if minutes > longest:
        raise _refuse(f"{resource.name} is booked for at most {longest} minutes", field)
    if minutes % resource.slot_step_minutes:
        raise _refuse(f"durations are multiples of {resource.slot_step_minutes} minutes", field)


def earliest_start(resource: Resource, now: datetime) -> datetime:
    return now + timedelta(minutes=resource.min_notice_minutes)


def last_bookable_day(resource: Resource, now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date() + timedelta(days=resource.horizon_days)


# (statements built once, with bound parameters: building and keying a statement cost more than running
# it; a booking runs several of these)
_WINDOWS_OF = (
    select(ResourceWindow)
    .where(ResourceWindow.resource_id == bindparam("resource_id"))
    .order_by(ResourceWindow.weekday, ResourceWindow.start_minute)
)
_EXCEPTIONS_BETWEEN = (
    select(ResourceException)
    .where(
        ResourceException.resource_id == bindparam("resource_id"),
        ResourceException.starts_at < bindparam("end"),
        ResourceException.ends_at > bindparam("start"),
    )
    .order_by(ResourceException.starts_at, ResourceException.id)
)
_HELD_BETWEEN = (
    select(ResourceAllocation)
    .where(
        ResourceAllocation.resource_id == bindparam("resource_id"),
        ResourceAllocation.active,
        ResourceAllocation.starts_at < bindparam("end"),
        ResourceAllocation.starts_at > bindparam("earliest"),
        ResourceAllocation.ends_at > bindparam("start"),
    )
    .order_by(ResourceAllocation.starts_at)
)


async def windows_of(session: AsyncSession, resource_id: uuid.UUID) -> list[ResourceWindow]:
    return list((await session.scalars(_WINDOWS_OF, {"resource_id": resource_id})).all())


async def exceptions_between(
    session: AsyncSession, resource_id: uuid.UUID, start: datetime, end: datetime
) -> list[ResourceException]:
    params = {"resource_id": resource_id, "start": start, "end": end}
    return list((await session.scalars(_EXCEPTIONS_BETWEEN, params)).all())


async def held_between(
    session: AsyncSession, resource_id: uuid.UUID, start: datetime, end: datetime
) -> list[ResourceAllocation]:
    """The active allocations of the resource that overlap ``[start, end)``, by start."""
    params = {"resource_id": resource_id, "start": start, "end": end, "earliest": start - MAX_ALLOCATION}
    return list((await session.scalars(_HELD_BETWEEN, params)).all())


async def load_plan(
    session: AsyncSession, resource: Resource, day: date, tz: ZoneInfo, windows: WindowPattern | None = None
) -> DayPlan:
    """The resource's :class:`DayPlan` of ``day``; ``windows``: its weekly windows when the caller has
    them (``pricing.resource_cards``), else they are read."""
    lo, hi = wall_instant(day - ONE_DAY, 0, tz), wall_instant(day + 2 * ONE_DAY, 0, tz)
    if windows is None:
        windows = window_pattern(await windows_of(session, resource.id))
    exceptions = await exceptions_between(session, resource.id, lo, hi)
    return plan_openings(window_openings(windows, day, tz), exceptions)


def _on_grid(openings: Sequence[Interval], start: datetime, step_minutes: int) -> bool:
    step = timedelta(minutes=step_minutes)
    return any(s <= start < e and (start - s) % step == timedelta() for s, e in openings)


async def check_bookable(
    session: AsyncSession,
    resource: Resource,
    prop: Property,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    windows: WindowPattern | None = None,
) -> None:
    """Whether ``[start, end)`` (aware instants) is a length the resource sells, at a time it is open,
    on its step, after the notice and within the horizon: 422 ``slot.outside_availability`` naming
    the reason otherwise. Not whether it is free: that is ``inventory.allocations.take`` (409).
    ``windows``: the resource's weekly windows when the caller has them (:func:`load_plan`)."""
    if end <= start:
        raise _refuse("end must be after start", "end")
    length = end - start
    if length % timedelta(minutes=1):
        raise _refuse("start and end are whole minutes", "end")
    check_duration(resource, length // timedelta(minutes=1), field="end")
    tz = ZoneInfo(prop.timezone)
    if start < now:
        raise _refuse("start is in the past", "start")
    if start < earliest_start(resource, now):
        raise _refuse(f"book at least {resource.min_notice_minutes} minutes ahead", "start")
    day = start.astimezone(tz).date()
    if day > last_bookable_day(resource, now, tz):
        raise _refuse(f"{resource.name} is booked at most {resource.horizon_days} days ahead", "start")
    plan = await load_plan(session, resource, day, tz, windows)
    if not covers(plan.open, start, end):
        raise _refuse(f"{resource.name} is not open for all of this time", "start")
    if not _on_grid(plan.openings, start, resource.slot_step_minutes):
        raise _refuse(f"starts are every {resource.slot_step_minutes} minutes from the opening", "start")


async def free_slots(
    session: AsyncSession,
    resource: Resource,
    prop: Property,
    day: date,
    duration_minutes: int,
    *,
    now: datetime,
) -> list[tuple[datetime, datetime]]:
    """Every ``(start, end)`` of ``duration_minutes`` starting on the property-local ``day`` that
    :func:`check_bookable` accepts and whose buffered range overlaps no active allocation. A length
    the resource does not sell is 422 ``slot.outside_availability`` (field ``duration_minutes``)."""
    check_duration(resource, duration_minutes, field="duration_minutes")
    tz = ZoneInfo(prop.timezone)
    if day > last_bookable_day(resource, now, tz):
        return []
    plan = await load_plan(session, resource, day, tz)
    length = timedelta(minutes=duration_minutes)
    before = timedelta(minutes=resource.buffer_before_minutes)
    after = timedelta(minutes=resource.buffer_after_minutes)
    lo, hi = day_bounds(day, tz)
    held = [
        (a.starts_at, a.ends_at)
        for a in await held_between(
            session, resource.id, lo - before - ONE_DAY, hi + length + after + ONE_DAY
        )
    ]
    return list(day_slots(resource, plan, held, day, duration_minutes, tz, now=now))


def day_slots(
    resource: Resource,
    plan: DayPlan,
    held: Sequence[Interval],
    day: date,
    duration_minutes: int,
    tz: ZoneInfo,
    *,
    now: datetime,
) -> Iterator[Interval]:
    """The pure part of :func:`free_slots`, given the day's plan and the active allocations around it
    (resource search loads those for many resources at once and calls this): the free slots in start
    order, one at a time (search stops at the first one it can tell is the cheapest)."""
    length = timedelta(minutes=duration_minutes)
    before = timedelta(minutes=resource.buffer_before_minutes)
    after = timedelta(minutes=resource.buffer_after_minutes)
    step = timedelta(minutes=resource.slot_step_minutes)
    lo, hi = day_bounds(day, tz)
    first = max(lo, now, earliest_start(resource, now))
    # one forward walk: the openings, the open time and the merged allocations are sorted and disjoint,
    # and the starts only grow, so each check resumes where the previous one stopped (search runs this
    # for hundreds of resources a request; the plan spans three days, the answer only ``[lo, hi)``)
    opened, taken = plan.open, merge(held)
    i = j = 0
    for start in grid_starts(plan.openings, first, hi, step, length):
        end = start + length
        while i < len(opened) and opened[i][1] <= start:
            i += 1
        while j < len(taken) and taken[j][1] <= start - before:
            j += 1
        inside = i < len(opened) and opened[i][0] <= start and end <= opened[i][1]
        if inside and not (j < len(taken) and taken[j][0] < end + after):
            yield start, end


def grid_starts(
    openings: Sequence[Interval], first: datetime, hi: datetime, step: timedelta, length: timedelta
) -> Iterator[datetime]:
    """The candidate starts of :func:`day_slots`, in order: on each opening's grid of ``step`` from its
    start, at or after ``first``, before ``hi``, with the slot of ``length`` ending inside the opening.
    Resource search ranks a day's candidates by price once for many resources (``first`` the day's
    start) and keeps those at or after each resource's own ``first``: the same starts."""
    for opening_start, opening_end in openings:
        skip = -((opening_start - first) // step) if opening_start < first else 0  # ceil, on the grid
        start = opening_start + skip * step
        while start < hi and start + length <= opening_end:
            yield start
            start += step


@dataclass(frozen=True)
class SlotGrid:
    """What pricing may assume of every slot of a local day (``pricing.hourly.ListedPrices.cheapest``):
    its start and end are whole multiples of ``minutes`` counted in wall-clock minutes from any local
    midnight around the day, and it ends by the day's last midnight unless ``past_midnight``."""

    minutes: int
    past_midnight: bool


def slot_grid(resource: Resource, plan: DayPlan, day: date, tz: ZoneInfo) -> SlotGrid | None:
    """The :class:`SlotGrid` of ``day``'s slots; None when no grid can be given: the UTC offset changes
    around the day, or an opening starts off a whole minute. (Starts step by the slot step from an
    opening's start; durations are multiples of the step.)"""
    return _slot_grid(resource.slot_step_minutes, tuple(plan.openings), tuple(plan.open), day, tz)


@lru_cache(maxsize=1024)
def _slot_grid(
    step: int, openings: tuple[Interval, ...], opened: tuple[Interval, ...], day: date, tz: ZoneInfo
) -> SlotGrid | None:
    """:func:`slot_grid`, pure and cached: search asks it of hundreds of resources with alike days."""
    origin, until = wall_instant(day - ONE_DAY, 0, tz), wall_instant(day + 2 * ONE_DAY, 0, tz)
    if origin.astimezone(tz).utcoffset() != until.astimezone(tz).utcoffset():
        return None  # real minutes are not wall minutes that day
    grid = gcd(step, MINUTES_PER_DAY)
    for opening_start, _ in openings:
        minutes, rest = divmod(opening_start - origin, ONE_MINUTE)
        if rest:
            return None
        grid = gcd(grid, minutes)
    midnight = day_bounds(day, tz)[1]
    return SlotGrid(grid, past_midnight=any(s < midnight < e for s, e in opened))


# -- slot prices: set by the pricing package -------------------------------------------------------------


class SlotPricer(Protocol):
    def __call__(
        self,
        session: AsyncSession,
        prop: Property,
        resource: Resource,
        slots: Sequence[Interval],
        *,
        attendees: int | None,
        mode: str | None,
    ) -> Awaitable[list[Money | None]]: ...


_pricers: list[SlotPricer] = []


def slot_pricer(pricer: Callable[..., Any]) -> Callable[..., Any]:
    """Register the function that prices listed slots (``pricing.hourly``: pricing sits above
    inventory, so it registers itself instead of being imported). The last registered one is used."""
    if pricer in _pricers:
        _pricers.remove(pricer)
    _pricers.append(pricer)
    return pricer


def remove_slot_pricer(pricer: Callable[..., Any]) -> None:
    if pricer in _pricers:
        _pricers.remove(pricer)


async def price_slots(
    session: AsyncSession,
    prop: Property,
    resource: Resource,
    slots: Sequence[Interval],
    *,
    attendees: int | None,
    mode: str | None,
) -> list[Money | None]:
    """Each slot's total, or None for every slot while no pricer is registered."""
    if not _pricers:
        return [None] * len(slots)
    return await _pricers[-1](session, prop, resource, slots, attendees=attendees, mode=mode)
