"""The gRPC ``innkeeper.meetings.v1.Meetings`` service (``grpc.aio``), over the meeting use cases.

Authentication is the HTTP API's: an access token in the ``authorization`` metadata (``Bearer …``),
checked with its session (a logged-out token is refused). Every call runs in one unit of work, as a
request does. Domain errors map onto the gRPC codes that mean the same: 401 → UNAUTHENTICATED,
403 → PERMISSION_DENIED, 404 → NOT_FOUND (another tenant's meeting too), 409 → FAILED_PRECONDITION,
400/422 → INVALID_ARGUMENT, 503 → UNAVAILABLE.

``WatchParticipants`` streams the participants present, then each join and leave until the meeting
ends or the client goes away. It polls the database (every ``watch_interval`` seconds) rather than
listening in memory, so a watcher sees joins made through any server process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import grpc
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.bookings import access
from innkeeper.context import AppContext
from innkeeper.identity import service as identity
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.integrations.meetings import meetings_pb2 as pb
from innkeeper.integrations.meetings import meetings_pb2_grpc as pb_grpc
from innkeeper.integrations.meetings import service
from innkeeper.integrations.models import Meeting, MeetingParticipant, MeetingRecording, MeetingStatus
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import AppError

log = structlog.get_logger(__name__)
T = TypeVar("T")

_CODES = {
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.FAILED_PRECONDITION,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


class _Invalid(AppError):
    status = 422
    code = "request.validation"


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _Invalid(f"{field} is not a UUID") from None


def _instant(value: str, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{field} is not an ISO 8601 instant") from None
    if parsed.tzinfo is None:
        raise _Invalid(f"{field} needs an offset")
    return parsed


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def participant_pb(p: MeetingParticipant) -> pb.Participant:
    return pb.Participant(
        id=str(p.id),
        meeting_id=str(p.meeting_id),
        user_id=str(p.user_id or ""),
        display_name=p.display_name,
        role=p.role,
        joined_at=_iso(p.joined_at),
        left_at=_iso(p.left_at),
    )


def recording_pb(r: MeetingRecording) -> pb.Recording:
    return pb.Recording(
        id=str(r.id),
        meeting_id=str(r.meeting_id),
        url=r.url,
        started_at=_iso(r.started_at),
        duration_seconds=r.duration_seconds,
        size_bytes=r.size_bytes,
        format=r.format or "",
        created_at=_iso(r.created_at),
    )


class MeetingsServicer(pb_grpc.MeetingsServicer):
    def __init__(self, ctx: AppContext, *, watch_interval: float = 0.5) -> None:
        self.ctx = ctx
        self.watch_interval = watch_interval

    # -- plumbing -------------------------------------------------------------------------------------
    async def _user(self, session: AsyncSession, context: grpc.aio.ServicerContext) -> User:
        metadata = dict(context.invocation_metadata() or ())
        header = str(metadata.get("authorization", ""))
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AppError("Send 'authorization: Bearer <access token>'", status=401)
        return (await identity.authenticate(self.ctx, session, token.strip())).user

    async def _call(
        self,
        context: grpc.aio.ServicerContext,
        work: Callable[[AsyncSession, User, Actor], Awaitable[T]],
        *,
        write: bool = True,
    ) -> T:
        try:
            async with self.ctx.db.unit_of_work(write=write) as session:
                user = await self._user(session, context)
                actor = Actor(user_id=user.id, ip=context.peer(), request_id=None)
                return await work(session, user, actor)
        except AppError as exc:
            code = _CODES.get(exc.status, grpc.StatusCode.INVALID_ARGUMENT)
            await context.abort(code, f"{exc.code}: {exc.detail}")
            raise  # abort raises; this keeps the type checker aware

    async def _meeting_pb(self, session: AsyncSession, m: Meeting) -> pb.Meeting:
        people = await service.participants(session, m.id)
        recs = await service.recordings(session, m.id)
        return pb.Meeting(
            id=str(m.id),
            booking_id=str(m.booking_id),
            property_id=str(m.property_id),
            title=m.title,
            status=m.status,
            starts_at=_iso(m.starts_at),
            ends_at=_iso(m.ends_at),
            started_at=_iso(m.started_at),
            ended_at=_iso(m.ended_at),
            duration_seconds=m.duration_seconds or 0,
            join_url=service.join_url(self.ctx.settings, m),
            participants=[participant_pb(p) for p in people],
            recordings=[recording_pb(r) for r in recs],
        )

    # -- the service ------------------------------------------------------------------------------------
    async def CreateMeeting(self, request: Any, context: grpc.aio.ServicerContext) -> pb.Meeting:
        async def work(session: AsyncSession, user: User, actor: Actor) -> pb.Meeting:
            booking_id = _uuid(request.booking_id, "booking_id")
            booking = await access.load(
                session, booking_id, access.Caller(user), action=Action.booking_change
            )
            meeting, _created = await service.create_for(session, booking, actor, title=request.title or None)
            return await self._meeting_pb(session, meeting)

        return await self._call(context, work)

    async def GetMeeting(self, request: Any, context: grpc.aio.ServicerContext) -> pb.Meeting:
        async def work(session: AsyncSession, user: User, _actor: Actor) -> pb.Meeting:
            meeting = await service.load(session, _uuid(request.meeting_id, "meeting_id"), user)
            return await self._meeting_pb(session, meeting)

        return await self._call(context, work, write=False)

    async def JoinMeeting(self, request: Any, context: grpc.aio.ServicerContext) -> pb.JoinMeetingResponse:
        async def work(session: AsyncSession, user: User, actor: Actor) -> pb.JoinMeetingResponse:
            meeting = await service.load(session, _uuid(request.meeting_id, "meeting_id"), user)
            participant, token = await service.join(session, meeting, user, request.display_name, actor)
            return pb.JoinMeetingResponse(
                participant=participant_pb(participant),
                join_token=token,
                join_url=service.join_url(self.ctx.settings, meeting),
            )

        return await self._call(context, work)

    async def LeaveMeeting(self, request: Any, context: grpc.aio.ServicerContext) -> pb.Participant:
        async def work(session: AsyncSession, user: User, actor: Actor) -> pb.Participant:
            meeting = await service.load(session, _uuid(request.meeting_id, "meeting_id"), user)
            pid = _uuid(request.participant_id, "participant_id")
            return participant_pb(await service.leave(session, meeting, pid, user, actor))

        return await self._call(context, work)

    async def EndMeeting(self, request: Any, context: grpc.aio.ServicerContext) -> pb.Meeting:
        async def work(session: AsyncSession, user: User, actor: Actor) -> pb.Meeting:
            meeting = await service.load(
                session, _uuid(request.meeting_id, "meeting_id"), user, action=Action.booking_check_in
            )
            await service.end(session, meeting, actor)
            return await self._meeting_pb(session, meeting)

        return await self._call(context, work)

    async def AddRecording(self, request: Any, context: grpc.aio.ServicerContext) -> pb.Recording:
        async def work(session: AsyncSession, user: User, actor: Actor) -> pb.Recording:
            meeting = await service.load(
                session, _uuid(request.meeting_id, "meeting_id"), user, action=Action.booking_check_in
            )
            if not request.url.startswith(("https://", "http://")) or len(request.url) > 2000:
                raise _Invalid("url must be an http(s) URL of at most 2000 characters")
            if request.duration_seconds < 0 or request.size_bytes < 0:
                raise _Invalid("duration_seconds and size_bytes cannot be negative")
            recording = await service.add_recording(
                session,
                meeting,
                url=request.url,
                started_at=_instant(request.started_at, "started_at"),
                duration_seconds=request.duration_seconds,
                size_bytes=request.size_bytes,
                format=request.format[:20] or None,
                actor=actor,
            )
            return recording_pb(recording)

        return await self._call(context, work)

    async def WatchParticipants(
        self, request: Any, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ParticipantEvent]:
        async def first(session: AsyncSession, user: User, _actor: Actor) -> uuid.UUID:
            meeting = await service.load(session, _uuid(request.meeting_id, "meeting_id"), user)
            return meeting.id

        meeting_id = await self._call(context, first, write=False)
        seen: dict[uuid.UUID, bool] = {}  # participant -> has left
        first_round = True
        while True:
            async with self.ctx.db.unit_of_work(write=False) as session:
                meeting = await session.get(Meeting, meeting_id)
                people = await service.participants(session, meeting_id)
            for event in changes(people, seen, first_round=first_round):
                yield event
            if meeting is None or meeting.status == MeetingStatus.ended.value:
                yield pb.ParticipantEvent(kind="ended", at=_iso(meeting.ended_at if meeting else utcnow()))
                return
            first_round = False
            await asyncio.sleep(self.watch_interval)


def changes(
    people: list[MeetingParticipant], seen: dict[uuid.UUID, bool], *, first_round: bool
) -> list[pb.ParticipantEvent]:
    """What happened since the last look (``seen``: participant -> had left, updated here). On the
    first look, who is in now is ``present`` and who already left is not news."""
    out = []
    for p in people:
        left = p.left_at is not None
        before = seen.get(p.id)
        if before is None and first_round:
            if not left:
                out.append(
                    pb.ParticipantEvent(kind="present", participant=participant_pb(p), at=_iso(p.joined_at))
                )
        elif before is None:
            out.append(
                pb.ParticipantEvent(kind="joined", participant=participant_pb(p), at=_iso(p.joined_at))
            )
        if left and not before and not (before is None and first_round):
            out.append(pb.ParticipantEvent(kind="left", participant=participant_pb(p), at=_iso(p.left_at)))
        seen[p.id] = left
    return out


async def start(
    ctx: AppContext, host: str, port: int, *, watch_interval: float = 0.5
) -> tuple[grpc.aio.Server, int]:
    """A started server and the port it listens on (``port`` 0: a free one)."""
    server = grpc.aio.server()
    pb_grpc.add_MeetingsServicer_to_server(MeetingsServicer(ctx, watch_interval=watch_interval), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    await server.start()
    log.info("meetings.grpc.started", host=host, port=bound)
    return server, bound


async def serve_forever(ctx: AppContext, stop: asyncio.Event) -> None:
    """Serve on ``INNKEEPER_GRPC_HOST``:``INNKEEPER_GRPC_PORT`` until ``stop`` is set."""
    server, _port = await start(ctx, ctx.settings.grpc_host, ctx.settings.grpc_port)
    try:
        await stop.wait()
    finally:
        await server.stop(grace=5)
