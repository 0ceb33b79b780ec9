"""Periodic booking jobs: expire unpaid holds, mark no-shows, complete ended slots, send reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from innkeeper.bookings import notify
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.service.expiry import complete_ended, mark_no_shows, sweep_expired
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.jobs import JobContext, registry


@registry.periodic("bookings.expire_holds", every=timedelta(minutes=1))
async def expire_holds(job: JobContext, _payload: dict[str, Any]) -> None:
    while True:
        async with job.db.unit_of_work() as session:
            if await sweep_expired(session) == 0:
                return


@registry.periodic("bookings.no_shows", every=timedelta(hours=1))
async def no_shows(job: JobContext, _payload: dict[str, Any]) -> None:
    async with job.db.unit_of_work() as session:
        await mark_no_shows(session)


@registry.periodic("bookings.complete_slots", every=timedelta(minutes=5))
async def complete_slots(job: JobContext, _payload: dict[str, Any]) -> None:
    async with job.db.unit_of_work() as session:
        await complete_ended(session)


@registry.periodic("bookings.reminders", every=timedelta(hours=1))
async def reminders(job: JobContext, _payload: dict[str, Any]) -> None:
    """Once per booking: the day before arrival (property-local), a reminder with the .ics."""
    ctx: AppContext = job.services["app"]
    horizon = (utcnow() + timedelta(days=2)).date()
    async with job.db.unit_of_work() as session:
        rows = (
            await session.execute(
                select(Booking, Property.timezone)
                .join(Property, Property.id == Booking.property_id)
                .where(
                    Booking.status == Status.confirmed.value,
                    Booking.reminder_sent_at.is_(None),
                    Booking.checkin >= utcnow().date(),
                    Booking.checkin <= horizon,
                )
                .order_by(Booking.id)
                .limit(500)
                .with_for_update(of=Booking, skip_locked=True)
            )
        ).all()
        for booking, tz in rows:
            if booking.checkin - local_today(tz) == timedelta(days=1):
                await notify.reminder(ctx, session, booking)
                booking.reminder_sent_at = utcnow()
