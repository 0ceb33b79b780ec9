"""Support tickets: who sees and answers what, statuses, the other side told through the outbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.engagement.tickets_models import SupportTicket, TicketMessage
from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import book, hotel
from tests.catalog_support import add_member, freeze, make_admin, make_hotel, user
from tests.helpers import API, assert_problem, bearer, signup

T = f"{API}/support/tickets"


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def count(ctx: AppContext, model: Any) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def outbox(client: httpx.AsyncClient, runner: JobRunner, to: str) -> list[dict[str, Any]]:
    await runner.drain()
    items: list[dict[str, Any]] = (await client.get("/dev/outbox.json", params={"to": to})).json()["items"]
    return [m for m in items if "[#" in (m["subject"] or "")]  # the tickets' (not invitations', ...)


async def world(client: httpx.AsyncClient) -> dict[str, Any]:
    """A hotel with an owner, a front desk and a housekeeper; a guest with a booking there."""
    h = await hotel(client)
    owner_me = (await client.get(f"{API}/users/me", headers=h["owner"])).json()
    desk, housekeeper = await signup(client, full_name="Dana Desk"), await signup(client)
    await add_member(client, h["owner"], h["pid"], desk, "front_desk")
    await add_member(client, h["owner"], h["pid"], housekeeper, "housekeeping")
    guest = await signup(client, full_name="Gil Guest")
    booking = await book(client, h, bearer(guest))
    return {
        **h,
        "owner_email": owner_me["email"],
        "desk": desk,
        "housekeeper": housekeeper,
        "guest": guest,
        "booking": booking,
    }


async def open_ticket(client: httpx.AsyncClient, who: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = await client.post(
        T, headers=bearer(who), json={"subject": "Late arrival", "body": "We land at 23:00.", **body}
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_a_guest_asks_about_their_booking_and_the_desk_answers(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    w = await world(client)
    ticket = await open_ticket(client, w["guest"], booking_id=w["booking"]["id"])
    assert ticket["status"] == "open" and ticket["property_id"] == w["pid"] and ticket["mine"] is True
    assert [m["body"] for m in ticket["messages"]] == ["We land at 23:00."]
    # the whole desk hears of it (owner and front desk; not the housekeeper)
    for email in (w["owner_email"], w["desk"]["user"]["email"]):
        [mail] = await outbox(client, runner, email)
        assert ticket["reference"] in mail["subject"] and "We land at 23:00." in mail["body"]
    assert await outbox(client, runner, w["housekeeper"]["user"]["email"]) == []
    # the front desk answers: pending, the guest is told
    r = await client.post(
        f"{T}/{ticket['id']}/messages", headers=bearer(w["desk"]), json={"body": "No problem!"}
    )
    assert r.status_code == 201 and r.json()["from_staff"] is True and r.json()["author_name"] == "Dana Desk"
    detail = (await client.get(f"{T}/{ticket['id']}", headers=bearer(w["guest"]))).json()
    assert detail["status"] == "pending" and [m["from_staff"] for m in detail["messages"]] == [False, True]
    [reply] = await outbox(client, runner, w["guest"]["user"]["email"])
    assert reply["subject"] == f"Re: Late arrival [#{ticket['reference']}]"
    assert "Dana Desk answered" in reply["body"] and "No problem!" in reply["body"]
    # the guest writes again: open, and only the member who answered is told this time
    r = await client.post(f"{T}/{ticket['id']}/messages", headers=bearer(w["guest"]), json={"body": "Thanks"})
    assert r.status_code == 201
    assert (await client.get(f"{T}/{ticket['id']}", headers=bearer(w["desk"]))).json()["status"] == "open"
    assert len(await outbox(client, runner, w["desk"]["user"]["email"])) == 2
    assert len(await outbox(client, runner, w["owner_email"])) == 1
    async with ctx.db.unit_of_work(write=False) as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "support_ticket"))
        ).all()
    assert sorted(actions) == ["ticket.message", "ticket.message", "ticket.opened"]


async def test_each_side_sees_only_its_tickets(client: httpx.AsyncClient, ctx: AppContext) -> None:
    w = await world(client)
    mine = await open_ticket(client, w["guest"], booking_id=w["booking"]["id"])
    elsewhere_owner = await user(client)
    other_prop, _ = await make_hotel(client, elsewhere_owner)
    other_guest = await signup(client)
    theirs = await open_ticket(client, other_guest, property_id=other_prop["id"])
    platform = await open_ticket(client, other_guest, subject="My account")
    admin = await make_admin(ctx, client)

    async def listed(headers: dict[str, str], **params: str) -> set[str]:
        r = await client.get(T, headers=headers, params=params)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == len(r.json()["items"])
        return {t["id"] for t in r.json()["items"]}

    assert await listed(bearer(w["guest"])) == {mine["id"]}
    assert await listed(bearer(other_guest)) == {theirs["id"], platform["id"]}
    assert await listed(w["owner"]) == {mine["id"]}
    assert await listed(bearer(w["desk"])) == {mine["id"]}
    assert await listed(bearer(w["housekeeper"])) == set()
    assert await listed(elsewhere_owner) == {theirs["id"]}
    assert await listed(admin) == {mine["id"], theirs["id"], platform["id"]}
    assert await listed(admin, property_id=w["pid"]) == {mine["id"]}
    assert await listed(admin, status="closed") == set()
    # a stranger is 404, a member whose role may not answer 403, on reading and on writing
    for path in ("", "/messages", "/status"):
        method = "GET" if not path else "POST"
        body = {"body": "hi"} if path == "/messages" else {"status": "resolved"} if path else None
        url = f"{T}/{mine['id']}{path}"
        assert_problem(
            await client.request(method, url, headers=elsewhere_owner, json=body), 404, "ticket.not_found"
        )
        assert_problem(await client.request(method, url, headers=bearer(other_guest), json=body), 404)
        assert_problem(
            await client.request(method, url, headers=bearer(w["housekeeper"]), json=body), 403, "auth.role"
        )
        assert_problem(await client.request(method, url, json=body), 401)
    # the platform's ticket is the admins' alone
    assert_problem(await client.get(f"{T}/{platform['id']}", headers=w["owner"]), 404)
    assert (await client.get(f"{T}/{platform['id']}", headers=admin)).status_code == 200
    assert await count(ctx, TicketMessage) == 3  # the refused writes wrote nothing


async def test_statuses(client: httpx.AsyncClient, ctx: AppContext) -> None:
    w = await world(client)
    ticket = await open_ticket(client, w["guest"], property_id=w["pid"])
    url = f"{T}/{ticket['id']}"
    assert_problem(
        await client.post(f"{url}/status", headers=bearer(w["guest"]), json={"status": "pending"}),
        403,
        "ticket.status_not_allowed",
    )
    r = await client.post(f"{url}/status", headers=w["owner"], json={"status": "resolved"})
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    # the customer writing again reopens it
    await client.post(f"{url}/messages", headers=bearer(w["guest"]), json={"body": "One more thing"})
    assert (await client.get(url, headers=w["owner"])).json()["status"] == "open"
    r = await client.post(f"{url}/status", headers=bearer(w["guest"]), json={"status": "closed"})
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["closed_at"]
    # closed is final
    assert_problem(
        await client.post(f"{url}/messages", headers=w["owner"], json={"body": "?"}), 409, "ticket.closed"
    )
    assert_problem(
        await client.post(f"{url}/status", headers=w["owner"], json={"status": "open"}), 409, "ticket.closed"
    )
    assert_problem(await client.post(f"{url}/status", headers=w["owner"], json={"status": "gone"}), 422)


async def test_bad_input_is_refused_and_changes_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    w = await world(client)
    other_guest = await signup(client)
    inactive, _ = await make_hotel(client, await user(client), active=False)
    bad: list[tuple[dict[str, Any], int]] = [
        ({"subject": "", "body": "x"}, 422),
        ({"subject": "Hi", "body": "   "}, 422),
        ({"subject": "Hi"}, 422),
        ({"subject": "x" * 201, "body": "x"}, 422),
        ({"subject": "Hi", "body": "x" * 100_000}, 422),
        ({"subject": "Hi", "body": "x", "booking_id": "not-a-uuid"}, 422),
        ({"subject": "Hi", "body": "x", "extra": 1}, 422),
        # someone else's booking, a property that is not public
        ({"subject": "Hi", "body": "x", "booking_id": w["booking"]["id"]}, 404),
        ({"subject": "Hi", "body": "x", "property_id": inactive["id"]}, 404),
        ({"subject": "Hi", "body": "x", "property_id": "6c1e3f04-5a8e-4f0e-9a53-000000000000"}, 404),
    ]
    for body, status in bad:
        assert_problem(await client.post(T, headers=bearer(other_guest), json=body), status)
    # the booking's own guest naming another property than the booking's
    mismatch = {"subject": "Hi", "body": "x", "booking_id": w["booking"]["id"], "property_id": inactive["id"]}
    assert_problem(await client.post(T, headers=bearer(w["guest"]), json=mismatch), 422)
    assert_problem(await client.post(T, json={"subject": "Hi", "body": "x"}), 401)
    assert await count(ctx, SupportTicket) == 0
    ticket = await open_ticket(client, w["guest"])
    assert_problem(
        await client.post(f"{T}/{ticket['id']}/messages", headers=bearer(w["guest"]), json={"body": ""}), 422
    )
    assert await count(ctx, TicketMessage) == 1


async def test_opening_honours_an_idempotency_key(client: httpx.AsyncClient, ctx: AppContext) -> None:
    guest = await signup(client)
    headers = {**bearer(guest), "Idempotency-Key": "ticket-1"}
    body = {"subject": "Lost key", "body": "I lost my key"}
    first = await client.post(T, headers=headers, json=body)
    second = await client.post(T, headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert await count(ctx, SupportTicket) == 1
