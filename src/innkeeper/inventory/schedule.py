"""A resource's weekly windows and exceptions (set by staff or by the professional it belongs to), and
the staff day view of every resource: what is held and what is free.

Closing a time that an active allocation holds (buffers included) is 409: the booking stays and the
closure is refused; cancel or move the booking first. Replacing the weekly windows never touches
existing bookings (a booking outside the new windows stands)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property, Resource, bump_catalog_version_of_resources
from innkeeper.inventory.allocations import lock_resource
from innkeeper.inventory.errors import ClosesBookedTime, ExceptionNotFound
from innkeeper.inventory.events import ResourceTimeClosing
from innkeeper.inventory.hourly import (
    day_bounds,
    held_between,
    load_plan,
    merge,
    subtract,
    windows_of,
)
from innkeeper.inventory.hourly_models import ResourceException, ResourceWindow
from innkeeper.kit import events
from innkeeper.kit.errors import ValidationFailed

#: the longest single exception (a year's leave is two)
MAX_EXCEPTION = timedelta(days=366)


def clock(minute: int) -> str:
    """``HH:MM`` of a minute of the day; 1440 is ``24:00``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def window_to_api(window: ResourceWindow) -> dict[str, Any]:
    return {"weekday": window.weekday, "start": clock(window.start_minute), "end": clock(window.end_minute)}


def at(instant: datetime, tz: ZoneInfo) -> str:
    """An instant as the API shows it: with the property's offset."""
    return instant.astimezone(tz).isoformat()


def exception_to_api(exception: ResourceException, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": str(exception.id),
        "resource_id": str(exception.resource_id),
        "start": at(exception.starts_at, tz),
        "end": at(exception.ends_at, tz),
        "kind": exception.kind,
        "reason": exception.reason,
        "created_at": exception.created_at.isoformat(),
    }


async def set_windows(
    session: AsyncSession,
    prop: Property,
    resource: Resource,
    windows: Sequence[tuple[int, int, int]],
    actor: Actor,
) -> list[ResourceWindow]:
    """Replace the resource's weekly windows with ``(weekday, start_minute, end_minute)`` triples."""
    before = [window_to_api(w) for w in await windows_of(session, resource.id)]
    await session.execute(delete(ResourceWindow).where(ResourceWindow.resource_id == resource.id))
    # (a Core delete passes no flush hook: bump here, even when no window follows)
    await session.execute(bump_catalog_version_of_resources([resource.id]))
    rows = [
        ResourceWindow(resource_id=resource.id, weekday=weekday, start_minute=start, end_minute=end)
        for weekday, start, end in sorted(windows)
    ]
    session.add_all(rows)
    await session.flush()
    record(
        session,
        actor,
        "resource.availability_set",
        "resource",
        resource.id,
        property_id=prop.id,
        before={"windows": before},
        after={"windows": [window_to_api(w) for w in rows]},
    )
    return rows


async def add_exception(
    session: AsyncSession,
    prop: Property,
    resource: Resource,
    *,
    start: datetime,
    end: datetime,
    kind: str,
    reason: str | None,
    actor: Actor,
) -> ResourceException:
    if end <= start:
        message = "end must be after start"
        raise ValidationFailed(message, errors=[{"field": "end", "message": message, "type": "range"}])
    if end - start > MAX_EXCEPTION:
        message = "an exception lasts at most 366 days"
        raise ValidationFailed(message, errors=[{"field": "end", "message": message, "type": "range"}])
    if kind == "closed":
        await _refuse_closing_booked_time(session, resource, start, end)
    exception = ResourceException(
        resource_id=resource.id,
        starts_at=start,
        ends_at=end,
        kind=kind,
        reason=reason,
        created_by=actor.user_id,
    )
    session.add(exception)
    await session.flush()
    tz = ZoneInfo(prop.timezone)
    record(
        session,
        actor,
        "resource.exception_added",
        "resource",
        resource.id,
        property_id=prop.id,
        after=exception_to_api(exception, tz),
    )
    return exception


async def _refuse_closing_booked_time(
    session: AsyncSession, resource: Resource, start: datetime, end: datetime
) -> None:
    """409 when an active booking holds part of ``[start, end)``. Under the resource's row lock, the one
    bookings take before they insert (``allocations.lock_resource``): a booking racing the closure
    either committed first (and is seen here) or waits and then finds the closure (``HourlyAllocation``
    checks after the lock). Lapsed holds are expired first (``ResourceTimeClosing``)."""
    await lock_resource(session, resource.id)
    await events.emit(session, ResourceTimeClosing(resource, start, end))
    if held := await held_between(session, resource.id, start, end):
        raise ClosesBookedTime(
            f"{len(held)} active booking(s) hold this time; cancel or move them first",
            bookings=[str(a.booking_id) for a in held],
        )


async def list_exceptions(
    session: AsyncSession, resource_id: uuid.UUID, start: datetime, end: datetime
) -> list[ResourceException]:
    stmt = select(ResourceException).where(
        ResourceException.resource_id == resource_id,
        ResourceException.ends_at > start,
        ResourceException.starts_at < end,
    )
    return list(
        (await session.scalars(stmt.order_by(ResourceException.starts_at, ResourceException.id))).all()
    )


async def delete_exception(
    session: AsyncSession, prop: Property, resource: Resource, exception_id: uuid.UUID, actor: Actor
) -> None:
    exception = await session.scalar(
        select(ResourceException).where(
            ResourceException.id == exception_id, ResourceException.resource_id == resource.id
        )
    )
    if exception is None:
        raise ExceptionNotFound()
    before = exception_to_api(exception, ZoneInfo(prop.timezone))
    await session.delete(exception)
    record(
        session,
        actor,
        "resource.exception_removed",
        "resource",
        resource.id,
        property_id=prop.id,
        before=before,
    )


async def day_schedule(
    session: AsyncSession, prop: Property, resources: Sequence[Resource], day: date
) -> list[dict[str, Any]]:
    """Each resource's day: the ranges active allocations hold (buffers included), the open time, and
    the free time (open and not held), all cut to the property-local ``day``."""
    tz = ZoneInfo(prop.timezone)
    lo, hi = day_bounds(day, tz)
    out = []
    for resource in resources:
        plan = await load_plan(session, resource, day, tz)
        open_today = [(max(s, lo), min(e, hi)) for s, e in plan.open if s < hi and e > lo]
        held = await held_between(session, resource.id, lo, hi)
        free = subtract(open_today, merge((a.starts_at, a.ends_at) for a in held))
        out.append(
            {
                "resource": {"id": str(resource.id), "kind": resource.kind, "name": resource.name},
                "bookings": [
                    {"booking_id": str(a.booking_id), "start": at(a.starts_at, tz), "end": at(a.ends_at, tz)}
                    for a in held
                ],
                "open": [{"start": at(s, tz), "end": at(e, tz)} for s, e in open_today],
                "free": [{"start": at(s, tz), "end": at(e, tz)} for s, e in free],
            }
        )
    return out
