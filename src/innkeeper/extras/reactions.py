"""In-transaction reactions of service orders to booking changes (kit.events).

* **Check-out gate.** A booking does not check out while one of its orders is ``requested``,
  ``accepted`` or ``in_progress``: 409 ``checkout.open_service_orders`` aborts the check-out (the
  orders are delivered, rejected or cancelled first, and the folio then settled as usual).
* **A cancelled booking cancels its open orders** (so do a no-show and a lapsed hold): they will not be
  delivered, and nothing of them is on the folio. Delivered orders stay on the folio: a cancellation
  reverses the stay's charges only (``billing.folio`` leaves rows tagged with a service order alone).
  The guest is not e-mailed per order; the booking's own cancellation message covers it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.lifecycle import BookingChanged
from innkeeper.extras import lifecycle
from innkeeper.extras.errors import OpenServiceOrders
from innkeeper.extras.models import OrderStatus
from innkeeper.extras.orders import open_orders
from innkeeper.kit import events

#: booking actions after which no open order can be delivered any more
ENDING = frozenset({"cancelled", "no_show", "expired"})


@events.on(BookingChanged)
async def guard_checkout(session: AsyncSession, event: BookingChanged) -> None:
    if event.action != "checked_out":
        return
    still_open = await open_orders(session, event.booking.id)
    if still_open:
        raise OpenServiceOrders(
            f"{len(still_open)} service order(s) still open: deliver, reject or cancel them first",
            orders=[str(o.id) for o in still_open],
        )


@events.on(BookingChanged)
async def cancel_open_orders(session: AsyncSession, event: BookingChanged) -> None:
    if event.action not in ENDING:
        return
    for order in await open_orders(session, event.booking.id, lock=True):
        await lifecycle.move(
            None,
            session,
            order,
            event.booking,
            OrderStatus.cancelled,
            event.actor,
            reason=f"booking {event.action.replace('_', ' ')}",
        )
