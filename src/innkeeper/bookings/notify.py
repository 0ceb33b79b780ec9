"""Guest e-mails about a booking, through the outbox (so only after commit), in the guest's language.

Each is a template of ``notifications/templates`` (``booking_*``, ``payment_failed``, ``invoice``); the
property may override its subject and opening paragraph. Booking messages carry an ``.ics``: one UID
per booking (``<id>@innkeeper``), whose SEQUENCE counts the booking's changes (modify, reschedule), so
a calendar replaces the entry it already has when the booking changes.

Two messages are started by what happens elsewhere, inside its transaction, and sent by a job (which
has the application context the message needs):

* a change of a confirmed booking (``BookingChanged`` ``modified``/``rescheduled``) sends the updated
  confirmation with the next SEQUENCE;
* a failed payment of a booking that still holds its rooms tells the guest, with a link to try again
  before the hold lapses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.billing.models import Invoice
from innkeeper.bookings.lifecycle import BookingChanged
from innkeeper.bookings.models import HOLD_STATES, Booking, BookingEvent, Status
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit import events
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import JobContext, enqueue, registry
from innkeeper.kit.money import Money
from innkeeper.notifications.service import Attachment, send_templated_email
from innkeeper.notifications.templating import DEFAULT_LOCALE
from innkeeper.payments import hooks

#: booking changes that move it in a guest's calendar: each one raises the .ics SEQUENCE
CHANGES = ("modified", "rescheduled")
UPDATE_JOB = "bookings.send_update"
PAYMENT_FAILED_JOB = "bookings.send_payment_failed"


def ics(b: Booking, prop: Property, *, cancelled: bool = False, sequence: int = 0) -> bytes:
    """A calendar entry for the stay (local check-in to check-out time) or the slot (its start to end);
    METHOD CANCEL when cancelled. ``sequence``: the revision of the entry (RFC 5545 SEQUENCE)."""
    # imported when an e-mail is written (a job), not with the API that only queues it
    from icalendar import Calendar, Event

    tz = ZoneInfo(prop.timezone)
    cal = Calendar()
    cal.add("prodid", "-//Innkeeper//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{b.id}@innkeeper")
    event.add("sequence", sequence)
    if b.kind == "slot" and b.start_at is not None and b.end_at is not None:
        event.add("summary", f"{prop.name} ({b.reference})")
        event.add("dtstart", b.start_at.astimezone(tz))
        event.add("dtend", b.end_at.astimezone(tz))
    else:
        event.add("summary", f"Stay at {prop.name} ({b.reference})")
        event.add("dtstart", datetime.combine(b.checkin, prop.check_in_time, tzinfo=tz))
        event.add("dtend", datetime.combine(b.checkout, prop.check_out_time, tzinfo=tz))
    event.add("dtstamp", utcnow())
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if prop.address:
        event.add("location", f"{prop.name}, {prop.address}, {prop.city}")
    event.add("description", f"Booking {b.reference}: {b.rooms} room(s), {b.guests} guest(s)")
    cal.add_component(event)
    return bytes(cal.to_ical())


async def revision(session: AsyncSession, b: Booking) -> int:
    """How many times the booking moved in the calendar (its changes so far): the .ics SEQUENCE."""
    count = await session.scalar(
        select(func.count())
        .select_from(BookingEvent)
        .where(BookingEvent.booking_id == b.id, BookingEvent.action.in_(CHANGES))
    )
    return int(count or 0)


async def guest_locale(session: AsyncSession, b: Booking) -> str:
    """The booker's language when they have an account, else the default."""
    if b.user_id is None:
        return DEFAULT_LOCALE
    locale = await session.scalar(select(User.locale).where(User.id == b.user_id))
    return locale or DEFAULT_LOCALE


async def _send(
    ctx: AppContext,
    session: AsyncSession,
    b: Booking,
    template: str,
    *,
    cancelled: bool = False,
    sequence: int | None = None,
    extra: dict[str, Any] | None = None,
    attachments: list[Attachment] | None = None,
) -> None:
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    if attachments is None:
        seq = await revision(session, b) if sequence is None else sequence
        document = ics(b, prop, cancelled=cancelled, sequence=seq)
        attachments = [Attachment(f"{b.reference}.ics", "text/calendar", document)]
    context = {
        "booking": b,
        "property": prop,
        "total": Money(b.total_minor, b.currency),
        "name": b.contact_name,
        "sender": prop.name,
        **(extra or {}),
    }
    await send_templated_email(
        ctx,
        session,
        to=b.contact_email,
        template=template,
        locale=await guest_locale(session, b),
        context=context,
        fields={"guest": b.contact_name or "", "reference": b.reference, "property": prop.name},
        property_id=prop.id,
        attachments=attachments,
    )


async def confirmation(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    await _send(ctx, session, b, "booking_confirmed")


async def cancellation(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    # a cancellation is one more revision of the calendar entry
    sequence = await revision(session, b) + 1
    refund = Money(b.refund_due_minor, b.currency)
    await _send(
        ctx, session, b, "booking_cancelled", cancelled=True, sequence=sequence, extra={"refund": refund}
    )


async def access_link(ctx: AppContext, session: AsyncSession, b: Booking, url: str, minutes: int) -> None:
    """The link that lets a guest without an account manage ``b`` from another browser (no .ics)."""
    await _send(ctx, session, b, "booking_access", extra={"url": url, "minutes": minutes}, attachments=[])


async def reminder(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    await _send(ctx, session, b, "booking_reminder")


async def updated(ctx: AppContext, session: AsyncSession, b: Booking, sequence: int) -> None:
    """The confirmation of a changed booking, with the .ics of revision ``sequence`` (same UID)."""
    await _send(ctx, session, b, "booking_modified", sequence=sequence)


async def invoice(ctx: AppContext, session: AsyncSession, b: Booking, inv: Invoice, document: bytes) -> None:
    """The invoice e-mail, its PDF attached."""
    number = str(inv.snapshot.get("number"))
    total = Money.from_decimal(inv.snapshot["total"]["amount"], inv.currency)
    await _send(
        ctx,
        session,
        b,
        "invoice",
        extra={"number": number, "invoice_total": total},
        attachments=[Attachment(f"{number}.pdf", "application/pdf", document)],
    )


def retry_url(ctx: AppContext, b: Booking) -> str:
    """Where the guest pays again: the web site's payment page of the booking."""
    return f"{ctx.settings.public_url}/bookings/{b.id}/pay?reference={b.reference}"


async def payment_failed(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    assert b.expires_at is not None
    await _send(
        ctx,
        session,
        b,
        "payment_failed",
        extra={"expires_at": b.expires_at, "retry_url": retry_url(ctx, b)},
        attachments=[],
    )


# -- started by other transactions ------------------------------------------------------------------------


@events.on(BookingChanged)
async def booking_changed(session: AsyncSession, event: BookingChanged) -> None:
    """A confirmed booking moved: queue its updated confirmation (the SEQUENCE is fixed now, so two
    quick changes send two revisions in order)."""
    b = event.booking
    if event.action not in CHANGES or b.status not in (Status.confirmed, Status.checked_in):
        return
    enqueue(session, UPDATE_JOB, {"booking_id": str(b.id), "sequence": await revision(session, b)})


@hooks.on("booking")
async def booking_payment_failed(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
    if outcome.kind == "failed":
        enqueue(session, PAYMENT_FAILED_JOB, {"booking_id": outcome.payment.purpose_id})


@registry.handler(UPDATE_JOB)
async def send_update(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    async with app.db.unit_of_work() as session:
        b = await session.get(Booking, uuid.UUID(payload["booking_id"]))
        if b is not None and b.status in (Status.confirmed, Status.checked_in):
            await updated(app, session, b, int(payload["sequence"]))


@registry.handler(PAYMENT_FAILED_JOB)
async def send_payment_failed(job: JobContext, payload: dict[str, Any]) -> None:
    """Only while the booking still holds its rooms: once paid, confirmed, cancelled or lapsed, a retry
    link would mislead."""
    app: AppContext = job.services["app"]
    try:
        booking_id = uuid.UUID(payload["booking_id"])
    except ValueError:
        return
    async with app.db.unit_of_work() as session:
        b = await session.get(Booking, booking_id)
        if b is None or Status(b.status) not in HOLD_STATES:
            return
        if b.expires_at is None or b.expires_at <= utcnow():
            return
        await payment_failed(app, session, b)
