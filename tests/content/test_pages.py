"""CMS pages over the API: who writes what, drafts hidden from readers, HTML sanitized on save; a
property's own subject and opening paragraph of its guests' messages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.content.models import Page
from innkeeper.context import AppContext
from innkeeper.notifications.models import MessageOverride
from tests.catalog_support import add_member, freeze, make_admin, make_hotel, user
from tests.helpers import API, assert_problem, bearer, signup

BODY = (
    '<h2>Terms</h2><p onclick="steal()">Be nice.</p><script>alert(1)</script><a href="javascript:x()">x</a>'
)
CLEAN = '<h2>Terms</h2><p>Be nice.</p><a rel="noopener noreferrer nofollow">x</a>'


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def count(ctx: AppContext, model: Any) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_platform_pages_by_admins_drafts_hidden_from_readers(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin = await make_admin(ctx, client)
    someone = await user(client)
    page = {"title": "Terms of use", "body_html": BODY, "published": False}
    assert_problem(await client.put(f"{API}/pages/terms", headers=someone, json=page), 403, "auth.admin_only")
    assert_problem(await client.put(f"{API}/pages/terms", json=page), 401)
    created = await client.put(f"{API}/pages/terms", headers=admin, json=page)
    assert created.status_code == 201, created.text
    assert created.json()["body_html"] == CLEAN  # sanitized on save
    assert created.json()["published"] is False and created.json()["published_at"] is None
    # a draft: 404 to readers, visible to admins
    for headers in ({}, someone):
        assert_problem(await client.get(f"{API}/pages/terms", headers=headers), 404, "page.not_found")
        assert (await client.get(f"{API}/pages", headers=headers)).json() == {"items": [], "total": 0}
    assert (await client.get(f"{API}/pages/terms", headers=admin)).json()["title"] == "Terms of use"
    published = await client.put(f"{API}/pages/terms", headers=admin, json={**page, "published": True})
    assert published.status_code == 200 and published.json()["published_at"], published.text
    public = await client.get(f"{API}/pages/terms")
    assert public.status_code == 200 and public.json()["body_html"] == CLEAN
    listed = (await client.get(f"{API}/pages")).json()
    assert [p["slug"] for p in listed["items"]] == ["terms"] and listed["total"] == 1
    # the stored HTML is the clean one
    async with ctx.db.unit_of_work(write=False) as session:
        stored = await session.scalar(select(Page.body_html))
    assert stored == CLEAN
    assert (await client.delete(f"{API}/pages/terms", headers=admin)).status_code == 204
    assert_problem(await client.get(f"{API}/pages/terms"), 404)
    assert_problem(await client.delete(f"{API}/pages/terms", headers=admin), 404, "page.not_found")
    async with ctx.db.unit_of_work(write=False) as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "page"))
        ).all()
    assert sorted(actions) == ["page.created", "page.deleted", "page.updated"]


async def test_property_pages_by_owners_and_managers(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, _ = await make_hotel(client, owner)
    pid, slug = prop["id"], prop["slug"]
    manager, desk = await signup(client), await signup(client)
    await add_member(client, owner, pid, manager, "manager")
    await add_member(client, owner, pid, desk, "front_desk")
    stranger = await user(client)
    rules = {"title": "House rules", "body_html": "<p>Quiet after 22:00</p>", "published": True}
    url = f"{API}/properties/{pid}/pages/house-rules"
    assert_problem(await client.put(url, headers=bearer(desk), json=rules), 403, "auth.role")
    assert_problem(await client.put(url, headers=stranger, json=rules), 404, "property.not_found")
    r = await client.put(url, headers=bearer(manager), json=rules)
    assert r.status_code == 201 and r.json()["property_id"] == pid, r.text
    draft = {"title": "About us", "body_html": "<p>Since 1920</p>"}
    assert (
        await client.put(f"{API}/properties/{pid}/pages/about", headers=owner, json=draft)
    ).status_code == 201
    # the public reads by the property's slug: published pages only
    public = await client.get(f"{API}/properties/{slug}/pages/house-rules")
    assert public.status_code == 200 and public.json()["body_html"] == "<p>Quiet after 22:00</p>"
    assert_problem(await client.get(f"{API}/properties/{slug}/pages/about"), 404, "page.not_found")
    assert [p["slug"] for p in (await client.get(f"{API}/properties/{slug}/pages")).json()["items"]] == [
        "house-rules"
    ]
    # its managers see the draft
    assert (await client.get(f"{API}/properties/{slug}/pages/about", headers=owner)).status_code == 200
    staff_list = (await client.get(f"{API}/properties/{slug}/pages", headers=bearer(manager))).json()
    assert [p["slug"] for p in staff_list["items"]] == ["about", "house-rules"]
    # a platform page of the same slug is another page
    assert_problem(await client.get(f"{API}/pages/house-rules"), 404)
    # another property's pages are its own
    other_prop, _ = await make_hotel(client, stranger)
    assert_problem(await client.get(f"{API}/properties/{other_prop['slug']}/pages/house-rules"), 404)
    # an inactive property's pages are hidden from the public
    assert (await client.post(f"{API}/properties/{pid}/deactivate", headers=owner)).status_code == 200
    assert_problem(await client.get(f"{API}/properties/{slug}/pages/house-rules"), 404)
    assert (await client.get(f"{API}/properties/{slug}/pages/house-rules", headers=owner)).status_code == 200
    assert_problem(await client.delete(url, headers=bearer(desk)), 403, "auth.role")
    assert (await client.delete(url, headers=owner)).status_code == 204


async def test_bad_page_input_changes_nothing(client: httpx.AsyncClient, ctx: AppContext) -> None:
    admin = await make_admin(ctx, client)
    good = {"title": "About", "body_html": "<p>x</p>"}
    for slug, body in [
        ("About", good),
        ("-x", good),
        ("a" * 81, good),
        ("about", {"title": "", "body_html": "<p>x</p>"}),
        ("about", {"title": "   ", "body_html": "<p>x</p>"}),
        ("about", {"title": "x" * 201, "body_html": "<p>x</p>"}),
        ("about", {"title": "About"}),
        ("about", {"title": "About", "body_html": "x" * 100_001}),
        ("about", {**good, "published": "maybe"}),
        ("about", {**good, "extra": True}),
    ]:
        assert_problem(await client.put(f"{API}/pages/{slug}", headers=admin, json=body), 422)
    assert await count(ctx, Page) == 0


async def test_a_property_rewords_its_guests_messages(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await user(client)
    prop, _ = await make_hotel(client, owner)
    desk = await signup(client)
    await add_member(client, owner, prop["id"], desk, "front_desk")
    base = f"{API}/properties/{prop['id']}/message-templates"
    listing = await client.get(base, headers=owner)
    assert listing.status_code == 200, listing.text
    names = {t["template"]: t for t in listing.json()["items"]}
    assert {"booking_confirmed", "booking_cancelled", "payment_failed", "ticket_reply"} <= set(names)
    assert "password_reset" not in names  # the platform's own messages are not the property's
    assert names["booking_confirmed"]["placeholders"] == ["guest", "reference", "property"]
    body = {"subject": "Welcome, {guest}! ({reference})", "intro": "We can't wait to see you."}
    assert_problem(await client.put(f"{base}/booking_confirmed/en", headers=bearer(desk), json=body), 403)
    r = await client.put(f"{base}/booking_confirmed/en", headers=owner, json=body)
    assert r.status_code == 200 and r.json()["subject"] == body["subject"], r.text
    r = await client.put(f"{base}/booking_confirmed/en", headers=owner, json={"subject": "Hi {guest}"})
    assert r.status_code == 200 and r.json()["intro"] is None  # replaced as a whole
    listed = (await client.get(base, headers=owner)).json()["items"]
    [confirmed] = [t for t in listed if t["template"] == "booking_confirmed"]
    assert [(o["locale"], o["subject"]) for o in confirmed["overrides"]] == [("en", "Hi {guest}")]
    assert_problem(await client.put(f"{base}/password_reset/en", headers=owner, json=body), 404)
    assert_problem(await client.put(f"{base}/booking_confirmed/fr", headers=owner, json=body), 422)
    assert_problem(await client.put(f"{base}/booking_confirmed/pt", headers=owner, json={}), 422)
    assert_problem(
        await client.put(f"{base}/booking_confirmed/pt", headers=owner, json={"subject": "x" * 201}), 422
    )
    assert await count(ctx, MessageOverride) == 1
    assert (await client.delete(f"{base}/booking_confirmed/en", headers=owner)).status_code == 204
    assert_problem(await client.delete(f"{base}/booking_confirmed/en", headers=owner), 404)
    assert await count(ctx, MessageOverride) == 0
