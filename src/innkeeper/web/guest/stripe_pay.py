"""Paying a booking by card with Stripe's Payment Element (when ``INNKEEPER_PAYMENT_PROVIDER=stripe``).

The Pay button (``manage.pay``) makes the card payment and leads here. Stripe's intent is created by a
job after that commit (``payments.tasks.create_intent`` stores its ``client_secret`` on the payment),
so the page first says it is preparing the payment and polls itself (htmx, ``hx-select`` of its own
box) until the secret is there; then ``static/stripe-pay.js`` mounts the Payment Element with the
publishable key and confirms the payment in the browser. The money is recorded when Stripe's webhook
arrives, and the booking page (already polling while the booking is ``payment_pending``) shows the
confirmation.

* Only the payer sees this page: the signed-in user the payment belongs to, or, for a payment made
  signed out, the browser holding the booking's guest token (``bookings.access``, as every booking
  page). Anyone else gets a 404. The client secret appears on no other page.
* Stripe.js comes from https://js.stripe.com (Stripe requires it for PCI compliance: it cannot be
  vendored). This page alone answers with ``kit.security_headers.STRIPE_PAGE_POLICY``; every other page
  keeps the strict policy.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from fastapi import APIRouter, Request, Response

from innkeeper.bookings import access
from innkeeper.bookings.access import Caller
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking
from innkeeper.bookings.service.expiry import hold_lapsed
from innkeeper.bookings.service.payment import PAYABLE, PURPOSE
from innkeeper.config import Settings
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import Forbidden, ServiceUnavailable
from innkeeper.kit.http import DbSession
from innkeeper.kit.security_headers import STRIPE_PAGE_POLICY
from innkeeper.payments import service as payments
from innkeeper.payments.errors import PaymentNotFound
from innkeeper.payments.models import Payment, PaymentStatus
from innkeeper.web import session as web_session
from innkeeper.web.errors import WebRoute
from innkeeper.web.pages import WebUser, redirect, render

log = structlog.get_logger(__name__)
router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: Stripe.js, always from Stripe (the one script of the site from another host; see the module docstring)
STRIPE_JS = "https://js.stripe.com/v3"
PROVIDER = "stripe"


class CardPaymentsUnavailable(ServiceUnavailable):
    code = "web.card_payments_unavailable"
    title = "Card payments are not set up on this site"


def page_url(booking_id: uuid.UUID, payment_id: uuid.UUID) -> str:
    return f"/book/{booking_id}/pay/{payment_id}"


def publishable_key(settings: Settings) -> str:
    """The key the Payment Element needs. A site set up for Stripe without it cannot take a card, so
    the Pay button refuses (503) before any payment is made (the API, whose clients bring their own
    key, keeps working)."""
    if not settings.stripe_publishable_key:
        log.warning("web.stripe_publishable_key_missing")
        raise CardPaymentsUnavailable("Card payments on the site need INNKEEPER_STRIPE_PUBLISHABLE_KEY")
    return settings.stripe_publishable_key


async def _load(
    request: Request, session: DbSession, web_user: WebUser, booking_id: uuid.UUID, payment_id: uuid.UUID
) -> tuple[Booking, Payment]:
    """The booking and its Stripe card payment, for the payer only (404 for anyone else)."""
    payment = await payments.get(session, payment_id)
    if (payment.purpose_type, payment.purpose_id, payment.provider) != (PURPOSE, str(booking_id), PROVIDER):
        raise PaymentNotFound("No such payment")
    user = web_user.user if web_user else None
    if payment.user_id is not None and (user is None or user.id != payment.user_id):
        raise PaymentNotFound("No such payment")  # staff and admins included: the secret is the payer's
    # paid signed out (no user on the payment): only the browser holding the booking's guest token
    caller = Caller(
        user=user if payment.user_id is not None else None,
        guest_token=web_session.guest_tokens(request).get(str(booking_id)),
    )
    try:
        # not locked: the page polls itself every second while the intent is being made
        b = await access.load(session, booking_id, caller, action=Action.booking_payment)
    except Forbidden:
        raise BookingNotFound() from None
    return b, payment


def _state(b: Booking, payment: Payment) -> str:
    """``ready`` (the Payment Element), ``preparing`` (no intent yet: poll), or why nothing is payable
    here any more: ``done``, ``failed``, ``closed`` (cancelled, superseded, or the hold lapsed)."""
    if payment.status in (PaymentStatus.processing, PaymentStatus.succeeded):
        return "done"
    if payment.status == PaymentStatus.failed:
        return "failed"
    if payment.status != PaymentStatus.requires_payment or b.status not in PAYABLE or hold_lapsed(b):
        return "closed"
    return "ready" if payment.client_secret else "preparing"


@router.get("/book/{booking_id}/pay/{payment_id}")
async def card_page(
    request: Request, booking_id: uuid.UUID, payment_id: uuid.UUID, session: DbSession, web_user: WebUser
) -> Response:
    settings = request.app.state.ctx.settings
    if settings.payment_provider != PROVIDER:
        raise PaymentNotFound("No such payment")
    b, payment = await _load(request, session, web_user, booking_id, payment_id)
    state = _state(b, payment)
    context: dict[str, Any] = {
        "b": b,
        "amount": payment.amount.to_api(),
        "state": state,
        "page_url": page_url(b.id, payment.id),
        "return_url": page_url(b.id, payment.id) + "/return",
        "stripe_js": STRIPE_JS,
        "publishable_key": publishable_key(settings),
        # only while the payer can still pay, and only on this page
        "client_secret": payment.client_secret if state == "ready" else None,
    }
    response = render(request, "guest/stripe_pay.html", context)
    response.headers["content-security-policy"] = STRIPE_PAGE_POLICY
    response.headers["cache-control"] = "no-store"  # it may hold the client secret
    return response


@router.get("/book/{booking_id}/pay/{payment_id}/return")
async def card_return(booking_id: uuid.UUID, payment_id: uuid.UUID) -> Response:
    """Where Stripe sends the browser back after a payment method that leaves the page (a bank's
    page), with the intent's client secret in the query: straight on to the booking page, so that the
    secret is never in the booking page's address nor in its links (language, sign-in)."""
    return redirect(f"/book/{booking_id}")
