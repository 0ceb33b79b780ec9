"""What a booking takes from inventory: the one interface the booking engine allocates through.

A stay takes nights of a room type (:class:`~innkeeper.bookings.nightly.NightlyAllocation`); a slot
takes a buffered time range of an hourly resource (:class:`~innkeeper.bookings.hourly.HourlyAllocation`).
Creating, confirming, cancelling, modifying, expiring, no-shows and late payments call only this
interface, so none of them branches on the kind.

Every implementation keeps the engine's guarantees (DESIGN.md invariants 1-3): what it takes is taken
all-or-nothing under locks taken in one fixed order, backed by a database constraint, and a hold that
lapsed never blocks a sale: :meth:`Allocation.hold`, :meth:`Allocation.move` and
:meth:`Allocation.retake` reclaim lapsed holds standing in their way (expiring those bookings) in the
same transaction, whether or not the sweeper has run. Each raises 409 (``inventory.unavailable`` or
the kind's own conflict) when what it needs is not free, and the caller's transaction then rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.hourly import HourlyAllocation
from innkeeper.bookings.models import Booking
from innkeeper.bookings.nightly import NightlyAllocation


class Allocation(Protocol):
    kind: str

    def footprint(self, b: Booking) -> Any:
        """What ``b`` occupies in its current status; opaque, handed back to :meth:`move`."""

    async def hold(self, session: AsyncSession, b: Booking, *, seen: Any = None) -> None:
        """Hold what a new booking needs. ``seen``: what the caller's quote read of availability, if
        anything (lets an implementation skip looking for lapsed holds where none can be)."""

    async def confirm(self, session: AsyncSession, b: Booking) -> None:
        """Held → sold."""

    async def release(self, session: AsyncSession, bookings: Iterable[Booking]) -> None:
        """Give back what these bookings occupy in their current status (before that status changes)."""

    async def move(self, session: AsyncSession, b: Booking, before: Any, *, reclaim: bool = True) -> None:
        """``b`` changed (dates, room type or resource, count, a released tail): give back ``before``
        (its :meth:`footprint` before the change) and take what it occupies now, all-or-nothing.
        ``reclaim=False`` when the change only gives back (no lapsed hold can be in its way)."""

    async def retake(self, session: AsyncSession, b: Booking) -> None:
        """Sell again what an expired booking had held (its payment arrived late)."""


ALLOCATIONS: dict[str, Allocation] = {
    NightlyAllocation.kind: NightlyAllocation(),
    HourlyAllocation.kind: HourlyAllocation(),
}


def allocation_for(b: Booking) -> Allocation:
    return ALLOCATIONS[b.kind]
