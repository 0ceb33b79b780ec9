"""The nightly allocation: a stay takes nights of a room type from the ``inventory_days`` counters
(invariants 1-3). The engine reaches it only through :class:`NightlyAllocation` (``bookings.allocation``).

Lock order, everywhere: booking rows first (by id), then inventory rows by (room type, date) in one
``SELECT … FOR UPDATE ORDER BY room_type_id, date``. Counters then change with conditional UPDATEs
whose row counts are checked, and the ``CHECK (sold + held <= total)`` constraint is the backstop.
Expired holds on the nights a request needs are reclaimed in the same transaction, so they never
block a sale whether or not the sweeper has run.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, Uuid, bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings import lifecycle
from innkeeper.bookings.models import HOLD_STATES, SOLD_STATES, Booking
from innkeeper.inventory.errors import Unavailable
from innkeeper.inventory.models import InventoryDay
from innkeeper.kit.clock import utcnow


def nights(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


@dataclass(frozen=True)
class Delta:
    room_type_id: uuid.UUID
    day: date
    held: int = 0
    sold: int = 0


def room_type_of(b: Booking) -> uuid.UUID:
    assert b.room_type_id is not None, f"{b.id} is no stay"
    return b.room_type_id


def take_held(b: Booking) -> list[Delta]:
    return [Delta(room_type_of(b), d, held=b.rooms) for d in nights(b.checkin, b.checkout)]


def release(b: Booking) -> list[Delta]:
    """Give back whatever this booking occupies now (held or sold nights)."""
    if b.status in HOLD_STATES:
        return [Delta(room_type_of(b), d, held=-b.rooms) for d in nights(b.checkin, b.checkout)]
    if b.status in SOLD_STATES:
        return [Delta(room_type_of(b), d, sold=-b.rooms) for d in nights(b.checkin, b.sold_until)]
    return []


def occupy(b: Booking) -> list[Delta]:
    """What this booking occupies in its current status (the inverse of :func:`release`)."""
    return [Delta(x.room_type_id, x.day, held=-x.held, sold=-x.sold) for x in release(b)]


def held_to_sold(b: Booking) -> list[Delta]:
    return [Delta(room_type_of(b), d, held=-b.rooms, sold=b.rooms) for d in nights(b.checkin, b.checkout)]


# Built once with bound parameters: building SQLAlchemy expressions per call costs more CPU than running them.
_GIVE = (
    update(InventoryDay)
    .where(InventoryDay.id.in_(bindparam("ids", expanding=True)))
    .values(
        held=InventoryDay.held + bindparam("held", type_=Integer),
        sold=InventoryDay.sold + bindparam("sold", type_=Integer),
    )
    .execution_options(synchronize_session=False)
)
#: nights that gain rooms must be open and have them free
_FREE = (
    InventoryDay.closed.is_(False),
    InventoryDay.total - InventoryDay.sold - InventoryDay.held >= bindparam("adds", type_=Integer),
)
_TAKE = _GIVE.where(*_FREE)
#: the nights [start, end] of one room type, just locked by ``_LOCK_STAY`` (a stay, nearly always): the
#: same rows as by their ids, without an expanding IN (whose SQL is rewritten at every execution)
_STAY_NIGHTS = (
    InventoryDay.room_type_id == bindparam("rt", type_=Uuid()),
    InventoryDay.date >= bindparam("start", type_=Date),
    InventoryDay.date <= bindparam("end", type_=Date),
)
_GIVE_STAY = (
    update(InventoryDay)
    .where(*_STAY_NIGHTS)
    .values(
        held=InventoryDay.held + bindparam("held", type_=Integer),
        sold=InventoryDay.sold + bindparam("sold", type_=Integer),
    )
    .execution_options(synchronize_session=False)
)
_TAKE_STAY = _GIVE_STAY.where(*_FREE)
#: lock the nights [start, end] of one room type, in date order
_LOCK_STAY = (
    select(InventoryDay.id, InventoryDay.room_type_id, InventoryDay.date)
    .where(*_STAY_NIGHTS)
    .order_by(InventoryDay.room_type_id, InventoryDay.date)
    .with_for_update()
)


async def apply(session: AsyncSession, deltas: Iterable[Delta]) -> None:
    """Apply counter changes all-or-nothing: lock in (room type, date) order, then conditional UPDATEs.

    A night whose net change adds rooms must exist, be open and have them free; releases and
    held→sold moves always succeed. Raises 409 ``inventory.unavailable`` otherwise."""
    net: dict[tuple[uuid.UUID, date], list[int]] = defaultdict(lambda: [0, 0])
    for d in deltas:
        entry = net[(d.room_type_id, d.day)]
        entry[0] += d.held
        entry[1] += d.sold
    changes = {k: v for k, v in net.items() if v != [0, 0]}
    if not changes:
        return
    keys = sorted(changes)
    first, last = keys[0], keys[-1]
    stay = first[0] == last[0] and (last[1] - first[1]).days == len(keys) - 1
    if stay:
        # one room type, consecutive nights (a stay, nearly always): the statements built once
        locking: Any = _LOCK_STAY
        binds: dict[str, Any] = {"rt": first[0], "start": first[1], "end": last[1]}
    else:
        locking = (
            select(InventoryDay.id, InventoryDay.room_type_id, InventoryDay.date)
            .where(tuple_(InventoryDay.room_type_id, InventoryDay.date).in_(keys))
            .order_by(InventoryDay.room_type_id, InventoryDay.date)
            .with_for_update()
        )
        binds = {}
    # Lock first, in its own statement: the conditional UPDATEs below then start after the locks are
    # ours, with a fresh READ COMMITTED snapshot, so they see what the transactions we waited for
    # committed (rooms they gave back included). One statement locking in a subquery would judge the
    # condition on rows as they were when it started, and refuse rooms freed meanwhile.
    rows = (await session.execute(locking, binds)).all()
    ids_by_night = {(rt, day): row_id for row_id, rt, day in rows}
    missing = [k for k in keys if k not in ids_by_night]
    if missing:
        raise Unavailable(f"{missing[0][1].isoformat()} is not on sale", reason="not_on_sale")
    # one UPDATE per distinct (held, sold) change; a stay needs exactly one
    groups: dict[tuple[int, int], list[uuid.UUID]] = defaultdict(list)
    for key in keys:
        groups[(changes[key][0], changes[key][1])].append(ids_by_night[key])
    for (h, s), row_ids in groups.items():
        adds = h + s
        if stay and len(groups) == 1:  # every night locked above, the same change on each
            statement, where = (_TAKE_STAY if adds > 0 else _GIVE_STAY), binds
        else:
            statement, where = (_TAKE if adds > 0 else _GIVE), {"ids": row_ids}
        result = await session.execute(statement, {**where, "held": h, "sold": s, "adds": adds})
        if result.rowcount != len(row_ids):  # type: ignore[attr-defined]
            raise Unavailable("Not enough rooms free on every night of the stay", reason="sold_out")


def _due_holds(room_types: Any) -> Any:
    return (
        select(Booking)
        .where(
            room_types,
            Booking.status.in_([s.value for s in HOLD_STATES]),
            Booking.expires_at <= bindparam("now"),
            Booking.checkin < bindparam("end"),
            Booking.checkout > bindparam("start"),
        )
        .order_by(Booking.id)
        .with_for_update(skip_locked=True)
    )


_DUE_HOLDS = _due_holds(Booking.room_type_id.in_(bindparam("room_types", expanding=True, type_=Uuid())))
#: one room type (a stay): no expanding IN, whose SQL is rewritten at every execution
_DUE_HOLDS_OF_ONE = _due_holds(Booking.room_type_id == bindparam("room_type", type_=Uuid()))


async def due_holds(
    session: AsyncSession, room_type_ids: Iterable[uuid.UUID], start: date, end: date
) -> list[Booking]:
    """Expired holds overlapping [start, end) of these room types, locked (skipping ones being handled)."""
    ids = list(room_type_ids)
    binds: dict[str, Any] = {"now": utcnow(), "start": start, "end": end}
    if len(ids) == 1:
        return list((await session.scalars(_DUE_HOLDS_OF_ONE, {**binds, "room_type": ids[0]})).all())
    return list((await session.scalars(_DUE_HOLDS, {**binds, "room_types": ids})).all())


async def expire(session: AsyncSession, bookings: list[Booking]) -> list[Delta]:
    """Mark lapsed holds expired; returns the inventory to give back (apply it with the rest)."""
    deltas: list[Delta] = []
    for b in bookings:
        deltas += release(b)
        await lifecycle.mark_expired(session, b)
    return deltas


async def take(
    session: AsyncSession, wanted: list[Delta], *, extra: Iterable[Delta] = (), reclaim: bool = True
) -> None:
    """Take ``wanted`` (plus ``extra`` releases), reclaiming expired holds on those nights first
    (``reclaim=False``: the caller saw no held room on those nights, so there is nothing to reclaim)."""
    if wanted and reclaim:
        room_types = {d.room_type_id for d in wanted}
        start = min(d.day for d in wanted)
        end = max(d.day for d in wanted) + timedelta(days=1)
        reclaimed = await expire(session, await due_holds(session, room_types, start, end))
    else:
        reclaimed = []
    await apply(session, [*reclaimed, *extra, *wanted])


class NightlyAllocation:
    """:class:`~innkeeper.bookings.allocation.Allocation` for stays: ``rooms`` rooms of a room type on
    every night from ``checkin`` to ``checkout`` (to ``release_from`` once nights were given back)."""

    kind = "stay"

    def footprint(self, b: Booking) -> list[Delta]:
        return release(b)

    async def hold(self, session: AsyncSession, b: Booking, *, seen: Any = None) -> None:
        # ``seen``: the quote's read of the nights (date -> inventory row). With no room held on any of
        # them then, no lapsed hold can be waiting there (a hold placed since has not lapsed), so the
        # search for holds to reclaim is skipped.
        stay = nights(b.checkin, b.checkout)
        reclaim = seen is None or any(seen[d].held for d in stay if d in seen)
        await take(session, take_held(b), reclaim=reclaim)

    async def confirm(self, session: AsyncSession, b: Booking) -> None:
        await apply(session, held_to_sold(b))

    async def release(self, session: AsyncSession, bookings: Iterable[Booking]) -> None:
        await apply(session, [d for b in bookings for d in release(b)])

    async def move(self, session: AsyncSession, b: Booking, before: Any, *, reclaim: bool = True) -> None:
        await take(session, occupy(b), extra=before, reclaim=reclaim)

    async def retake(self, session: AsyncSession, b: Booking) -> None:
        await take(session, [Delta(room_type_of(b), d, sold=b.rooms) for d in nights(b.checkin, b.checkout)])
