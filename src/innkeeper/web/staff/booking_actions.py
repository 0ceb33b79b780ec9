"""What the desk does to a booking: assign or move a room, check in (the room must be clean or
inspected: ``bookings.service.stay``), take a card payment, confirm a pay-at-property booking, check
out with the invoice, cancel after seeing the refund, and the invoice PDF.

Each post names the API route's action, loads the booking through ``bookings.access`` (404 / 403 as
the API) and calls the same use case with the staff member as the audit actor. A refusal (409, 422)
shows the booking page again with the domain's own sentence; nothing of the refused change stays (a
savepoint around the use case)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from innkeeper.billing import invoices, pdf
from innkeeper.bookings import lifecycle
from innkeeper.bookings.errors import NotAllowed
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.service import cancel as cancelling
from innkeeper.bookings.service import checkout, payment, stay
from innkeeper.bookings.service import confirm as confirming
from innkeeper.bookings.service.expiry import mark_no_show, no_show_due
from innkeeper.identity.permissions import Action
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.kit.money import Money
from innkeeper.payments.service import checkout_url
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.bookings import describe, form_uuid, load_booking
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page
from innkeeper.web.staff.forms import text

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

Step = Callable[[Staff, Booking, Any], Awaitable[str | Response]]


async def _act(
    request: Request,
    session: DbSession,
    property_id: uuid.UUID,
    booking_id: uuid.UUID,
    action: Action,
    step: Step,
) -> Response:
    staff, b = await load_booking(request, session, property_id, booking_id, action)
    form = await request.form()
    try:
        async with session.begin_nested():
            done = await step(staff, b, form)
    except AppError as exc:
        await session.refresh(b)
        context = await describe(request, session, staff, b)
        return page(
            request, staff, "staff/booking.html", {**context, "done": "", "error": exc.detail}, exc.status
        )
    if isinstance(done, Response):
        return done
    return redirect(f"{staff.base}/bookings/{b.id}?done={done}")


@router.post("/staff/p/{property_id}/bookings/{booking_id}/assign")
async def assign(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    async def step(staff: Staff, b: Booking, form: Any) -> str:
        room_id, moving = form_uuid(form, "room_id"), form_uuid(form, "from_room_id")
        if moving is not None:
            reason = text(form, "reason") or None
            await stay.move(
                session, b, actor(request, staff), from_room_id=moving, to_room_id=room_id, reason=reason
            )
            return "moved"
        await stay.assign(session, b, actor(request, staff), room_id=room_id)
        return "assigned"

    return await _act(request, session, property_id, booking_id, Action.booking_check_in, step)


@router.post("/staff/p/{property_id}/bookings/{booking_id}/check-in")
async def check_in(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    async def step(staff: Staff, b: Booking, form: Any) -> str:
        await stay.check_in(session, b, actor(request, staff), room_id=form_uuid(form, "room_id"))
        return "checked_in"

    return await _act(request, session, property_id, booking_id, Action.booking_check_in, step)


@router.post("/staff/p/{property_id}/bookings/{booking_id}/pay")
async def take_payment(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """A card payment taken at the desk: the gateway's terminal (the simulated checkout page, or the
    provider's) opens next; the booking is confirmed when the payment succeeds."""
    ctx = request.app.state.ctx

    async def step(staff: Staff, b: Booking, form: Any) -> str | Response:
        raw = text(form, "amount", 20)
        amount = Money.parse(raw, b.currency) if raw else None
        made = await payment.pay_booking(
            ctx, session, b, actor(request, staff), staff.user, method="card", amount=amount
        )
        card = next((p for p in made if p.method == "card"), made[0])
        url = checkout_url(ctx, card)
        return redirect(url) if url else "payment_started"

    return await _act(request, session, property_id, booking_id, Action.booking_payment, step)


@router.post("/staff/p/{property_id}/bookings/{booking_id}/confirm")
async def confirm(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """A pay-at-property booking confirmed without payment (``POST /bookings/{id}/confirm``)."""
    ctx = request.app.state.ctx

    async def step(staff: Staff, b: Booking, form: Any) -> str:
        if (b.payment_policy or {}).get("mode") != "at_property":
            raise NotAllowed("This booking's payment policy needs payment before confirmation")
        await confirming.confirm(ctx, session, b, actor(request, staff), reason="staff, pay at property")
        return "confirmed"

    return await _act(request, session, property_id, booking_id, Action.booking_confirm, step)


@router.post("/staff/p/{property_id}/bookings/{booking_id}/check-out")
async def check_out(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """Check out when the folio is paid (409 ``booking.balance_due`` otherwise: take a payment first);
    the invoice is issued and e-mailed, and its PDF is linked on the page."""
    ctx = request.app.state.ctx

    async def step(staff: Staff, b: Booking, form: Any) -> str:
        lifecycle.require(b, Status.checked_in, action="check out")
        await checkout.finish(ctx, session, b, actor(request, staff))
        return "checked_out"

    return await _act(request, session, property_id, booking_id, Action.booking_check_in, step)


@router.post("/staff/p/{property_id}/bookings/{booking_id}/cancel")
async def cancel(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """Cancel under the booking's policy snapshot; the page showed the refund (``refund_preview``) on
    the button that posts here."""
    ctx = request.app.state.ctx

    async def step(staff: Staff, b: Booking, form: Any) -> str:
        await cancelling.cancel(ctx, session, b, actor(request, staff), text(form, "reason") or None)
        return "cancelled"

    return await _act(request, session, property_id, booking_id, Action.booking_change, step)


@router.post("/staff/p/{property_id}/bookings/{booking_id}/no-show")
async def no_show(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    """Mark a no-show by hand: the expiry job's own step (``expiry.mark_no_show``) under its own rule
    (``no_show_due``: a confirmed stay whose arrival day is over at the property)."""

    async def step(staff: Staff, b: Booking, form: Any) -> str:
        today = local_today(staff.prop.timezone)
        if not no_show_due(b, today):
            raise NotAllowed("Only a confirmed stay whose arrival day is over can be marked a no-show")
        await mark_no_show(session, b, today, actor(request, staff))
        return "no_show"

    return await _act(request, session, property_id, booking_id, Action.booking_check_in, step)


@router.get("/staff/p/{property_id}/bookings/{booking_id}/invoice.pdf")
async def invoice_pdf(
    request: Request, property_id: uuid.UUID, booking_id: uuid.UUID, session: DbSession
) -> Response:
    _staff, b = await load_booking(request, session, property_id, booking_id, Action.booking_view)
    doc = await invoices.view(session, b)
    number = doc.get("number") or b.reference
    return Response(
        await pdf.render_off_loop(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'},
    )
