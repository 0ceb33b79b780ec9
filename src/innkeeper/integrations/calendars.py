"""iCalendar feeds: a secret URL per room type or resource serving its booked and closed times.

The token in the URL is the only credential (as channel managers expect), 32 random bytes stored as
their SHA-256; it is shown once and revoked by deleting the feed. The feed covers 30 days back to the
inventory horizon ahead and names no guest: a booked night or time says ``Booked`` and the booking's
reference, a closed one ``Closed``. Nights are all-day events (``DTSTART;VALUE=DATE``, end exclusive),
hourly times are UTC instants.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Property, Resource, RoomType
from innkeeper.catalog.resources import resource_of
from innkeeper.catalog.rooms import room_type_of
from innkeeper.catalog.service import get_property
from innkeeper.config import Settings
from innkeeper.integrations.errors import CalendarFeedNotFound, CalendarTargetInvalid
from innkeeper.integrations.models import CalendarFeed
from innkeeper.inventory.hourly_models import ResourceAllocation, ResourceException
from innkeeper.inventory.models import InventoryDay
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.errors import NotFound
from innkeeper.kit.security import hash_token, random_token

if TYPE_CHECKING:
    from icalendar import Event

PAST_DAYS = 30
PRODID = "-//Innkeeper//Calendar feed//EN"


async def target(
    session: AsyncSession,
    property_id: uuid.UUID,
    room_type_id: uuid.UUID | None,
    resource_id: uuid.UUID | None,
) -> RoomType | Resource:
    """Exactly one of a room type or a resource of this property (422 otherwise)."""
    if (room_type_id is None) == (resource_id is None):
        raise CalendarTargetInvalid(
            "name a room_type_id or a resource_id (one of them)",
            errors=[
                {"field": "room_type_id", "message": "one of room_type_id, resource_id", "type": "target"}
            ],
        )
    try:
        if room_type_id is not None:
            return await room_type_of(session, property_id, room_type_id)
        assert resource_id is not None
        return await resource_of(session, property_id, resource_id)
    except NotFound:
        field = "room_type_id" if room_type_id is not None else "resource_id"
        message = f"no such {field.removesuffix('_id').replace('_', ' ')} at this property"
        raise CalendarTargetInvalid(
            message, errors=[{"field": field, "message": message, "type": "target"}]
        ) from None


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/api/v1/calendars/{token}.ics"


def feed_to_api(feed: CalendarFeed, url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(feed.id),
        "room_type_id": str(feed.room_type_id) if feed.room_type_id else None,
        "resource_id": str(feed.resource_id) if feed.resource_id else None,
        "created_at": feed.created_at.isoformat(),
    }
    if url is not None:
        out["url"] = url
    return out


async def create_feed(
    session: AsyncSession,
    settings: Settings,
    property_id: uuid.UUID,
    room_type_id: uuid.UUID | None,
    resource_id: uuid.UUID | None,
    actor: Actor,
) -> tuple[CalendarFeed, str]:
    """The feed and its secret URL (the only time it is shown)."""
    await target(session, property_id, room_type_id, resource_id)
    token = random_token(32)
    feed = CalendarFeed(
        property_id=property_id,
        room_type_id=room_type_id,
        resource_id=resource_id,
        token_hash=hash_token(token),
        created_by=actor.user_id,
    )
    session.add(feed)
    await session.flush()
    record(session, actor, "calendar_feed.created", "calendar_feed", feed.id, property_id=property_id)
    return feed, feed_url(settings, token)


async def feeds_of(
    session: AsyncSession, property_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[CalendarFeed], int]:
    where = CalendarFeed.property_id == property_id
    rows = await session.scalars(
        select(CalendarFeed).where(where).order_by(CalendarFeed.created_at).limit(limit).offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(CalendarFeed).where(where))
    return list(rows.all()), int(total or 0)


async def delete_feed(
    session: AsyncSession, property_id: uuid.UUID, feed_id: uuid.UUID, actor: Actor
) -> None:
    feed = await session.scalar(
        select(CalendarFeed).where(CalendarFeed.id == feed_id, CalendarFeed.property_id == property_id)
    )
    if feed is None:
        raise CalendarFeedNotFound()
    await session.delete(feed)
    record(session, actor, "calendar_feed.revoked", "calendar_feed", feed.id, property_id=property_id)


# -- rendering -----------------------------------------------------------------------------------------
def _event(uid: str, summary: str, start: date | datetime, end: date | datetime, stamp: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("transp", "OPAQUE")
    return event


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive dates as ``[start, end)`` ranges."""
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and out[-1][1] == day:
            out[-1] = (out[-1][0], day + timedelta(days=1))
        else:
            out.append((day, day + timedelta(days=1)))
    return out


async def _room_type_events(
    session: AsyncSession, rt_id: uuid.UUID, start: date, end: date, stamp: datetime
) -> list[Event]:
    bookings = await session.scalars(
        select(Booking)
        .where(
            Booking.room_type_id == rt_id,
            Booking.status.notin_([Status.cancelled.value, Status.expired.value]),
            Booking.checkout > start,
            Booking.checkin < end,
        )
        .order_by(Booking.checkin, Booking.id)
    )
    out = [
        _event(f"booking-{b.id}@innkeeper", f"Booked {b.reference}", b.checkin, b.sold_until, stamp)
        for b in bookings.all()
        if b.sold_until > b.checkin
    ]
    closed = await session.scalars(
        select(InventoryDay.date).where(
            InventoryDay.room_type_id == rt_id,
            InventoryDay.closed.is_(True),
            InventoryDay.date >= start,
            InventoryDay.date < end,
        )
    )
    for lo, hi in runs(closed.all()):
        out.append(_event(f"closed-{rt_id}-{lo.isoformat()}@innkeeper", "Closed", lo, hi, stamp))
    return out


async def _resource_events(
    session: AsyncSession, resource_id: uuid.UUID, start: datetime, end: datetime, stamp: datetime
) -> list[Event]:
    rows = (
        await session.execute(
            select(Booking.id, Booking.reference, Booking.start_at, Booking.end_at)
            .join(ResourceAllocation, ResourceAllocation.booking_id == Booking.id)
            .where(
                ResourceAllocation.resource_id == resource_id,
                ResourceAllocation.active.is_(True),
                ResourceAllocation.ends_at > start,
                ResourceAllocation.starts_at < end,
            )
            .order_by(Booking.start_at, Booking.id)
        )
    ).all()
    out = [
        _event(f"booking-{r.id}@innkeeper", f"Booked {r.reference}", r.start_at, r.end_at, stamp)
        for r in rows
    ]
    closed = await session.scalars(
        select(ResourceException).where(
            ResourceException.resource_id == resource_id,
            ResourceException.kind == "closed",
            ResourceException.ends_at > start,
            ResourceException.starts_at < end,
        )
    )
    for x in closed.all():
        out.append(_event(f"closed-{x.id}@innkeeper", "Closed", x.starts_at, x.ends_at, stamp))
    return out


async def render_feed(session: AsyncSession, settings: Settings, token: str) -> bytes:
    """The ``.ics`` of the feed whose token this is (404 for any other string)."""
    from icalendar import Calendar  # with the first feed served, not with the API (~3 MB per process)

    feed = await session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))
    if feed is None:
        raise CalendarFeedNotFound()
    prop: Property = await get_property(session, feed.property_id)
    today = local_today(prop.timezone)
    first, last = today - timedelta(days=PAST_DAYS), today + timedelta(days=settings.inventory_horizon_days)
    stamp = utcnow().replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if feed.room_type_id is not None:
        rt = await session.get(RoomType, feed.room_type_id)
        cal.add("x-wr-calname", f"{prop.name} · {rt.name if rt else 'room type'}")
        events = await _room_type_events(session, feed.room_type_id, first, last, stamp)
    else:
        assert feed.resource_id is not None
        resource = await session.get(Resource, feed.resource_id)
        cal.add("x-wr-calname", f"{prop.name} · {resource.name if resource else 'resource'}")
        now = utcnow()
        events = await _resource_events(
            session, feed.resource_id, now - timedelta(days=PAST_DAYS), now + timedelta(days=366), stamp
        )
    for event in events:
        cal.add_component(event)
    return bytes(cal.to_ical())
