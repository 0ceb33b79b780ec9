"""Guest e-mails about a booking, through the outbox (so only after commit), each with an .ics."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.models import Booking
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.kit.money import Money
from innkeeper.notifications.service import Attachment, send_email


def ics(b: Booking, prop: Property, *, cancelled: bool = False) -> bytes:
    """A calendar entry from the local check-in to the local check-out time (CANCEL when cancelled)."""
    tz = ZoneInfo(prop.timezone)
    cal = Calendar()
    cal.add("prodid", "-//Innkeeper//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{b.id}@innkeeper")
    event.add("summary", f"Stay at {prop.name} ({b.reference})")
    event.add("dtstart", datetime.combine(b.checkin, prop.check_in_time, tzinfo=tz))
    event.add("dtend", datetime.combine(b.checkout, prop.check_out_time, tzinfo=tz))
    event.add("dtstamp", b.created_at)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if prop.address:
        event.add("location", f"{prop.name}, {prop.address}, {prop.city}")
    event.add("description", f"Booking {b.reference}: {b.rooms} room(s), {b.guests} guest(s)")
    cal.add_component(event)
    return bytes(cal.to_ical())


def _summary(b: Booking, prop: Property) -> str:
    return (
        f"{prop.name}, {prop.city}\nReference: {b.reference}\n"
        f"Arrival: {b.checkin.isoformat()} from {prop.check_in_time.strftime('%H:%M')}\n"
        f"Departure: {b.checkout.isoformat()} until {prop.check_out_time.strftime('%H:%M')}\n"
        f"Rooms: {b.rooms}, guests: {b.guests}\nTotal: {Money(b.total_minor, b.currency)}\n"
    )


async def _send(
    ctx: AppContext,
    session: AsyncSession,
    b: Booking,
    subject: str,
    opening: str,
    *,
    cancelled: bool = False,
    extra: str = "",
) -> None:
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    body = f"Dear {b.contact_name or 'guest'},\n\n{opening}\n\n{_summary(b, prop)}{extra}"
    send_email(
        ctx,
        session,
        to=b.contact_email,
        subject=subject,
        body=body,
        attachments=[Attachment(f"{b.reference}.ics", "text/calendar", ics(b, prop, cancelled=cancelled))],
    )


async def confirmation(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    await _send(ctx, session, b, f"Booking confirmed: {b.reference}", "your booking is confirmed.")


async def cancellation(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    await _send(
        ctx,
        session,
        b,
        f"Booking cancelled: {b.reference}",
        "your booking has been cancelled.",
        cancelled=True,
        extra=f"Refund due: {Money(b.refund_due_minor, b.currency)}\n",
    )


async def reminder(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    await _send(ctx, session, b, f"See you soon: {b.reference}", "we look forward to welcoming you.")
