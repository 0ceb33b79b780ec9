"""What time does to bookings: unpaid holds lapse, stays whose arrival day passed become no-shows, and
slots whose end passed are completed (so reviews and loyalty can follow)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.models import HOLD_STATES, Booking, Status
from innkeeper.catalog.models import Property, Resource
from innkeeper.kit.clock import local_today, utcnow


def hold_lapsed(b: Booking) -> bool:
    return b.status in HOLD_STATES and b.expires_at is not None and b.expires_at <= utcnow()


async def expire(session: AsyncSession, bookings: list[Booking]) -> None:
    """Lapsed holds become ``expired`` and give their inventory back (the caller holds their locks)."""
    by_kind: dict[str, list[Booking]] = defaultdict(list)
    for b in bookings:
        by_kind[b.kind].append(b)
    for group in by_kind.values():
        await allocation_for(group[0]).release(session, group)
    for b in bookings:
        await lifecycle.mark_expired(session, b)


async def expire_if_lapsed(session: AsyncSession, b: Booking) -> bool:
    """Expire a lapsed hold now (the caller holds the booking's lock)."""
    if not hold_lapsed(b):
        return False
    await expire(session, [b])
    return True


async def sweep_expired(session: AsyncSession, limit: int = 200) -> int:
    """Expire every lapsed hold (the periodic job; correctness never depends on it)."""
    due = list(
        (
            await session.scalars(
                select(Booking)
                .where(Booking.status.in_([s.value for s in HOLD_STATES]), Booking.expires_at <= utcnow())
                .order_by(Booking.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )
    if due:
        await expire(session, due)
    return len(due)


async def mark_no_shows(session: AsyncSession, limit: int = 500) -> int:
    """Confirmed bookings whose arrival day is over at the property become no-shows; the nights from
    the property's today on go back on sale (past nights stay sold)."""
    latest_today = (utcnow() + timedelta(hours=14)).date()  # no time zone is further ahead than UTC+14
    candidates = (
        await session.execute(
            select(Booking.id, Booking.checkin, Property.timezone)
            .join(Property, Property.id == Booking.property_id)
            # stays only: a slot that ended is completed (complete_ended), not a no-show
            .where(
                Booking.kind == "stay",
                Booking.status == Status.confirmed.value,
                Booking.checkin < latest_today,
            )
            .order_by(Booking.checkin)
            .limit(limit)
        )
    ).all()
    due = {bid: local_today(tz) for bid, checkin, tz in candidates if checkin < local_today(tz)}
    if not due:
        return 0
    bookings = (
        await session.scalars(
            select(Booking)
            .where(Booking.id.in_(list(due)), Booking.status == Status.confirmed.value)
            .order_by(Booking.id)
            .with_for_update(skip_locked=True)
        )
    ).all()
    actor = Actor.system("no-show")
    moved = [b for b in bookings if no_show_due(b, due[b.id])]
    for b in moved:
        await mark_no_show(session, b, due[b.id], actor)
    return len(moved)


def no_show_due(b: Booking, today: date) -> bool:
    """A confirmed stay whose arrival day is over at the property (``today`` is the property's)."""
    return b.kind == "stay" and b.status == Status.confirmed and b.checkin is not None and b.checkin < today


async def mark_no_show(session: AsyncSession, b: Booking, today: date, actor: Actor) -> None:
    """One booking (locked by the caller) becomes a no-show: the nights from the property's ``today`` on
    go back on sale (past nights stay sold). The job's step, and the desk's "mark no-show" (which checks
    ``no_show_due`` first)."""
    allocation = allocation_for(b)
    before = allocation.footprint(b)
    b.release_from = min(today, b.checkout)
    await allocation.move(session, b, before, reclaim=False)
    await lifecycle.move(
        session, b, Status.no_show, actor, "no_show", data={"released_from": b.release_from.isoformat()}
    )


async def complete_ended(session: AsyncSession, limit: int = 500) -> int:
    """Slots whose end has passed: a hall booked and never checked in is a no-show (halls are checked
    in at the door); any other ended slot is completed (``checked_out``) once its folio is settled, so
    reviews and loyalty can follow; one with money still due stays for the desk. Returns how many
    bookings moved."""
    ended = (
        await session.execute(
            select(Booking, Resource.kind)
            .join(Resource, Resource.id == Booking.resource_id)
            .where(
                Booking.kind == "slot",
                Booking.status.in_([Status.confirmed.value, Status.checked_in.value]),
                Booking.end_at <= utcnow(),
            )
            .order_by(Booking.id)
            .limit(limit)
            .with_for_update(of=Booking, skip_locked=True)
        )
    ).all()
    actor = Actor.system("completion")
    moved = 0
    for b, resource_kind in ended:
        if resource_kind == "hall" and b.status == Status.confirmed:
            # its time is over: nothing to give back, the allocation simply stays in the past
            await lifecycle.move(session, b, Status.no_show, Actor.system("no-show"), "no_show")
            moved += 1
            continue
        await folio.sync_charges(session, b, actor)
        if (await folio.totals(session, b)).balance_due:
            continue
        b.checked_out_at = utcnow()
        await lifecycle.move(session, b, Status.checked_out, actor, "completed")
        moved += 1
    return moved
