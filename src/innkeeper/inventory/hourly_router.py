"""A resource's weekly windows and exceptions (staff, or the professional it belongs to), its public
slots, and the staff day schedule of every resource of a property.

Staff routes depend on ``property_action``: ``schedule.manage`` to change windows and exceptions,
``schedule.view`` to read; a professional reaches only their own resource
(``catalog.resources.resource_for``)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response, status

from innkeeper.catalog import resources
from innkeeper.catalog.errors import PropertyNotFound, ResourceNotFound
from innkeeper.catalog.models import Resource
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, AnonymousReads, property_action
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.inventory import hourly, schedule
from innkeeper.inventory.errors import (
    ClosesBookedTime,
    ExceptionNotFound,
    InvalidLocalTime,
    OutsideAvailability,
)
from innkeeper.inventory.hourly_schemas import (
    AvailabilityIn,
    AvailabilityOut,
    ExceptionIn,
    ExceptionOut,
    ScheduleOut,
    SlotsOut,
)
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession, ReadRoute, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import JSON_WRITE, problem_responses

router = APIRouter(route_class=UnitOfWorkRoute, tags=["resources"], responses=problem_responses(422))
#: the public slot list: read-only (no BEGIN/COMMIT around its reads), and matched early (app.py puts
#: it with the other busy public paths)
public_router = APIRouter(route_class=ReadRoute, tags=["catalog"], responses=problem_responses(422))
SCOPED = (401, PropertyNotFound, (403, "auth.role"), ResourceNotFound)

ScheduleViewer = Annotated[User, Depends(property_action(Action.schedule_view))]
ScheduleManager = Annotated[User, Depends(property_action(Action.schedule_manage))]
BASE = "/properties/{property_id}/resources/{resource_id}"


def _availability(resource: Resource, timezone: str, windows: list[Any]) -> dict[str, Any]:
    return {
        "resource_id": str(resource.id),
        "timezone": timezone,
        "windows": [schedule.window_to_api(w) for w in windows],
    }


@router.put(
    BASE + "/availability",
    response_model=AvailabilityOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE),
)
async def set_availability(
    property_id: uuid.UUID,
    resource_id: uuid.UUID,
    data: AvailabilityIn,
    session: DbSession,
    user: ScheduleManager,
    actor: ActorDep,
) -> dict[str, Any]:
    """Replace the weekly windows (property-local times; ``24:00`` ends a day)."""
    prop = await get_property(session, property_id)
    resource = await resources.resource_for(session, user, property_id, resource_id)
    rows = await schedule.set_windows(session, prop, resource, [w.minutes() for w in data.windows], actor)
    return _availability(resource, prop.timezone, rows)


@router.get(BASE + "/availability", response_model=AvailabilityOut, responses=problem_responses(*SCOPED))
async def get_availability(
    property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession, user: ScheduleViewer
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    resource = await resources.resource_for(session, user, property_id, resource_id)
    return _availability(resource, prop.timezone, await hourly.windows_of(session, resource.id))


@router.post(
    BASE + "/exceptions",
    status_code=status.HTTP_201_CREATED,
    response_model=ExceptionOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, InvalidLocalTime, ClosesBookedTime),
)
async def add_exception(
    property_id: uuid.UUID,
    resource_id: uuid.UUID,
    data: ExceptionIn,
    session: DbSession,
    user: ScheduleManager,
    actor: ActorDep,
) -> dict[str, Any]:
    """Time off (``closed``) or extra hours (``open``). Closing time an active booking holds is 409."""
    prop = await get_property(session, property_id)
    resource = await resources.resource_for(session, user, property_id, resource_id)
    exception = await schedule.add_exception(
        session,
        prop,
        resource,
        start=hourly.local_instant(data.start, prop.timezone, field="start"),
        end=hourly.local_instant(data.end, prop.timezone, field="end"),
        kind=data.kind,
        reason=data.reason,
        actor=actor,
    )
    return schedule.exception_to_api(exception, ZoneInfo(prop.timezone))


@router.get(BASE + "/exceptions", response_model=ListOf[ExceptionOut], responses=problem_responses(*SCOPED))
async def list_exceptions(
    property_id: uuid.UUID,
    resource_id: uuid.UUID,
    session: DbSession,
    user: ScheduleViewer,
    from_: Annotated[date | None, Query(alias="from", description="Property-local; default today")] = None,
    to: Annotated[date | None, Query(description="Exclusive; default a year after 'from'")] = None,
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    resource = await resources.resource_for(session, user, property_id, resource_id)
    tz = ZoneInfo(prop.timezone)
    first = from_ or local_today(prop.timezone)
    last = to or first + timedelta(days=366)
    if last <= first or (last - first).days > 800:
        raise ValidationFailed("'to' must be after 'from', at most 800 days", code="resource_exception.range")
    rows = await schedule.list_exceptions(
        session, resource.id, hourly.wall_instant(first, 0, tz), hourly.wall_instant(last, 0, tz)
    )
    items = [schedule.exception_to_api(x, tz) for x in rows]
    return {"items": items, "total": len(items)}


@router.delete(
    BASE + "/exceptions/{exception_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, ExceptionNotFound),
)
async def delete_exception(
    property_id: uuid.UUID,
    resource_id: uuid.UUID,
    exception_id: uuid.UUID,
    session: DbSession,
    user: ScheduleManager,
    actor: ActorDep,
) -> Response:
    prop = await get_property(session, property_id)
    resource = await resources.resource_for(session, user, property_id, resource_id)
    await schedule.delete_exception(session, prop, resource, exception_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/properties/{property_id}/schedule",
    response_model=ScheduleOut,
    responses=problem_responses(401, PropertyNotFound, (403, "auth.role")),
)
async def day_schedule(
    property_id: uuid.UUID,
    session: DbSession,
    user: ScheduleViewer,
    day: Annotated[date | None, Query(alias="date", description="Property-local; default today")] = None,
) -> dict[str, Any]:
    """Every active resource's day (a professional's own only): held ranges, open and free time."""
    prop = await get_property(session, property_id)
    day = day or local_today(prop.timezone)
    rows = [r for r in await resources.list_resources(session, user, property_id) if r.is_active]
    items = await schedule.day_schedule(session, prop, rows, day)
    return {"date": day, "timezone": prop.timezone, "items": items, "total": len(items)}


# -- public ----------------------------------------------------------------------------------------------


def _check_request(resource: Resource, attendees: int | None, mode: str | None) -> None:
    if attendees is not None and resource.capacity is not None and attendees > resource.capacity:
        message = f"{resource.name} takes at most {resource.capacity} attendee(s)"
        raise ValidationFailed(
            message,
            code="slot.capacity",
            errors=[{"field": "attendees", "message": message, "type": "slot.capacity"}],
        )
    if mode is not None and mode not in resources.modes_of(resource):
        message = f"{resource.name} is not offered {mode.replace('_', ' ')}"
        raise ValidationFailed(
            message,
            code="slot.mode_unavailable",
            errors=[{"field": "mode", "message": message, "type": "slot.mode_unavailable"}],
        )


@public_router.get(
    "/resources/{resource_id}/slots",
    tags=["catalog"],
    dependencies=[AnonymousReads],
    response_model=SlotsOut,
    responses=problem_responses(
        429, ResourceNotFound, OutsideAvailability, (422, "slot.capacity"), (422, "slot.mode_unavailable")
    ),
)
async def slots(
    resource_id: uuid.UUID,
    session: DbSession,
    day: Annotated[date | None, Query(alias="date", description="Property-local; default today")] = None,
    duration_minutes: Annotated[
        int | None, Query(ge=1, le=24 * 60, description="Default the resource's minimum")
    ] = None,
    mode: Literal["on_site", "travel", "online"] | None = None,
    attendees: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> dict[str, Any]:
    """Every start on the resource's step that fits its windows, exceptions, buffers, notice, horizon
    and existing bookings, with the slot's price for ``attendees`` and ``mode``."""
    resource, prop = await resources.public_resource(session, resource_id)
    _check_request(resource, attendees, mode)
    day = day or local_today(prop.timezone)
    length = duration_minutes or resource.min_duration_minutes
    found = await hourly.free_slots(session, resource, prop, day, length, now=utcnow())
    prices = await hourly.price_slots(session, prop, resource, found, attendees=attendees, mode=mode)
    tz = ZoneInfo(prop.timezone)
    items = [
        {
            "start": schedule.at(start, tz),
            "end": schedule.at(end, tz),
            "price": price.to_api() if price is not None else None,
        }
        for (start, end), price in zip(found, prices, strict=True)
    ]
    return {
        "resource_id": str(resource.id),
        "date": day,
        "duration_minutes": length,
        "timezone": prop.timezone,
        "items": items,
        "total": len(items),
    }
