"""The service order's state machine, and the one function that moves an order (history row, audit
row, ``ServiceOrderChanged``, the folio posting on delivery, the guest's e-mail), in the caller's
transaction.

``requested → accepted → in_progress → delivered``; ``requested → rejected``; ``cancelled`` from any
open status (the guest may cancel only while ``requested`` or ``accepted``: see ``extras.orders``). The
table is a :class:`~innkeeper.kit.state_machine.StateMachine`, the same helper the booking lifecycle uses.

A move to the status the order already has is a retry, not an illegal move: it changes nothing and
answers the order as it is (two desks pressing "deliver" at once, or a client retrying after a lost
answer). The caller holds the order's row lock, so of two concurrent moves the second sees the first's
result; the delivered order's charge is posted once (``billing.folio.post_service_order``, backed by a
partial unique index).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.billing import folio
from innkeeper.bookings.models import Booking
from innkeeper.bookings.service.payment import refresh_status
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.extras.errors import OrderIllegalTransition
from innkeeper.extras.events import ServiceOrderChanged
from innkeeper.extras.models import OrderStatus, ServiceOrder, ServiceOrderEvent
from innkeeper.kit import events
from innkeeper.kit.clock import utcnow
from innkeeper.kit.money import Money
from innkeeper.kit.state_machine import StateMachine
from innkeeper.notifications.service import send_email

St = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    St.requested: frozenset({St.accepted, St.rejected, St.cancelled}),
    St.accepted: frozenset({St.in_progress, St.cancelled}),
    St.in_progress: frozenset({St.delivered, St.cancelled}),
    St.delivered: frozenset(),
    St.rejected: frozenset(),
    St.cancelled: frozenset(),
}
MACHINE: StateMachine[OrderStatus] = StateMachine(TRANSITIONS)

#: what the guest may still cancel (staff may cancel an order in progress too)
GUEST_CANCELLABLE = frozenset({St.requested, St.accepted})
#: the route's verb → the status it moves to (also the history action)
MOVES: dict[str, OrderStatus] = {
    "accept": St.accepted,
    "start": St.in_progress,
    "deliver": St.delivered,
    "reject": St.rejected,
    "cancel": St.cancelled,
}
#: the moves the guest hears about
NOTIFIED = frozenset({St.accepted, St.rejected, St.delivered})


async def record_event(
    session: AsyncSession,
    order: ServiceOrder,
    actor: Actor,
    action: str,
    *,
    from_status: str | None,
    data: dict[str, Any] | None = None,
) -> None:
    """History, audit and ``ServiceOrderChanged`` for a move that already happened on ``order``."""
    session.add(
        ServiceOrderEvent(
            order_id=order.id,
            at=utcnow(),
            action=action,
            from_status=from_status,
            to_status=order.status,
            actor_user_id=actor.user_id,
            actor_ip=actor.ip,
            data=data,
        )
    )
    record(
        session,
        actor,
        f"service_order.{action}",
        "service_order",
        order.id,
        property_id=order.property_id,
        before={"status": from_status} if from_status else None,
        after={"status": order.status, "booking_id": str(order.booking_id), **(data or {})},
    )
    await events.emit(session, ServiceOrderChanged(order, action, actor))


async def move(
    ctx: AppContext | None,
    session: AsyncSession,
    order: ServiceOrder,
    booking: Booking,
    to: OrderStatus,
    actor: Actor,
    *,
    reason: str | None = None,
) -> bool:
    """Move ``order`` (row-locked by the caller) to ``to``; ``False`` when it is there already (a retry).
    409 ``service_order.illegal_transition`` for a move the table does not have. With ``ctx`` the guest
    is e-mailed (through the outbox) when the order is accepted, rejected or delivered."""
    if order.status == to:
        return False
    MACHINE.check(
        OrderStatus(order.status),
        to,
        lambda: OrderIllegalTransition(
            f"Cannot move an order that is {order.status} to {to.value}", status_now=order.status
        ),
    )
    before = order.status
    order.status = to.value
    if reason is not None:
        order.reason = reason
    prop = await session.get(Property, order.property_id)
    assert prop is not None
    if to == St.delivered:
        order.delivered_at = utcnow()
        await _post(session, order, booking, prop, actor)
    await record_event(session, order, actor, to.value, from_status=before, data={"reason": reason})
    if ctx is not None and to in NOTIFIED:
        _notify(ctx, session, order, booking, prop)
    return True


async def _post(
    session: AsyncSession, order: ServiceOrder, booking: Booking, prop: Property, actor: Actor
) -> None:
    """The delivered order on the booking's folio: its charge under the service's category (what
    reports group by), its VAT under ``vat`` (so the invoice's tax summary has it), both tagged with
    the order; then the booking's payment status follows the folio."""
    what = f"{order.service_name} x {order.quantity}"
    lines = [(order.category, what, order.subtotal_minor)]
    if order.tax_minor and not order.tax_included:
        lines.append(("vat", f"{order.tax_label or 'VAT'} on {order.service_name}", order.tax_minor))
    assert order.delivered_at is not None
    day = order.delivered_at.astimezone(ZoneInfo(prop.timezone)).date()
    if await folio.post_service_order(session, booking, order.id, lines, actor, service_date=day):
        await refresh_status(session, booking)


def local(instant: datetime | None, timezone: str) -> str | None:
    """An instant as the API shows it: with the property's offset."""
    return instant.astimezone(ZoneInfo(timezone)).isoformat() if instant else None


_OPENING = {
    St.accepted: "your order has been accepted.",
    St.rejected: "we are sorry: your order could not be accepted.",
    St.delivered: "your order has been delivered and added to your bill.",
}


def _notify(
    ctx: AppContext, session: AsyncSession, order: ServiceOrder, booking: Booking, prop: Property
) -> None:
    when = local(order.scheduled_for, prop.timezone)
    body = (
        f"Dear {booking.contact_name or 'guest'},\n\n{_OPENING[OrderStatus(order.status)]}\n\n"
        f"{prop.name}, booking {booking.reference}\n"
        f"Service: {order.service_name} x {order.quantity}\n"
        + (f"Scheduled for: {when}\n" if when else "")
        + f"Total: {Money(order.total_minor, order.currency)}\n"
        + (f"Reason: {order.reason}\n" if order.reason and order.status == St.rejected else "")
    )
    send_email(
        ctx,
        session,
        to=booking.contact_email,
        subject=f"{order.service_name}: order {order.status.replace('_', ' ')} ({booking.reference})",
        body=body,
    )
