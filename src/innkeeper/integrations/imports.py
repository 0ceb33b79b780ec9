"""Calendar imports: an external ``.ics`` URL whose events close nights of a room type or block times of
a resource, kept in step by a job.

A sync downloads the feed outside any transaction (SSRF-guarded, with a timeout and a size limit), then
applies the difference between what the feed covers now and what the import holds, in one transaction:

* **nights** (room type): each covered night is an ``calendar_import_nights`` row. A newly covered
  night is closed through ``inventory.service.bulk_update`` (audited, row-locked); the row remembers
  whether the night was open before (``reopen``). A night no event covers any more is opened again only
  if this import closed it and no other import still covers it (which then inherits the duty). A night
  closed by hand stays closed.
* **times** (resource): each event is a ``closed`` exception made by ``inventory.schedule.add_exception``
  and a ``calendar_import_blocks`` row keyed by the event's UID and times; a vanished or moved event's
  exception is deleted (``delete_exception``). An event over an active booking cannot close that time: it
  is listed in the import's ``conflicts`` and tried again at the next sync.

Re-importing the same feed therefore changes nothing. A feed that cannot be read (HTTP error, not
iCalendar, too large) changes nothing either: the import records the error and keeps what it holds.
Recurring events (RRULE) count as their first occurrence only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property, Resource
from innkeeper.catalog.service import get_property
from innkeeper.config import Settings
from innkeeper.integrations import net
from innkeeper.integrations.calendars import runs, target
from innkeeper.integrations.errors import CalendarImportNotFound, FeedInvalid, FeedTooLarge, UrlRefused
from innkeeper.integrations.models import CalendarImport, CalendarImportBlock, CalendarImportNight
from innkeeper.inventory import schedule
from innkeeper.inventory.models import InventoryDay
from innkeeper.inventory.service import DayChange, bulk_update
from innkeeper.kit import jobs
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.db import Database
from innkeeper.kit.errors import AppError

SYNC_JOB = "integrations.calendar_import_sync"


@dataclass(frozen=True)
class FeedEvent:
    key: str
    start: date | datetime
    end: date | datetime


def import_to_api(imp: CalendarImport) -> dict[str, Any]:
    return {
        "id": str(imp.id),
        "url": imp.url,
        "room_type_id": str(imp.room_type_id) if imp.room_type_id else None,
        "resource_id": str(imp.resource_id) if imp.resource_id else None,
        "is_active": imp.is_active,
        "last_polled_at": imp.last_polled_at.isoformat() if imp.last_polled_at else None,
        "last_status": imp.last_status,
        "last_error": imp.last_error,
        "events_count": imp.events_count,
        "conflicts": list(imp.conflicts or []),
        "created_at": imp.created_at.isoformat(),
    }


async def create(
    session: AsyncSession,
    settings: Settings,
    property_id: uuid.UUID,
    *,
    url: str,
    room_type_id: uuid.UUID | None,
    resource_id: uuid.UUID | None,
    actor: Actor,
) -> CalendarImport:
    """The import, with its first sync queued (it runs after this commits)."""
    await target(session, property_id, room_type_id, resource_id)
    net.check_syntax(url)
    await net.resolve(url, allow_private=net.private_allowed(settings))
    imp = CalendarImport(
        property_id=property_id,
        room_type_id=room_type_id,
        resource_id=resource_id,
        url=url,
        conflicts=[],
        created_by=actor.user_id,
    )
    session.add(imp)
    await session.flush()
    record(session, actor, "calendar_import.created", "calendar_import", imp.id, property_id=property_id)
    request_sync(session, imp)
    return imp


def request_sync(session: AsyncSession, imp: CalendarImport) -> None:
    jobs.enqueue(session, SYNC_JOB, {"import_id": str(imp.id)})


async def get(session: AsyncSession, property_id: uuid.UUID, import_id: uuid.UUID) -> CalendarImport:
    imp = await session.scalar(
        select(CalendarImport).where(
            CalendarImport.id == import_id, CalendarImport.property_id == property_id
        )
    )
    if imp is None:
        raise CalendarImportNotFound()
    return imp


async def list_for(
    session: AsyncSession, property_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[CalendarImport], int]:
    where = CalendarImport.property_id == property_id
    rows = await session.scalars(
        select(CalendarImport).where(where).order_by(CalendarImport.created_at).limit(limit).offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(CalendarImport).where(where))
    return list(rows.all()), int(total or 0)


# -- reading a feed --------------------------------------------------------------------------------------
async def download(settings: Settings, url: str) -> bytes:
    """The feed's bytes; ``AppError`` (invalid feed, too large, refused URL) when unusable."""
    import httpx  # the import job's, not the API's (see ``net.call``)

    limit = settings.calendar_import_max_bytes
    try:
        answer = await net.call(settings, "GET", url, max_bytes=limit, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise FeedInvalid(f"the feed could not be fetched: {type(exc).__name__}") from None
    if answer.truncated:
        raise FeedTooLarge(f"the feed is larger than {limit} bytes")
    if answer.status_code != 200:
        raise FeedInvalid(f"the feed answered HTTP {answer.status_code}")
    return answer.body


def _when(value: Any, tz: ZoneInfo) -> date | datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value  # floating time: the property's
    if isinstance(value, date):
        return value
    raise ValueError("not a date or date-time")


def parse(body: bytes, tz: ZoneInfo) -> list[FeedEvent]:
    """The busy events of an iCalendar file (cancelled and transparent ones are free time)."""
    from icalendar import Calendar  # imported by the import job, not with the API

    try:
        cal = Calendar.from_ical(body)
    except (ValueError, IndexError, KeyError) as exc:
        raise FeedInvalid(f"not an iCalendar file ({type(exc).__name__})") from None
    if getattr(cal, "name", "") != "VCALENDAR":
        raise FeedInvalid("not an iCalendar file (no VCALENDAR)")
    out = []
    for component in cal.walk("VEVENT"):
        if str(component.get("status", "")).upper() == "CANCELLED":
            continue
        if str(component.get("transp", "")).upper() == "TRANSPARENT" or component.get("dtstart") is None:
            continue
        try:
            start = _when(component.decoded("dtstart"), tz)
            if component.get("dtend") is not None:
                end = _when(component.decoded("dtend"), tz)
            elif component.get("duration") is not None:
                end = start + component.decoded("duration")
            else:
                end = start + timedelta(days=1) if not isinstance(start, datetime) else start
        except (ValueError, TypeError, KeyError):
            continue  # one malformed event does not spoil the rest
        if type(end) is not type(start) or end <= start:
            continue  # an end before the start, or a date against a date-time
        uid = str(component.get("uid", "")) or f"{start}"
        out.append(FeedEvent(f"{uid}|{start.isoformat()}|{end.isoformat()}"[:500], start, end))
    return out


def nights_of(events: list[FeedEvent], tz: ZoneInfo) -> set[date]:
    """The nights the events cover, as property-local dates (a timed event covers every night it
    touches; one within a day covers that night)."""
    nights: set[date] = set()
    for e in events:
        lo = e.start.astimezone(tz).date() if isinstance(e.start, datetime) else e.start
        hi = e.end.astimezone(tz).date() if isinstance(e.end, datetime) else e.end
        hi = max(hi, lo + timedelta(days=1))
        nights.update(lo + timedelta(days=i) for i in range((hi - lo).days))
    return nights


# -- applying it -----------------------------------------------------------------------------------------
async def _bulk(
    session: AsyncSession, prop: Property, rt_id: uuid.UUID, days: set[date], closed: bool, settings: Settings
) -> None:
    changes = [DayChange(rt_id, lo, hi, None, {"closed": closed}) for lo, hi in runs(days)]
    if changes:
        await bulk_update(
            session, prop, changes, settings.inventory_horizon_days, Actor.system("calendar-import")
        )


async def apply_nights(
    session: AsyncSession, settings: Settings, imp: CalendarImport, prop: Property, wanted: set[date]
) -> int:
    """Close newly covered nights, reopen released ones; returns how many nights changed hands."""
    assert imp.room_type_id is not None
    rt_id = imp.room_type_id
    today = local_today(prop.timezone)
    last = today + timedelta(days=settings.inventory_horizon_days)
    existing_days = set(
        (
            await session.scalars(
                select(InventoryDay.date).where(
                    InventoryDay.room_type_id == rt_id, InventoryDay.date >= today, InventoryDay.date < last
                )
            )
        ).all()
    )
    wanted = {d for d in wanted if d in existing_days}
    held = {
        row.date: row
        for row in (
            await session.scalars(
                select(CalendarImportNight).where(
                    CalendarImportNight.import_id == imp.id, CalendarImportNight.date >= today
                )
            )
        ).all()
    }
    new, gone = wanted - held.keys(), set(held) - wanted
    if new:
        closed_now = set(
            (
                await session.scalars(
                    select(InventoryDay.date).where(
                        InventoryDay.room_type_id == rt_id,
                        InventoryDay.date.in_(new),
                        InventoryDay.closed.is_(True),
                    )
                )
            ).all()
        )
        to_close = new - closed_now
        await _bulk(session, prop, rt_id, to_close, True, settings)
        session.add_all(
            CalendarImportNight(import_id=imp.id, date=d, room_type_id=rt_id, reopen=d in to_close)
            for d in new
        )
    await release_nights(session, settings, imp, prop, {d: held[d] for d in gone})
    return len(new) + len(gone)


async def release_nights(
    session: AsyncSession,
    settings: Settings,
    imp: CalendarImport,
    prop: Property,
    rows: dict[date, CalendarImportNight],
) -> None:
    """Give up these nights: reopen the ones this import closed, unless another import still covers them
    (that import then reopens them when it lets go)."""
    if not rows:
        return
    today = local_today(prop.timezone)
    to_open: set[date] = set()
    for day, row in rows.items():
        if row.reopen and day >= today:
            other = await session.scalar(
                select(CalendarImportNight)
                .where(
                    CalendarImportNight.room_type_id == row.room_type_id,
                    CalendarImportNight.date == day,
                    CalendarImportNight.import_id != imp.id,
                )
                .limit(1)
            )
            if other is not None:
                other.reopen = True
            else:
                to_open.add(day)
        await session.delete(row)
    assert imp.room_type_id is not None
    await _bulk(session, prop, imp.room_type_id, to_open, False, settings)


async def apply_blocks(
    session: AsyncSession, imp: CalendarImport, prop: Property, events: list[FeedEvent]
) -> tuple[int, list[dict[str, Any]]]:
    """Block new events' times, unblock vanished ones; returns (changes, conflicts)."""
    assert imp.resource_id is not None
    resource = await session.get(Resource, imp.resource_id)
    assert resource is not None
    tz = ZoneInfo(prop.timezone)
    now = utcnow()
    timed = {}
    for e in events:
        start = (
            e.start if isinstance(e.start, datetime) else datetime.combine(e.start, datetime.min.time(), tz)
        )
        end = e.end if isinstance(e.end, datetime) else datetime.combine(e.end, datetime.min.time(), tz)
        if end > now and end > start:
            timed[e.key] = (start, end)
    held = {
        b.event_key: b
        for b in (
            await session.scalars(select(CalendarImportBlock).where(CalendarImportBlock.import_id == imp.id))
        ).all()
    }
    actor = Actor.system("calendar-import")
    changes = 0
    for key in set(held) - set(timed):
        await _unblock(session, prop, resource, held[key], actor)
        changes += 1
    conflicts = []
    for key in sorted(set(timed) - set(held)):
        start, end = timed[key]
        try:
            async with session.begin_nested():
                x = await schedule.add_exception(
                    session,
                    prop,
                    resource,
                    start=start,
                    end=end,
                    kind="closed",
                    reason="calendar import",
                    actor=actor,
                )
        except AppError as exc:
            conflicts.append({"event": key.split("|", 1)[0], "start": start.isoformat(), "reason": exc.code})
            continue
        session.add(
            CalendarImportBlock(
                import_id=imp.id, event_key=key, starts_at=start, ends_at=end, exception_id=x.id
            )
        )
        changes += 1
    return changes, conflicts


async def _unblock(
    session: AsyncSession, prop: Property, resource: Resource, block: CalendarImportBlock, actor: Actor
) -> None:
    if block.exception_id is not None:
        try:
            await schedule.delete_exception(session, prop, resource, block.exception_id, actor)
        except AppError:
            pass  # deleted by hand meanwhile: nothing of ours left to open
    await session.delete(block)


async def apply(
    session: AsyncSession, settings: Settings, imp: CalendarImport, events: list[FeedEvent]
) -> tuple[int, list[dict[str, Any]]]:
    prop = await get_property(session, imp.property_id)
    if imp.room_type_id is not None:
        changed = await apply_nights(session, settings, imp, prop, nights_of(events, ZoneInfo(prop.timezone)))
        return changed, []
    return await apply_blocks(session, imp, prop, events)


async def remove(session: AsyncSession, settings: Settings, imp: CalendarImport, actor: Actor) -> None:
    """Delete the import, opening what it closed (and only that)."""
    prop = await get_property(session, imp.property_id)
    if imp.room_type_id is not None:
        rows = (
            await session.scalars(select(CalendarImportNight).where(CalendarImportNight.import_id == imp.id))
        ).all()
        await release_nights(session, settings, imp, prop, {r.date: r for r in rows})
    else:
        resource = await session.get(Resource, imp.resource_id)
        blocks = (
            await session.scalars(select(CalendarImportBlock).where(CalendarImportBlock.import_id == imp.id))
        ).all()
        for block in blocks:
            if resource is not None:
                await _unblock(session, prop, resource, block, actor)
    await session.execute(delete(CalendarImportNight).where(CalendarImportNight.import_id == imp.id))
    await session.delete(imp)
    record(session, actor, "calendar_import.deleted", "calendar_import", imp.id, property_id=imp.property_id)


async def sync(db: Database, settings: Settings, import_id: uuid.UUID) -> str | None:
    """Download and apply one import; its status afterwards (``None``: gone or inactive)."""
    async with db.unit_of_work(write=False) as session:
        imp = await session.get(CalendarImport, import_id)
        if imp is None or not imp.is_active:
            return None
        url, prop = imp.url, await get_property(session, imp.property_id)
    error: str | None = None
    events: list[FeedEvent] = []
    try:
        events = parse(await download(settings, url), ZoneInfo(prop.timezone))
    except (FeedInvalid, FeedTooLarge, UrlRefused) as exc:
        error = f"{exc.code}: {exc.detail}"[:500]
    async with db.unit_of_work() as session:
        imp = await session.scalar(
            select(CalendarImport).where(CalendarImport.id == import_id).with_for_update()
        )
        if imp is None:
            return None
        imp.last_polled_at = utcnow()
        if error is None:
            changed, conflicts = await apply(session, settings, imp, events)
            imp.events_count, imp.conflicts = len(events), conflicts
            if changed:
                record(
                    session,
                    Actor.system("calendar-import"),
                    "calendar_import.synced",
                    "calendar_import",
                    imp.id,
                    property_id=imp.property_id,
                    after={"events": len(events), "changes": changed, "conflicts": len(conflicts)},
                )
        imp.last_status, imp.last_error = ("ok", None) if error is None else ("error", error)
        return imp.last_status
