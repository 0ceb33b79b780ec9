"""The staff console over ASGI, on both databases: sign-in reuse, each role sees exactly its sections
and actions and the server refuses the rest (403 for a member, 404 for a stranger) even when forced,
CSRF refusal, and the desk's use cases writing the API's audit rows with the staff member as actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from tests.catalog_support import d, freeze
from tests.web_staff.support import HTML, browser_for, get, post, staffed_hotel, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def audit_rows(ctx: AppContext, action: str) -> list[AuditEntry]:
    async with ctx.db.unit_of_work() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def user_id(ctx: AppContext, email: str) -> Any:
    async with ctx.db.unit_of_work() as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def test_signed_out_goes_to_login_and_owner_lands_on_dashboard(
    client: httpx.AsyncClient, app: Any
) -> None:
    h = await staffed_hotel(client, ())
    r = await client.get("/staff", headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fstaff"
    r = await client.get(f"/staff/p/{h['pid']}/desk", headers={**HTML, "HX-Request": "true"})
    assert r.headers["HX-Redirect"].startswith("/login?next=")
    owner = await browser_for(app, h["emails"]["owner"], "198.51.100.1")
    r = await get(owner, "/staff")
    assert r.status_code == 303 and r.headers["location"] == f"/staff/p/{h['pid']}"
    page = await get(owner, f"/staff/p/{h['pid']}")
    assert page.status_code == 200, page.text[:1000]
    assert "Occupancy" in page.text and "unsafe-inline" not in page.headers["content-security-policy"]
    for section in ("/desk", "/bookings", "/rack", "/housekeeping", "/rates", "/bookings/new"):
        r = await get(owner, f"/staff/p/{h['pid']}{section}")
        assert r.status_code == 200, (section, r.text[:1000])
        assert "<script>" not in r.text
    part = await owner.get(f"/staff/p/{h['pid']}/desk/arrivals", headers={**HTML, "HX-Request": "true"})
    assert part.status_code == 200 and 'hx-trigger="every 30s"' in part.text and "<html" not in part.text


async def test_each_role_sees_only_its_actions_and_forced_posts_are_refused(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("housekeeping", "front_desk", "moderator"))
    base = f"/staff/p/{h['pid']}"
    room = h["rooms"][0]["id"]
    maid = await browser_for(app, h["emails"]["housekeeping"], "198.51.100.2")
    r = await get(maid, base)
    assert r.status_code == 303 and r.headers["location"] == f"{base}/housekeeping"
    board = await get(maid, f"{base}/housekeeping")
    assert board.status_code == 200
    assert f'href="{base}/desk"' not in board.text and f'href="{base}/rates"' not in board.text
    token = token_of(board.text)
    for url in ("/desk", "/bookings", "/rates", "/bookings/new"):
        assert (await get(maid, base + url)).status_code == 403, url
    # forced posts: a new booking, a price change, taking a room out of order
    forced = [
        ("/bookings/new", {"room_type_id": h["rt"]["id"], "checkin": d(1), "checkout": d(2)}),
        ("/rates", {"room_type_id": h["rt"]["id"], "from": d(1), "until": d(3), "price": "1.00"}),
        (f"/rooms/{room}/service", {"status": "out_of_order"}),
    ]
    for url, data in forced:
        r = await post(maid, base + url, token, **data)
        assert r.status_code == 403, (url, r.text[:500])
    assert await audit_rows(ctx, "inventory.bulk_updated") == []

    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.3")
    rates = await get(desk, f"{base}/rates")
    assert rates.status_code == 200 and "Change a range" not in rates.text  # read only
    rack = await get(desk, f"{base}/rack")
    assert "Out of order" not in rack.text  # rooms.manage is not the desk's
    r = await post(
        desk,
        f"{base}/rates",
        token_of(rates.text),
        room_type_id=h["rt"]["id"],
        **{"from": d(1)},
        until=d(3),
        price="1.00",
    )
    assert r.status_code == 403

    moderator = await browser_for(app, h["emails"]["moderator"], "198.51.100.4")
    home = await get(moderator, base)
    assert home.status_code == 303 and home.headers["location"] == f"{base}/reviews"
    for url in ("/desk", "/housekeeping", "/rack", "/rates"):
        assert (await get(moderator, base + url)).status_code == 403, url

    stranger = await browser_for(app, h["stranger"], "198.51.100.5")
    assert (await get(stranger, base)).status_code == 404
    assert (await get(stranger, f"{base}/housekeeping")).status_code == 404


async def test_csrf_refused_and_housekeeping_update_with_htmx(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("housekeeping",))
    base = f"/staff/p/{h['pid']}"
    room = h["rooms"][0]
    maid = await browser_for(app, h["emails"]["housekeeping"], "198.51.100.6")
    board = await get(maid, f"{base}/housekeeping")
    r = await post(maid, f"{base}/rooms/{room['id']}/housekeeping", None, housekeeping="dirty")
    assert r.status_code == 403 and "expired" in r.text
    r = await post(maid, f"{base}/rooms/{room['id']}/housekeeping", "forged.token", housekeeping="dirty")
    assert r.status_code == 403
    assert await audit_rows(ctx, "room.updated") == []
    r = await maid.post(
        f"{base}/rooms/{room['id']}/housekeeping",
        data={"housekeeping": "dirty"},
        headers={**HTML, "HX-Request": "true", "X-CSRF-Token": token_of(board.text)},
    )
    assert r.status_code == 200 and "<html" not in r.text and 'aria-pressed="true"' in r.text
    rows = await audit_rows(ctx, "room.updated")
    assert len(rows) == 1 and rows[0].after["housekeeping"] == "dirty"
    assert rows[0].actor_user_id == await user_id(ctx, h["emails"]["housekeeping"])
    r = await post(
        maid, f"{base}/rooms/{room['id']}/housekeeping", token_of(board.text), housekeeping="sparkling"
    )
    assert r.status_code == 422
