"""Outbound webhooks: subscriptions with a secret shown once, deliveries through the outbox only for
committed changes, Standard Webhooks signatures, object versions, retries with backoff for a day then
failed, the delivery log and the manual retry; tenant scoping."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from innkeeper.audit.service import Actor
from innkeeper.context import AppContext
from innkeeper.engagement.events import ReviewPublished
from innkeeper.extras.events import ServiceOrderChanged
from innkeeper.integrations.deliveries import DELIVER_JOB
from innkeeper.integrations.models import WebhookDelivery
from innkeeper.kit import events
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRegistry, JobRunner, registry
from tests.billing.support import pay, simulate
from tests.catalog_support import NOW, add_member, freeze
from tests.helpers import API, assert_problem, bearer, signup
from tests.integrations.support import book, hotel, local_site, subscribe


def verify(secret: str, received: Any) -> dict[str, Any]:
    """What a receiver does: check the v1 signature over id, timestamp and body with the library (the
    library's own ``verify`` also wants the timestamp within 5 minutes of the wall clock, and the test's
    clock is frozen in 2030: the timestamp is checked against that clock instead)."""
    headers = {k.lower(): v for k, v in received.headers.items()}
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    assert abs((stamp - clock.now()).total_seconds()) < 5
    expected = Webhook(secret).sign(headers["webhook-id"], stamp, received.body.decode())
    assert expected in headers["webhook-signature"].split(" ")
    assert Webhook("whsec_" + "A" * 43).sign(headers["webhook-id"], stamp, received.body.decode()) != expected
    data: dict[str, Any] = json.loads(received.body)
    return data


async def deliveries(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


async def test_a_subscription_shows_its_secret_once_and_bad_input_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    h = await hotel(client)
    base = f"{API}/properties/{h['pid']}/webhooks"
    created = await subscribe(client, h, "https://hooks.example.test/in", ["booking.created"])
    assert created["secret"].startswith("whsec_") and created["events"] == ["booking.created"]
    listed = (await client.get(base, headers=h["owner"])).json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    one = await client.get(f"{base}/{created['id']}", headers=h["owner"])
    assert one.status_code == 200 and "secret" not in one.json()

    bad = {"url": "ftp://example.test/x", "events": ["booking.created"]}
    assert_problem(await client.post(base, headers=h["owner"], json=bad), 422, "integrations.url_refused")
    unknown = {"url": "https://example.test/x", "events": ["booking.exploded"]}
    assert_problem(await client.post(base, headers=h["owner"], json=unknown), 422, "webhook.unknown_event")
    creds = {"url": "https://user:pw@example.test/x", "events": ["booking.created"]}
    assert_problem(await client.post(base, headers=h["owner"], json=creds), 422, "integrations.url_refused")
    assert (await client.get(base, headers=h["owner"])).json()["total"] == 1

    rotated = await client.post(f"{base}/{created['id']}/rotate-secret", headers=h["owner"])
    assert rotated.status_code == 200 and rotated.json()["secret"] != created["secret"]


async def test_only_owners_and_managers_of_the_property_manage_webhooks(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    sub = await subscribe(client, h, "https://hooks.example.test/in")
    stranger = await hotel(client)
    base = f"{API}/properties/{h['pid']}/webhooks"
    assert_problem(await client.get(base, headers=stranger["owner"]), 404, "property.not_found")
    assert_problem(await client.get(f"{base}/{sub['id']}", headers=stranger["owner"]), 404)
    desk = await signup(client)
    await add_member(client, h["owner"], h["pid"], desk, "front_desk")
    assert_problem(await client.get(base, headers=bearer(desk)), 403, "auth.role")
    # another tenant's webhook through my own property: 404
    mine = f"{API}/properties/{stranger['pid']}/webhooks/{sub['id']}"
    assert_problem(await client.get(mine, headers=stranger["owner"]), 404, "webhook.not_found")


async def test_a_committed_booking_is_delivered_signed_with_its_version(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    freeze()
    h = await hotel(client)
    guest = bearer(await signup(client))
    with local_site() as site:
        sub = await subscribe(client, h, site.url("/hook"))
        # a request that fails commits nothing and so announces nothing
        full = await client.post(
            f"{API}/bookings",
            headers={**guest, "Idempotency-Key": "k-too-many"},
            json={
                "room_type_id": h["rt"]["id"],
                "checkin": "2030-03-06",
                "checkout": "2030-03-08",
                "rooms": 3,
                "guests": 3,
            },
        )
        assert full.status_code in (409, 422), full.text
        assert await deliveries(ctx) == 0

        booking = (await book(client, h, guest)).json()
        assert await deliveries(ctx) == 1 and site.received == []  # in the outbox, not sent yet
        await runner.drain()
        assert len(site.received) == 1
        first = verify(sub["secret"], site.received[0])
        assert first["type"] == "booking.created"
        assert first["data"]["id"] == booking["id"] and first["data"]["version"] == 1
        assert "contact" not in json.dumps(first)  # no guest details in payloads

        cancelled = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=guest, json={})
        assert cancelled.status_code == 200, cancelled.text
        await runner.drain()
        second = verify(sub["secret"], site.received[1])
        assert (second["type"], second["data"]["version"]) == ("booking.cancelled", 2)
        assert site.received[1].headers["webhook-id"] != site.received[0].headers["webhook-id"]

    log = (
        await client.get(f"{API}/properties/{h['pid']}/webhooks/{sub['id']}/deliveries", headers=h["owner"])
    ).json()
    assert log["total"] == 2
    assert {(i["status"], i["last_status_code"], i["attempts"]) for i in log["items"]} == {
        ("succeeded", 204, 1)
    }


def only_deliveries(ctx: AppContext) -> JobRunner:
    """A runner of webhook deliveries alone: the day of retries below jumps the clock by hours, which
    would fire every periodic job of the application at each jump."""
    jobs = JobRegistry()
    jobs.handlers[DELIVER_JOB] = registry.handlers[DELIVER_JOB]
    return JobRunner(ctx.db, services={"app": ctx}, jobs=jobs, listen=False)


async def test_a_failing_receiver_is_retried_with_backoff_for_a_day_then_failed_and_retried_by_hand(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    freeze()
    runner = only_deliveries(ctx)
    h = await hotel(client)
    with local_site() as site:
        site.post_status = 500
        sub = await subscribe(client, h, site.url("/hook"))
        await book(client, h, bearer(await signup(client)))
        await runner.drain()
        base = f"{API}/properties/{h['pid']}/webhooks/{sub['id']}/deliveries"
        [d] = (await client.get(base, headers=h["owner"])).json()["items"]
        assert (d["status"], d["attempts"], d["last_status_code"]) == ("pending", 1, 500)
        gaps = []
        for _ in range(40):  # follow the schedule: each retry waits longer, until the day is over
            row = await delivery_row(ctx, d["id"])
            if row.status != "pending":
                break
            assert row.next_attempt_at is not None
            gaps.append((row.next_attempt_at - clock.now()).total_seconds())
            clock.freeze(row.next_attempt_at + timedelta(seconds=1))
            await runner.drain()
        clock.freeze(NOW)  # back to when the owner's access token is valid
        detail = (await client.get(f"{base}/{d['id']}", headers=h["owner"])).json()
        assert detail["status"] == "failed"
        assert 8 <= detail["attempts"] <= 20
        assert gaps[1] > gaps[0] * 1.3 and gaps[3] > gaps[2] * 1.3  # exponential, with jitter
        assert all(a["status_code"] == 500 and a["duration_ms"] >= 0 for a in detail["log"])
        sent_ids = {r.headers["webhook-id"] for r in site.received}
        assert sent_ids == {detail["message_id"]}  # every retry is the same message

        site.post_status = 200
        retry = await client.post(f"{base}/{d['id']}/retry", headers=h["owner"])
        assert retry.status_code == 202, retry.text
        await runner.drain()
        after = (await client.get(f"{base}/{d['id']}", headers=h["owner"])).json()
        assert (after["status"], after["last_status_code"]) == ("succeeded", 200)
        assert after["log"][-1]["manual"] is True
        assert_problem(await client.post(f"{base}/{sub['id']}/retry", headers=h["owner"]), 404)


async def delivery_row(ctx: AppContext, delivery_id: str) -> WebhookDelivery:
    async with ctx.db.unit_of_work(write=False) as session:
        row = await session.get(WebhookDelivery, uuid.UUID(delivery_id))
        assert row is not None
        return row


async def test_a_disabled_or_unsubscribed_event_sends_nothing(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    with local_site() as site:
        sub = await subscribe(client, h, site.url("/hook"), ["booking.checked_in"])
        await book(client, h, bearer(await signup(client)))
        assert await deliveries(ctx) == 0  # not an event it asked for
        patched = await client.patch(
            f"{API}/properties/{h['pid']}/webhooks/{sub['id']}",
            headers=h["owner"],
            json={"events": ["booking.created"], "is_active": False},
        )
        assert patched.status_code == 200 and patched.json()["is_active"] is False
        await book(client, h, bearer(await signup(client)), start=5)
        assert await deliveries(ctx) == 0
        gone = await client.delete(f"{API}/properties/{h['pid']}/webhooks/{sub['id']}", headers=h["owner"])
        assert gone.status_code == 204
        await runner.drain()
        assert site.received == []


async def test_payment_outcomes_are_announced(client: httpx.AsyncClient, runner: JobRunner) -> None:
    freeze()
    h = await hotel(client)
    guest = bearer(await signup(client))
    with local_site() as site:
        sub = await subscribe(
            client, h, site.url("/hook"), ["payment.succeeded", "payment.refunded", "booking.confirmed"]
        )
        booking = (await book(client, h, guest, start=20)).json()
        payment = await pay(client, booking["id"], guest)
        await simulate(client, runner, payment["id"])
        cancelled = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=guest, json={})
        assert cancelled.status_code == 200, cancelled.text
        await runner.drain()
        bodies = [verify(sub["secret"], r) for r in site.received]
    by_type = {b["type"]: b["data"] for b in bodies}
    assert set(by_type) == {"booking.confirmed", "payment.succeeded", "payment.refunded"}
    assert by_type["payment.succeeded"]["id"] == payment["id"]
    assert by_type["payment.succeeded"]["booking_id"] == booking["id"]
    assert by_type["payment.refunded"]["refund"]["amount"] == by_type["payment.refunded"]["refunded"]
    assert by_type["payment.refunded"]["version"] > by_type["payment.succeeded"]["version"]


async def test_service_order_and_review_events_become_deliveries(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """The extras and engagement packages announce these (``kit.events``); the reaction turns them into
    deliveries in the same transaction (here emitted directly, with stand-ins for their rows)."""
    h = await hotel(client)
    await subscribe(client, h, "https://hooks.example.test/in", ["service_order.updated", "review.published"])
    pid = uuid.UUID(h["pid"])
    order = SimpleNamespace(
        id=uuid.uuid4(),
        property_id=pid,
        booking_id=uuid.uuid4(),
        service_code="spa",
        category="spa",
        quantity=1,
        status="accepted",
        scheduled_for=None,
        total_minor=4500,
        currency="EUR",
    )
    review = SimpleNamespace(
        id=uuid.uuid4(),
        property_id=pid,
        booking_id=uuid.uuid4(),
        rating=5,
        title="Lovely",
        body="Great stay",
        author_name="Ann",
        published_at=NOW,
    )
    async with ctx.db.unit_of_work() as session:
        await events.emit(session, ServiceOrderChanged(order, "accepted", Actor.system("test")))  # type: ignore[arg-type]
        await events.emit(session, ReviewPublished(review, Actor.system("test")))  # type: ignore[arg-type]
    async with ctx.db.unit_of_work(write=False) as session:
        rows = (await session.scalars(select(WebhookDelivery))).all()
    payloads = {r.event_type: r.payload["data"] for r in rows}
    assert payloads["service_order.updated"]["status"] == "accepted"
    assert payloads["service_order.updated"]["total"] == {"amount": "45.00", "currency": "EUR"}
    assert (payloads["review.published"]["rating"], payloads["review.published"]["version"]) == (5, 1)
