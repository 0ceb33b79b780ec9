"""The booking state machine: which transitions exist, and the one function that performs them
(history row + audit row, in the caller's transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings.errors import IllegalTransition
from innkeeper.bookings.models import Booking, BookingEvent, Status
from innkeeper.kit import events
from innkeeper.kit.rows import add_row
from innkeeper.kit.state_machine import StateMachine


@dataclass(frozen=True)
class BookingChanged:
    """Announced (``kit.events``) inside the transaction of every history entry of a booking: a status
    move (``action`` is ``confirmed``, ``cancelled``, ``checked_in``, ``checked_out``, ``completed``,
    ``expired``, ``no_show``, ...) or another change (``modified``, ``rescheduled``, ``room_moved``).
    Higher packages react to it (service orders refuse a check-out with open orders, loyalty earns
    points, webhooks and metrics count) without the booking code importing them. A handler that raises
    aborts the change."""

    booking: Booking
    action: str
    from_status: str | None
    actor: Actor
    data: dict[str, Any] | None = None


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.reserved: frozenset({S.guests_added, S.payment_pending, S.confirmed, S.cancelled, S.expired}),
    S.guests_added: frozenset({S.guests_added, S.payment_pending, S.confirmed, S.cancelled, S.expired}),
    S.payment_pending: frozenset({S.guests_added, S.payment_pending, S.confirmed, S.cancelled, S.expired}),
    # confirmed -> checked_out: a slot completed after its end without a check-in (expiry.complete_ended)
    S.confirmed: frozenset({S.checked_in, S.checked_out, S.cancelled, S.no_show}),
    S.checked_in: frozenset({S.checked_out}),
    S.checked_out: frozenset(),
    S.cancelled: frozenset(),
    S.expired: frozenset({S.confirmed}),  # only a late payment, with the rooms taken again
    S.no_show: frozenset(),
}
#: the table above as the shared helper (``kit.state_machine``; service orders use the same one)
MACHINE: StateMachine[Status] = StateMachine(TRANSITIONS)


def can(booking: Booking, to: Status) -> bool:
    return MACHINE.can(Status(booking.status), to)


def require(booking: Booking, *allowed: Status, action: str) -> None:
    if Status(booking.status) not in allowed:
        raise IllegalTransition(
            f"Cannot {action} a booking that is {booking.status}",
            status_now=booking.status,
        )


async def event(
    session: AsyncSession,
    booking: Booking,
    actor: Actor,
    action: str,
    *,
    from_status: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """History and audit for a change that is not (only) a status move."""
    history = {
        "booking_id": booking.id,
        "action": action,
        "from_status": from_status,
        "to_status": booking.status,
        "actor_user_id": actor.user_id,
        "actor_ip": actor.ip,
        "data": data,
    }
    add_row(session, BookingEvent, history)
    record(
        session,
        actor,
        f"booking.{action}",
        "booking",
        booking.id,
        property_id=booking.property_id,
        before={"status": from_status} if from_status else None,
        after={"status": booking.status, **(data or {})},
    )
    await events.emit(session, BookingChanged(booking, action, from_status, actor, data))


async def move(
    session: AsyncSession,
    booking: Booking,
    to: Status,
    actor: Actor,
    action: str,
    data: dict[str, Any] | None = None,
) -> None:
    """Change status, or 409 ``booking.illegal_transition``."""
    MACHINE.check(
        Status(booking.status),
        to,
        lambda: IllegalTransition(
            f"Cannot {action} a booking that is {booking.status}", status_now=booking.status
        ),
    )
    before = booking.status
    booking.status = to.value
    await event(session, booking, actor, action, from_status=before, data=data)


async def mark_expired(session: AsyncSession, booking: Booking) -> None:
    """An unpaid hold lapsed (its inventory is given back by the caller, through its allocation)."""
    await move(session, booking, Status.expired, Actor.system("expiry"), "expired")
    booking.expires_at = None
