"""The meeting service over gRPC, against a real ``grpc.aio`` server on a free port: a confirmed online
slot gets its meeting (reaction + job), the booker sees it at ``GET /bookings/{id}/meeting``,
participants join with their own credentials, are streamed to watchers, leave; ending records the
duration; recordings are attached; no token, another tenant, bad ids are refused with their codes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import grpc
import httpx
import pytest

from innkeeper.context import AppContext
from innkeeper.integrations.meetings import meetings_pb2 as pb
from innkeeper.integrations.meetings import meetings_pb2_grpc as pb_grpc
from innkeeper.integrations.meetings import server as meeting_server
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.billing.support import pay, simulate
from tests.catalog_support import NOW, day, freeze
from tests.helpers import API, assert_problem, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows, venue
from tests.integrations.support import book, hotel


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
async def stub(ctx: AppContext) -> AsyncIterator[pb_grpc.MeetingsStub]:
    server, port = await meeting_server.start(ctx, "127.0.0.1", 0, watch_interval=0.05)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield pb_grpc.MeetingsStub(channel)
    finally:
        await channel.close()
        await server.stop(grace=None)


def auth(headers: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return (("authorization", headers["Authorization"]),)


async def online_slot(
    client: httpx.AsyncClient, runner: JobRunner, kind: str = "professional"
) -> dict[str, Any]:
    owner, prop = await venue(client, kind="practice" if kind == "professional" else "venue")
    resource = await add_resource(client, owner, prop["id"], kind=kind, name="Dr Ada", online=True)
    r = await set_windows(client, owner, prop["id"], resource["id"], every_day("08:00", "20:00"))
    assert r.status_code == 200, r.text
    booker = bearer(await signup(client))
    start, end = f"{day(3)}T10:00:00+00:00", f"{day(3)}T11:00:00+00:00"
    created = await client.post(
        f"{API}/bookings",
        headers={**booker, "Idempotency-Key": uuid.uuid4().hex},
        json={"resource_id": resource["id"], "start": start, "end": end, "mode": "online"},
    )
    assert created.status_code == 201, created.text
    booking = created.json()
    await simulate(client, runner, (await pay(client, booking["id"], booker))["id"])
    return {"owner": owner, "prop": prop, "booker": booker, "booking": booking, "resource": resource}


async def test_a_confirmed_online_slot_has_a_meeting_the_booker_sees(
    client: httpx.AsyncClient, runner: JobRunner
) -> None:
    w = await online_slot(client, runner)
    seen = await client.get(f"{API}/bookings/{w['booking']['id']}/meeting", headers=w["booker"])
    assert seen.status_code == 200, seen.text
    meeting = seen.json()
    assert meeting["status"] == "scheduled" and meeting["join_url"].endswith(meeting["id"])
    assert meeting["starts_at"].startswith(str(day(3)))
    staff = await client.get(f"{API}/bookings/{w['booking']['id']}/meeting", headers=w["owner"])
    assert staff.status_code == 200
    stranger = bearer(await signup(client))
    assert_problem(
        await client.get(f"{API}/bookings/{w['booking']['id']}/meeting", headers=stranger),
        404,
        "booking.not_found",
    )
    # a stay has no meeting, and cannot be given one
    h = await hotel(client)
    stay = (await book(client, h, w["booker"])).json()
    assert_problem(
        await client.get(f"{API}/bookings/{stay['id']}/meeting", headers=w["booker"]),
        404,
        "meeting.not_found",
    )


async def test_participants_join_are_watched_leave_and_the_end_records_the_duration(
    client: httpx.AsyncClient, runner: JobRunner, stub: pb_grpc.MeetingsStub
) -> None:
    w = await online_slot(client, runner)
    mid = (await client.get(f"{API}/bookings/{w['booking']['id']}/meeting", headers=w["booker"])).json()["id"]
    host = await stub.JoinMeeting(
        pb.JoinMeetingRequest(meeting_id=mid, display_name="Dr Ada"), metadata=auth(w["owner"])
    )
    assert host.participant.role == "host" and len(host.join_token) > 20

    watch = stub.WatchParticipants(pb.WatchParticipantsRequest(meeting_id=mid), metadata=auth(w["owner"]))
    first = await asyncio.wait_for(watch.read(), 10)
    assert (first.kind, first.participant.display_name) == ("present", "Dr Ada")

    guest = await stub.JoinMeeting(
        pb.JoinMeetingRequest(meeting_id=mid, display_name="Ann"), metadata=auth(w["booker"])
    )
    assert guest.participant.role == "guest" and guest.join_token != host.join_token
    joined = await asyncio.wait_for(watch.read(), 10)
    assert (joined.kind, joined.participant.id) == ("joined", guest.participant.id)

    left = await stub.LeaveMeeting(
        pb.LeaveMeetingRequest(meeting_id=mid, participant_id=guest.participant.id),
        metadata=auth(w["booker"]),
    )
    assert left.left_at
    event = await asyncio.wait_for(watch.read(), 10)
    assert (event.kind, event.participant.id) == ("left", guest.participant.id)

    clock.freeze(NOW + timedelta(minutes=10))
    with pytest.raises(grpc.aio.AioRpcError) as refused:  # ending is for staff
        await stub.EndMeeting(pb.EndMeetingRequest(meeting_id=mid), metadata=auth(w["booker"]))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    ended = await stub.EndMeeting(pb.EndMeetingRequest(meeting_id=mid), metadata=auth(w["owner"]))
    assert (ended.status, ended.duration_seconds) == ("ended", 600)
    assert all(p.left_at for p in ended.participants)
    tail = [await asyncio.wait_for(watch.read(), 10) for _ in range(2)]
    assert [(e.kind, e.participant.id) for e in tail] == [("left", host.participant.id), ("ended", "")]
    assert await asyncio.wait_for(watch.read(), 10) == grpc.aio.EOF

    rec = await stub.AddRecording(
        pb.AddRecordingRequest(
            meeting_id=mid,
            url="https://media.example.test/r/1.mp4",
            duration_seconds=590,
            size_bytes=1234,
            format="mp4",
        ),
        metadata=auth(w["owner"]),
    )
    assert rec.meeting_id == mid
    got = await stub.GetMeeting(pb.GetMeetingRequest(meeting_id=mid), metadata=auth(w["booker"]))
    assert [r.url for r in got.recordings] == ["https://media.example.test/r/1.mp4"]
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await stub.JoinMeeting(pb.JoinMeetingRequest(meeting_id=mid), metadata=auth(w["booker"]))
    assert late.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_calls_without_a_token_or_for_another_tenant_are_refused(
    client: httpx.AsyncClient, runner: JobRunner, stub: pb_grpc.MeetingsStub
) -> None:
    w = await online_slot(client, runner)
    mid = (await client.get(f"{API}/bookings/{w['booking']['id']}/meeting", headers=w["booker"])).json()["id"]
    stranger = bearer(await signup(client))
    cases = [
        (pb.GetMeetingRequest(meeting_id=mid), (), grpc.StatusCode.UNAUTHENTICATED),
        (
            pb.GetMeetingRequest(meeting_id=mid),
            (("authorization", "Bearer nope"),),
            grpc.StatusCode.UNAUTHENTICATED,
        ),
        (pb.GetMeetingRequest(meeting_id=mid), auth(stranger), grpc.StatusCode.NOT_FOUND),
        (pb.GetMeetingRequest(meeting_id="not-a-uuid"), auth(w["owner"]), grpc.StatusCode.INVALID_ARGUMENT),
        (pb.GetMeetingRequest(meeting_id=str(uuid.uuid4())), auth(w["owner"]), grpc.StatusCode.NOT_FOUND),
    ]
    for request, metadata, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.GetMeeting(request, metadata=metadata)
        assert refused.value.code() == code, (metadata, refused.value.details())
    with pytest.raises(grpc.aio.AioRpcError) as join:
        await stub.JoinMeeting(pb.JoinMeetingRequest(meeting_id=mid), metadata=auth(stranger))
    assert join.value.code() == grpc.StatusCode.NOT_FOUND
    watch = stub.WatchParticipants(pb.WatchParticipantsRequest(meeting_id=mid), metadata=auth(stranger))
    with pytest.raises(grpc.aio.AioRpcError) as watched:
        await watch.read()
    assert watched.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_hall_booking_is_made_hybrid_once(
    client: httpx.AsyncClient, runner: JobRunner, stub: pb_grpc.MeetingsStub
) -> None:
    owner, prop = await venue(client)
    hall = await add_resource(client, owner, prop["id"])
    await set_windows(client, owner, prop["id"], hall["id"], every_day("08:00", "20:00"))
    booker = bearer(await signup(client))
    created = await client.post(
        f"{API}/bookings",
        headers={**booker, "Idempotency-Key": uuid.uuid4().hex},
        json={
            "resource_id": hall["id"],
            "start": f"{day(4)}T09:00:00+00:00",
            "end": f"{day(4)}T12:00:00+00:00",
        },
    )
    assert created.status_code == 201, created.text
    bid = created.json()["id"]
    assert_problem(
        await client.post(f"{API}/bookings/{bid}/meeting", headers=owner, json={}),
        409,
        "meeting.not_possible",
    )
    await simulate(client, runner, (await pay(client, bid, booker))["id"])
    assert_problem(
        await client.get(f"{API}/bookings/{bid}/meeting", headers=booker), 404, "meeting.not_found"
    )
    first = await client.post(
        f"{API}/bookings/{bid}/meeting", headers=owner, json={"title": "Launch (hybrid)"}
    )
    assert first.status_code == 201, first.text
    again = await client.post(f"{API}/bookings/{bid}/meeting", headers=booker, json={})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    via_grpc = await stub.CreateMeeting(pb.CreateMeetingRequest(booking_id=bid), metadata=auth(owner))
    assert via_grpc.id == first.json()["id"] and via_grpc.title == "Launch (hybrid)"
