"""Staff membership is an invitation the invitee accepts (``shared/API.md``, the members row): the inviter
learns nothing about the address, and nothing is granted until the holder of the address says yes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.invitations import INVITATION_TTL
from innkeeper.identity.models import PropertyInvitation, PropertyMembership
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from tests.catalog_support import create_property, freeze, invite, make_admin, user
from tests.helpers import API, PASSWORD, assert_problem, bearer, signup, unique_email


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def count(ctx: AppContext, model: type, *where: Any) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@contextmanager
def statements(ctx: AppContext) -> Iterator[list[str]]:
    """The SQL statements the app runs inside the block."""
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


async def answer(
    client: httpx.AsyncClient, who: dict[str, Any], invitation_id: str, verb: str, token: str | None = None
) -> httpx.Response:
    body = {"token": token} if token else None
    return await client.post(
        f"{API}/users/me/invitations/{invitation_id}/{verb}", headers=bearer(who), json=body
    )


async def invitation_links(client: httpx.AsyncClient, runner: JobRunner, email: str) -> list[tuple[str, str]]:
    """(invitation id, token) from every invitation e-mail sent to ``email``, newest first."""
    await runner.drain()
    outbox = (await client.get("/dev/outbox.json", params={"to": email})).json()
    links = []
    for message in outbox["items"]:
        if "/account/invitations/" not in message["body"]:
            continue  # another message to the address (the sign-up's verification link)
        match = re.search(r"/account/invitations/([0-9a-f-]{36})\?token=(\S+)", message["body"])
        assert match, message
        links.append((match.group(1), match.group(2)))
    return links


async def works_there(client: httpx.AsyncClient, who: dict[str, Any], property_id: str) -> bool:
    r = await client.get(f"{API}/properties/{property_id}/manage", headers=bearer(who))
    if r.status_code == 404:
        return False
    assert r.status_code == 200, r.text
    return True


async def test_inviting_answers_the_same_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    known = await signup(client, full_name="Quintessa Known")
    unknown_email = unique_email("nobody")
    with statements(ctx) as known_work:
        to_known = await client.post(
            f"{API}/properties/{prop['id']}/members",
            headers=owner,
            json={"email": known["user"]["email"].upper(), "role": "front_desk"},
        )
    with statements(ctx) as unknown_work:
        to_unknown = await client.post(
            f"{API}/properties/{prop['id']}/members",
            headers=owner,
            json={"email": unknown_email, "role": "front_desk"},
        )
    assert to_known.status_code == to_unknown.status_code == 201, (to_known.text, to_unknown.text)
    a, b = to_known.json(), to_unknown.json()
    assert set(a) == set(b) == {"id", "email", "role", "status", "expires_at"}
    assert a["email"] == known["user"]["email"] and b["email"] == unknown_email
    assert {k: v for k, v in a.items() if k not in ("id", "email")} == {
        k: v for k, v in b.items() if k not in ("id", "email")
    }
    assert a["status"] == "invited"
    assert "Quintessa" not in to_known.text and known["user"]["id"] not in to_known.text
    # the same work either way: no shortcut (or extra step) that timing could reveal
    assert len(known_work) == len(unknown_work) > 0
    # nothing is granted by inviting, not even to an existing account
    assert not await works_there(client, known, prop["id"])
    assert await count(ctx, PropertyMembership) == 1
    # both addresses are e-mailed a link to answer
    for email, invitation in ((known["user"]["email"], a), (unknown_email, b)):
        [(invitation_id, _token)] = await invitation_links(client, runner, email)
        assert invitation_id == invitation["id"]


async def test_the_invitee_accepts_and_only_then_works_there(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop = await create_property(client, owner, name="Casa Convite")
    desk = await signup(client, full_name="Dana Desk")
    invitation = await invite(client, owner, prop["id"], desk["user"]["email"], "front_desk")
    mine = (await client.get(f"{API}/users/me/invitations", headers=bearer(desk))).json()
    assert mine["total"] == 1
    [offer] = mine["items"]
    assert offer["id"] == invitation["id"] and offer["property_id"] == prop["id"]
    assert (offer["property_name"], offer["role"], offer["status"]) == (
        "Casa Convite",
        "front_desk",
        "invited",
    )
    assert offer["link_required"] is False  # the account held the address when invited
    members = (await client.get(f"{API}/properties/{prop['id']}/members", headers=owner)).json()["items"]
    assert [(m["status"], m["role"]) for m in members] == [("active", "owner"), ("invited", "front_desk")]
    assert members[1]["user_id"] is None and members[1]["full_name"] is None  # no name before acceptance
    assert not await works_there(client, desk, prop["id"])

    accepted = await answer(client, desk, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert await works_there(client, desk, prop["id"])
    members = (await client.get(f"{API}/properties/{prop['id']}/members", headers=owner)).json()["items"]
    assert [(m["status"], m["full_name"]) for m in members][1] == ("active", "Dana Desk")
    assert (await client.get(f"{API}/users/me/invitations", headers=bearer(desk))).json()["total"] == 0
    assert_problem(await answer(client, desk, invitation["id"], "accept"), 409, "invitation.not_pending")
    # an address working here already is not invited again
    again = await client.post(
        f"{API}/properties/{prop['id']}/members",
        headers=owner,
        json={"email": desk["user"]["email"], "role": "manager"},
    )
    assert_problem(again, 409, "member.exists")
    async with ctx.db.unit_of_work(write=False) as session:
        granted = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "membership.granted"))
        ).all()
    by_desk = [g for g in granted if str(g.actor_user_id) == desk["user"]["id"]]
    assert len(by_desk) == 1 and by_desk[0].after == {"role": "front_desk", "invitation_id": invitation["id"]}


async def signed_in_again(client: httpx.AsyncClient, who: dict[str, Any]) -> dict[str, Any]:
    """Fresh tokens for ``who`` (after the clock moved past the access token's life)."""
    r = await client.post(f"{API}/auth/login", json={"email": who["user"]["email"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    return tokens


async def test_declining_revoking_and_expiry_grant_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner_tokens = await signup(client)
    owner = bearer(owner_tokens)
    prop = await create_property(client, owner)
    declines, revoked, late = await signup(client), await signup(client), await signup(client)
    admin_headers = await make_admin(ctx, client)
    admin = (await client.get(f"{API}/users/me", headers=admin_headers)).json()
    offers = {
        name: await invite(client, owner, prop["id"], who["user"]["email"], "manager")
        for name, who in (("declines", declines), ("revoked", revoked), ("late", late))
    }
    # a platform administrator is invited like anyone else, and is no member until accepting
    await invite(client, owner, prop["id"], admin["email"], "housekeeping")

    declined = await answer(client, declines, offers["declines"]["id"], "decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert_problem(
        await answer(client, declines, offers["declines"]["id"], "accept"), 409, "invitation.not_pending"
    )

    revoke = f"{API}/properties/{prop['id']}/invitations/{offers['revoked']['id']}"
    assert (await client.delete(revoke, headers=owner)).status_code == 204
    assert (await client.get(f"{API}/users/me/invitations", headers=bearer(revoked))).json()["total"] == 0
    assert_problem(
        await answer(client, revoked, offers["revoked"]["id"], "accept"), 409, "invitation.not_pending"
    )
    assert_problem(await client.delete(revoke, headers=owner), 409, "invitation.not_pending")
    for who in (declines, revoked):
        assert not await works_there(client, who, prop["id"])

    clock.advance(INVITATION_TTL + timedelta(seconds=1))
    late, owner = await signed_in_again(client, late), bearer(await signed_in_again(client, owner_tokens))
    assert (await client.get(f"{API}/users/me/invitations", headers=bearer(late))).json()["total"] == 0
    assert_problem(await answer(client, late, offers["late"]["id"], "accept"), 409, "invitation.not_pending")

    assert not await works_there(client, late, prop["id"])
    assert await count(ctx, PropertyMembership) == 1  # the owner's
    members = (await client.get(f"{API}/properties/{prop['id']}/members", headers=owner)).json()
    assert [m["role"] for m in members["items"]] == ["owner"]  # lapsed invitations are not listed


async def test_inviting_again_renews_the_pending_invitation(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    first = await invite(client, owner, prop["id"], "Someone@Example.com", "housekeeping")
    clock.advance(timedelta(minutes=10))
    second = await invite(client, owner, prop["id"], "someone@example.com", "manager")
    assert second["id"] == first["id"]
    assert second["role"] == "manager" and second["expires_at"] > first["expires_at"]
    assert await count(ctx, PropertyInvitation) == 1
    members = (await client.get(f"{API}/properties/{prop['id']}/members", headers=owner)).json()["items"]
    assert [(m["status"], m["role"], m["email"]) for m in members][1:] == [
        ("invited", "manager", "someone@example.com")
    ]


async def test_an_account_newer_than_the_invitation_needs_the_emailed_link(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    """Addresses are not verified: whoever signs up with an invited address after the invitation must
    show the token e-mailed to it, or anyone could claim a staff role meant for someone else."""
    owner = await user(client)
    prop = await create_property(client, owner)
    email = unique_email("newcomer")
    invitation = await invite(client, owner, prop["id"], email, "front_desk")
    [(_, stale)] = await invitation_links(client, runner, email)
    clock.advance(timedelta(minutes=1))
    await invite(client, owner, prop["id"], email, "front_desk")  # a new e-mail; the first link dies
    (_, token), _ = await invitation_links(client, runner, email)
    newcomer = await signup(client, email=email)
    [offer] = (await client.get(f"{API}/users/me/invitations", headers=bearer(newcomer))).json()["items"]
    assert offer["id"] == invitation["id"] and offer["link_required"] is True
    for verb in ("accept", "decline"):
        assert_problem(
            await answer(client, newcomer, invitation["id"], verb), 403, "invitation.link_required"
        )
        assert_problem(
            await answer(client, newcomer, invitation["id"], verb, stale), 403, "invitation.link_required"
        )
    assert not await works_there(client, newcomer, prop["id"])
    accepted = await answer(client, newcomer, invitation["id"], "accept", token)
    assert accepted.status_code == 200, accepted.text
    assert await works_there(client, newcomer, prop["id"])


async def test_nobody_else_sees_or_answers_an_invitation(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    invitee = await signup(client)
    invitation = await invite(client, owner, prop["id"], invitee["user"]["email"], "manager")
    stranger = await signup(client)
    assert (await client.get(f"{API}/users/me/invitations", headers=bearer(stranger))).json()["total"] == 0
    for verb in ("accept", "decline"):
        assert_problem(await answer(client, stranger, invitation["id"], verb), 404, "invitation.not_found")
    # another property's owner cannot revoke it through their own property
    other_owner = await user(client)
    other = await create_property(client, other_owner)
    r = await client.delete(
        f"{API}/properties/{other['id']}/invitations/{invitation['id']}", headers=other_owner
    )
    assert_problem(r, 404, "invitation.not_found")
    assert_problem(await answer(client, invitee, invitation["id"], "accept", "x"), 422)
    assert (await answer(client, invitee, invitation["id"], "accept")).status_code == 200
    assert await count(ctx, PropertyMembership, PropertyMembership.property_id == uuid.UUID(prop["id"])) == 2
