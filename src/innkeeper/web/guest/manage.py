"""One booking's page, for its booker (signed in, or the browser holding its guest token): the hold's
countdown and the pay button, the confirmation with its reference, ``.ics`` and invoice, changing the
dates, and cancelling with the refund shown before confirming. Guests without the token find a
booking by reference and e-mail (read only)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.billing import folio, invoices, pdf
from innkeeper.bookings import access, notify
from innkeeper.bookings.access import Caller
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.present import booking_to_api
from innkeeper.bookings.schemas import ModifyIn
from innkeeper.bookings.service import cancel as cancelling
from innkeeper.bookings.service import guest_link, payment, queries
from innkeeper.bookings.service import modify as modifying
from innkeeper.bookings.service.expiry import hold_lapsed
from innkeeper.catalog.models import Property, Resource, RoomType
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest import stripe_pay
from innkeeper.web.guest.forms import field_messages, parse_date
from innkeeper.web.pages import WebUser, redirect, render
from innkeeper.web.session import WebAuth

router = APIRouter(route_class=WebRoute, include_in_schema=False)

HOLDING = (Status.reserved, Status.guests_added, Status.payment_pending)
CANCELLABLE = (*HOLDING, Status.confirmed)


def browser_caller(request: Request, web_user: WebAuth | None, booking_id: uuid.UUID) -> Caller:
    """Who this browser is for the booking: its signed-in user, and the guest token it holds for it."""
    token = web_session.guest_tokens(request).get(str(booking_id))
    return Caller(user=web_user.user if web_user else None, guest_token=token)


async def load(
    request: Request, session: DbSession, web_user: WebAuth | None, booking_id: uuid.UUID, action: Action
) -> Booking:
    """The booking if this browser's user, or its guest token, may do ``action`` (else 404)."""
    caller = browser_caller(request, web_user, booking_id)
    lock = action != Action.booking_view
    return await access.load(session, booking_id, caller, action=action, lock=lock)


async def describe(session: DbSession, b: Booking) -> dict[str, Any]:
    """What a booking page shows: the API's view of it, with its property and what it books."""
    view = booking_to_api(b, await folio.totals(session, b))
    prop = await session.get(Property, b.property_id)
    item = await (
        session.get(Resource, b.resource_id) if b.resource_id else session.get(RoomType, b.room_type_id)
    )
    view["lapsed"] = b.status in HOLDING and hold_lapsed(b)
    return {"b": view, "prop": prop, "item_name": item.name if item else "", "holding": b.status in HOLDING}


#: more of the booker's own page (never the lookup's): ``stay_pages`` adds its services and review
#: panels here when imported, so this module need not import it (it imports this one: no cycle)
Panel = Callable[[Request, DbSession, WebAuth | None, Booking], Awaitable[dict[str, Any]]]
PANELS: list[Panel] = []


async def booker_view(
    request: Request, session: DbSession, web_user: WebAuth | None, b: Booking
) -> dict[str, Any]:
    page = await describe(session, b)
    for panel in PANELS:
        page.update(await panel(request, session, web_user, b))
    return page


@router.get("/book/{booking_id}")
async def booking_page(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_view)
    return render(request, "guest/booking.html", await booker_view(request, session, web_user, b))


@router.get("/book/{booking_id}/status")
async def booking_status(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    """htmx: polled while a payment is on its way; the whole booking section is swapped."""
    b = await load(request, session, web_user, booking_id, Action.booking_view)
    return render(request, "guest/_booking_main.html", await booker_view(request, session, web_user, b))


@router.post("/book/{booking_id}/pay")
async def pay(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_payment)
    user = web_user.user if web_user else None
    ctx = request.app.state.ctx
    if ctx.settings.payment_provider == stripe_pay.PROVIDER:
        stripe_pay.publishable_key(ctx.settings)  # no card page without it: refuse before paying
    made = await payment.pay_booking(
        ctx, session, b, web_session.actor(request, web_user), user, method="card"
    )
    card = next((p for p in made if p.method == "card"), made[0])
    if card.provider == "simulated":
        return redirect(f"/pay/{card.id}")
    if card.provider == stripe_pay.PROVIDER:
        return redirect(stripe_pay.page_url(b.id, card.id))
    return redirect(f"/book/{b.id}")


@router.get("/book/{booking_id}/booking.ics")
async def calendar_file(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_view)
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    body = notify.ics(b, prop, cancelled=b.status == Status.cancelled)
    headers = {"Content-Disposition": f'attachment; filename="{b.reference}.ics"'}
    return Response(body, media_type="text/calendar", headers=headers)


@router.get("/book/{booking_id}/invoice.pdf")
async def invoice_pdf(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_view)
    doc = await invoices.view(session, b)
    name = doc.get("number") or f"folio-{b.reference}"
    return Response(
        await pdf.render_off_loop(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.get("/book/{booking_id}/cancel")
async def cancel_page(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_view)
    page = await describe(session, b)
    page["refund"] = await cancelling.refund_preview(session, b) if b.status in CANCELLABLE else None
    return render(request, "guest/cancel.html", page)


@router.post("/book/{booking_id}/cancel")
async def cancel(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_change)
    refund = await cancelling.cancel(
        request.app.state.ctx, session, b, web_session.actor(request, web_user), "cancelled on the web site"
    )
    page = await describe(session, b)
    page["cancelled_refund"] = refund
    return render(request, "guest/booking.html", page)


@router.get("/book/{booking_id}/modify")
async def modify_page(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_view)
    return render(request, "guest/modify.html", {**await describe(session, b), "errors": {}})


@router.post("/book/{booking_id}/modify")
async def modify(
    request: Request, booking_id: uuid.UUID, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    b = await load(request, session, web_user, booking_id, Action.booking_change)
    form = await request.form()
    errors: dict[str, str] = {}
    try:
        data = ModifyIn(
            checkin=parse_date(str(form.get("checkin") or "")) or b.checkin,
            checkout=parse_date(str(form.get("checkout") or "")) or b.checkout,
        )
        async with session.begin_nested():
            await modifying.modify(
                request.app.state.ctx,
                session,
                b,
                data,
                user=web_user.user if web_user else None,
                actor=web_session.actor(request, web_user),
            )
        return redirect(f"/book/{b.id}")
    except ValidationError:
        errors["form"] = "Enter valid dates"
    except AppError as exc:
        errors = {**field_messages(exc.errors), "form": exc.detail}
    return render(request, "guest/modify.html", {**await describe(session, b), "errors": errors}, status=409)


@router.get("/lookup")
async def lookup_page(request: Request, web_user: WebUser) -> Response:
    return render(request, "guest/lookup.html", {"found": None, "error": None, "values": {}})


@router.post("/lookup")
async def lookup(request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked) -> Response:
    """By reference and contact e-mail (a post: the address stays out of URLs and logs)."""
    form = await request.form()
    reference = str(form.get("reference") or "").strip()[:16]
    email = str(form.get("email") or "").strip()[:254]
    b = await queries.by_reference(session, reference) if len(reference) >= 4 else None
    if b is None or b.contact_email.lower() != email.lower():
        error = BookingNotFound("No booking with this reference and e-mail").detail
        values = {"reference": reference, "email": email}
        return render(request, "guest/lookup.html", {"found": None, "error": error, "values": values}, 404)
    found = {**await describe(session, b), "linkable": guest_link.may_have_link(b)}
    return render(request, "guest/lookup.html", {"found": found, "error": None, "values": {}})


def upcoming(b: dict[str, Any], today: date) -> bool:
    return b["status"] in ("reserved", "guests_added", "payment_pending", "confirmed", "checked_in") and (
        date.fromisoformat(b["checkout"]) >= today
    )
