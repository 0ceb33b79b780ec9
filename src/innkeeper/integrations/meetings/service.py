"""Meeting sessions of bookings: the use cases behind the gRPC service and ``/bookings/{id}/meeting``.

A meeting belongs to one booking and is scoped through it (``bookings.access``): the booker and the
staff of the booking's property see it, anyone else gets 404. It is created

* for every online slot (a professional's online session, a hall booked with ``mode: online`` — a
  hybrid event) when the booking is confirmed: the ``BookingChanged`` reaction enqueues
  ``integrations.meeting_create`` and the job creates it after the commit;
* on request (``POST /bookings/{id}/meeting``, ``CreateMeeting``): marks a confirmed hall booking hybrid.

Each participant joins with credentials of their own (a random join token, stored as its SHA-256 and
returned once). Ending records the duration (first join to end) and lets everyone still in leave.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings import access
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Resource
from innkeeper.config import Settings
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action, role_at
from innkeeper.integrations.errors import (
    MeetingEnded,
    MeetingNotFound,
    MeetingNotPossible,
    ParticipantNotFound,
)
from innkeeper.integrations.models import (
    Meeting,
    MeetingParticipant,
    MeetingRecording,
    MeetingStatus,
)
from innkeeper.kit import jobs
from innkeeper.kit.clock import utcnow
from innkeeper.kit.security import hash_token, random_token

CREATE_JOB = "integrations.meeting_create"
#: a booking in one of these states may have a meeting created
OPEN_STATES = frozenset({Status.confirmed.value, Status.checked_in.value})


def wants_meeting(b: Booking) -> bool:
    """Online slots (professional sessions, hybrid hall events) get a meeting once confirmed."""
    return b.kind == "slot" and b.mode == "online"


def schedule_creation(session: AsyncSession, b: Booking) -> None:
    jobs.enqueue(session, CREATE_JOB, {"booking_id": str(b.id)})


def join_url(settings: Settings, meeting: Meeting) -> str:
    base = settings.meeting_join_base_url or f"{settings.public_url.rstrip('/')}/meet"
    return f"{base.rstrip('/')}/{meeting.id}"


async def _title(session: AsyncSession, b: Booking) -> str:
    name = await session.scalar(select(Resource.name).where(Resource.id == b.resource_id))
    return f"{name or 'Meeting'} · {b.reference}"


async def meeting_of_booking(session: AsyncSession, booking_id: uuid.UUID) -> Meeting | None:
    return await session.scalar(select(Meeting).where(Meeting.booking_id == booking_id))


async def create_for(
    session: AsyncSession, b: Booking, actor: Actor, *, title: str | None = None
) -> tuple[Meeting, bool]:
    """The booking's meeting, created unless it exists (then ``created`` is false)."""
    existing = await meeting_of_booking(session, b.id)
    if existing is not None:
        return existing, False
    if b.kind != "slot" or b.status not in OPEN_STATES:
        raise MeetingNotPossible("Only a confirmed hourly booking can have a meeting")
    meeting = Meeting(
        booking_id=b.id,
        property_id=b.property_id,
        title=(title or await _title(session, b))[:200],
        starts_at=b.start_at,
        ends_at=b.end_at,
    )
    try:
        async with session.begin_nested():  # a concurrent creation of the same booking's meeting wins
            session.add(meeting)
    except IntegrityError:
        found = await meeting_of_booking(session, b.id)
        assert found is not None
        return found, False
    record(
        session,
        actor,
        "meeting.created",
        "meeting",
        meeting.id,
        property_id=b.property_id,
        after={"booking_id": str(b.id), "title": meeting.title},
    )
    return meeting, True


async def load(
    session: AsyncSession, meeting_id: uuid.UUID, user: User, *, action: Action = Action.booking_view
) -> Meeting:
    """The meeting if ``user`` may do ``action`` with its booking; 404 otherwise (403 for staff whose
    role may not)."""
    meeting = await session.scalar(select(Meeting).where(Meeting.id == meeting_id))
    if meeting is None:
        raise MeetingNotFound("No such meeting")
    await access.load(session, meeting.booking_id, access.Caller(user), action=action)
    return meeting


async def _is_staff(session: AsyncSession, user: User, property_id: uuid.UUID) -> bool:
    return user.is_platform_admin or await role_at(session, user.id, property_id) is not None


async def join(
    session: AsyncSession, meeting: Meeting, user: User, display_name: str, actor: Actor
) -> tuple[MeetingParticipant, str]:
    """A new participant and their join token (returned only here)."""
    if meeting.status == MeetingStatus.ended.value:
        raise MeetingEnded()
    token = random_token()
    now = utcnow()
    participant = MeetingParticipant(
        meeting_id=meeting.id,
        user_id=user.id,
        display_name=(display_name.strip() or user.full_name or "Guest")[:200],
        role="host" if await _is_staff(session, user, meeting.property_id) else "guest",
        token_hash=hash_token(token),
        joined_at=now,
    )
    session.add(participant)
    if meeting.status == MeetingStatus.scheduled.value:
        meeting.status, meeting.started_at = MeetingStatus.live.value, now
    await session.flush()
    record(
        session,
        actor,
        "meeting.joined",
        "meeting",
        meeting.id,
        property_id=meeting.property_id,
        after={"participant_id": str(participant.id), "role": participant.role},
    )
    return participant, token


async def leave(
    session: AsyncSession, meeting: Meeting, participant_id: uuid.UUID, user: User, actor: Actor
) -> MeetingParticipant:
    """A participant leaves (their own, or anyone's when the caller is staff); leaving twice is harmless."""
    participant = await session.scalar(
        select(MeetingParticipant).where(
            MeetingParticipant.id == participant_id, MeetingParticipant.meeting_id == meeting.id
        )
    )
    if participant is None or (
        participant.user_id != user.id and not await _is_staff(session, user, meeting.property_id)
    ):
        raise ParticipantNotFound()
    if participant.left_at is None:
        participant.left_at = utcnow()
        record(
            session,
            actor,
            "meeting.left",
            "meeting",
            meeting.id,
            property_id=meeting.property_id,
            after={"participant_id": str(participant.id)},
        )
    return participant


async def end(session: AsyncSession, meeting: Meeting, actor: Actor) -> Meeting:
    """End it (once): the duration runs from the first join (or now, if nobody came) to now."""
    if meeting.status == MeetingStatus.ended.value:
        return meeting
    now = utcnow()
    meeting.status, meeting.ended_at = MeetingStatus.ended.value, now
    meeting.duration_seconds = int((now - (meeting.started_at or now)).total_seconds())
    await session.execute(
        update(MeetingParticipant)
        .where(MeetingParticipant.meeting_id == meeting.id, MeetingParticipant.left_at.is_(None))
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    record(
        session,
        actor,
        "meeting.ended",
        "meeting",
        meeting.id,
        property_id=meeting.property_id,
        after={"duration_seconds": meeting.duration_seconds},
    )
    return meeting


async def add_recording(
    session: AsyncSession,
    meeting: Meeting,
    *,
    url: str,
    started_at: datetime | None,
    duration_seconds: int,
    size_bytes: int,
    format: str | None,
    actor: Actor,
) -> MeetingRecording:
    recording = MeetingRecording(
        meeting_id=meeting.id,
        url=url,
        started_at=started_at,
        duration_seconds=duration_seconds,
        size_bytes=size_bytes,
        format=format,
        created_by=actor.user_id,
    )
    session.add(recording)
    await session.flush()
    record(
        session,
        actor,
        "meeting.recording_added",
        "meeting",
        meeting.id,
        property_id=meeting.property_id,
        after={"recording_id": str(recording.id), "url": url},
    )
    return recording


async def participants(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingParticipant]:
    rows = await session.scalars(
        select(MeetingParticipant)
        .where(MeetingParticipant.meeting_id == meeting_id)
        .order_by(MeetingParticipant.joined_at, MeetingParticipant.id)
    )
    return list(rows.all())


async def recordings(session: AsyncSession, meeting_id: uuid.UUID) -> list[MeetingRecording]:
    rows = await session.scalars(
        select(MeetingRecording)
        .where(MeetingRecording.meeting_id == meeting_id)
        .order_by(MeetingRecording.created_at, MeetingRecording.id)
    )
    return list(rows.all())


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def participant_to_api(p: MeetingParticipant) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "display_name": p.display_name,
        "role": p.role,
        "joined_at": p.joined_at.isoformat(),
        "left_at": _iso(p.left_at),
    }


def meeting_to_api(
    settings: Settings, m: Meeting, people: Sequence[MeetingParticipant] = ()
) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "booking_id": str(m.booking_id),
        "title": m.title,
        "status": m.status,
        "starts_at": _iso(m.starts_at),
        "ends_at": _iso(m.ends_at),
        "started_at": _iso(m.started_at),
        "ended_at": _iso(m.ended_at),
        "duration_seconds": m.duration_seconds,
        "join_url": join_url(settings, m),
        "grpc": {"service": "innkeeper.meetings.v1.Meetings", "port": settings.grpc_port},
        "participants": [participant_to_api(p) for p in people],
    }
