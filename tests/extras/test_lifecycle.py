"""The order's lifecycle: moves, illegal moves, guest cancellation, history, audit, events, e-mails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.extras.events import ServiceOrderChanged
from innkeeper.kit import events
from innkeeper.kit.jobs import JobRunner
from tests.catalog_support import freeze
from tests.extras.support import catalog_hotel, check_in, confirmed, move, order
from tests.helpers import API, assert_problem, bearer, signup


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def announced() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []

    async def collect(session: Any, event: ServiceOrderChanged) -> None:
        seen.append((str(event.order.id), event.action))

    events.on(ServiceOrderChanged)(collect)
    yield seen
    events.remove(ServiceOrderChanged, collect)


async def test_moves_history_audit_events_and_emails(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner, announced: list[tuple[str, str]]
) -> None:
    h = await catalog_hotel(client)
    tokens = await signup(client)
    me, email = bearer(tokens), tokens["user"]["email"]
    b = await confirmed(client, h, me, start=0, end=3)
    await check_in(client, h, b["id"])
    owner = h["owner"]
    spa = await order(client, b["id"], me, service_code="SPA")
    oid = spa["id"]
    # illegal moves from requested
    for verb in ("start", "deliver"):
        r = await client.post(f"{API}/service-orders/{oid}/{verb}", headers=owner)
        assert_problem(r, 409, "service_order.illegal_transition")
    assert (await move(client, oid, "accept", owner))["status"] == "accepted"
    assert (await move(client, oid, "accept", owner))["status"] == "accepted"  # a retry changes nothing
    assert_problem(await client.post(f"{API}/service-orders/{oid}/reject", headers=owner), 409)
    assert (await move(client, oid, "start", owner))["status"] == "in_progress"
    # the guest may not cancel once it is in progress
    assert_problem(await client.post(f"{API}/service-orders/{oid}/cancel", headers=me), 409)
    assert (await move(client, oid, "deliver", owner))["status"] == "delivered"
    for verb in ("cancel", "reject", "start"):
        assert_problem(await client.post(f"{API}/service-orders/{oid}/{verb}", headers=owner), 409)
    # reject with a reason; the guest cancels an accepted order; staff cancel one in progress
    food = await order(client, b["id"], me, service_code="CAB", details={"pickup_address": "Rossio"})
    rejected = await move(client, food["id"], "reject", owner, reason="no driver tonight")
    assert rejected["status"] == "rejected" and rejected["reason"] == "no driver tonight"
    assert_problem(await client.post(f"{API}/service-orders/{food['id']}/accept", headers=owner), 409)
    second = await order(client, b["id"], me, service_code="SPA")
    await move(client, second["id"], "accept", owner)
    assert (await move(client, second["id"], "cancel", me, reason="changed my mind"))["status"] == "cancelled"
    third = await order(client, b["id"], me, service_code="SPA")
    await move(client, third["id"], "accept", owner)
    await move(client, third["id"], "start", owner)
    assert (await move(client, third["id"], "cancel", owner))["status"] == "cancelled"
    assert_problem(
        await client.post(f"{API}/service-orders/{oid}/accept", headers=owner, json={"reason": ""}), 422
    )
    # history (the guest sees it) and audit
    detail = (await client.get(f"{API}/service-orders/{oid}", headers=me)).json()
    assert [(e["action"], e["from_status"], e["to_status"]) for e in detail["history"]] == [
        ("requested", None, "requested"),
        ("accepted", "requested", "accepted"),
        ("in_progress", "accepted", "in_progress"),
        ("delivered", "in_progress", "delivered"),
    ]
    async with ctx.db.unit_of_work(write=False) as session:
        audited = (
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_id == oid).order_by(AuditEntry.at)
            )
        ).all()
    assert list(audited) == [
        "service_order.requested",
        "service_order.accepted",
        "service_order.in_progress",
        "service_order.delivered",
    ]
    assert [a for o, a in announced if o == oid] == ["requested", "accepted", "in_progress", "delivered"]
    assert (third["id"], "cancelled") in announced
    # the guest heard of the acceptances, the rejection and the delivery, nothing else
    await runner.drain()
    outbox = (await client.get("/dev/outbox.json", params={"to": email})).json()["items"]
    subjects = sorted(
        m["subject"].split(": order ")[1].split(" (")[0] for m in outbox if ": order " in m["subject"]
    )
    assert subjects == ["accepted", "accepted", "accepted", "delivered", "rejected"]
    assert any("no driver tonight" in m["body"] for m in outbox)
