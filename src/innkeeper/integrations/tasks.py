"""Jobs of the integrations: webhook delivery, calendar import syncs (and their periodic poll), creating
the meeting of a confirmed online booking."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from innkeeper.audit.service import Actor
from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.integrations import deliveries, imports
from innkeeper.integrations.errors import MeetingNotPossible
from innkeeper.integrations.meetings import service as meetings
from innkeeper.integrations.models import CalendarImport
from innkeeper.kit import jobs
from innkeeper.kit.jobs import JobContext, registry

#: how often every active calendar import is synced
POLL_EVERY = timedelta(minutes=15)


@registry.handler(deliveries.DELIVER_JOB)
async def deliver_webhook(job: JobContext, payload: dict[str, Any]) -> None:
    ctx: AppContext = job.services["app"]
    await deliveries.attempt(
        job.db,
        ctx.settings,
        ctx.crypto,
        uuid.UUID(payload["delivery_id"]),
        manual=bool(payload.get("manual")),
        due=payload.get("due"),
    )


@registry.handler(imports.SYNC_JOB)
async def sync_calendar_import(job: JobContext, payload: dict[str, Any]) -> None:
    ctx: AppContext = job.services["app"]
    await imports.sync(job.db, ctx.settings, uuid.UUID(payload["import_id"]))


@registry.periodic("integrations.calendar_imports_poll", every=POLL_EVERY)
async def poll_calendar_imports(job: JobContext, _payload: dict[str, Any]) -> None:
    """One sync job per active import, so a slow or broken feed delays no other."""
    async with job.db.unit_of_work() as session:
        ids = (
            await session.scalars(select(CalendarImport.id).where(CalendarImport.is_active.is_(True)))
        ).all()
        for import_id in ids:
            jobs.enqueue(session, imports.SYNC_JOB, {"import_id": str(import_id)})


@registry.handler(meetings.CREATE_JOB)
async def create_meeting(job: JobContext, payload: dict[str, Any]) -> None:
    async with job.db.unit_of_work() as session:
        booking = await session.get(Booking, uuid.UUID(payload["booking_id"]))
        if booking is None:
            return
        try:
            await meetings.create_for(session, booking, Actor.system("meetings"))
        except MeetingNotPossible:
            return  # cancelled meanwhile: no meeting
