"""The desk's walk-in form is idempotent (its one-time token is the Idempotency-Key: a double submit makes
one booking), and a no-show is marked by hand with the expiry job's own step and rule (only once the
arrival day is over; a role that may not is refused)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from tests.catalog_support import NOW, d, day, freeze
from tests.helpers import API
from tests.web_staff.support import browser_for, get, post, staffed_hotel, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def _bookings(ctx: AppContext, pid: str) -> list[Booking]:
    async with ctx.db.unit_of_work(write=False) as session:
        rows = await session.scalars(select(Booking).where(Booking.property_id == uuid.UUID(pid)))
        return list(rows.all())


async def test_double_submitted_walk_in_makes_one_booking_then_no_show(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("front_desk", "housekeeping"))
    r = await client.patch(
        f"{API}/properties/{h['pid']}", json={"payment_policy": {"mode": "at_property"}}, headers=h["owner"]
    )
    assert r.status_code == 200, r.text
    base = f"/staff/p/{h['pid']}"
    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.50")
    form = await get(desk, f"{base}/bookings/new")
    token = token_of(form.text)
    found = re.search(r'name="form_token" value="([0-9a-f]{32})"', form.text)
    assert found
    fields = {
        "form_token": found.group(1),
        "room_type_id": h["rt"]["id"],
        "checkin": d(0),
        "checkout": d(2),
        "contact_name": "Walk In",
        "contact_email": "walk@example.com",
        "source": "walk_in",
        "confirm": "1",
    }
    first = await post(desk, f"{base}/bookings/new", token, **fields)
    again = await post(desk, f"{base}/bookings/new", token, **fields)
    assert first.status_code == again.status_code == 303, again.text[:500]
    assert again.headers["location"] == first.headers["location"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(await _bookings(ctx, h["pid"])) == 1
    # the same token for another booking is refused; a fresh form makes a second one
    reused = await post(desk, f"{base}/bookings/new", token, **{**fields, "checkout": d(3)})
    assert reused.status_code == 422 and len(await _bookings(ctx, h["pid"])) == 1
    fresh = re.search(
        r'name="form_token" value="([0-9a-f]{32})"', (await get(desk, f"{base}/bookings/new")).text
    )
    assert fresh and fresh.group(1) != fields["form_token"]

    url = first.headers["location"]
    page = await get(desk, url)
    assert page.status_code == 200 and "Mark as no-show" not in page.text  # the arrival day is today
    early = await post(desk, f"{url}/no-show", token)
    assert early.status_code == 409 and "arrival day is over" in early.text and 'role="alert"' in early.text
    [booking] = await _bookings(ctx, h["pid"])
    assert booking.status == "confirmed"

    clock.freeze(NOW + timedelta(days=1))
    page = await get(desk, url)
    assert "Mark as no-show" in page.text
    maid = await browser_for(app, h["emails"]["housekeeping"], "198.51.100.51")
    maid_token = token_of((await get(maid, f"{base}/housekeeping")).text)
    assert (await post(maid, f"{url}/no-show", maid_token)).status_code == 403
    assert (await post(desk, f"{url}/no-show", None)).status_code == 403  # no CSRF token
    done = await post(desk, f"{url}/no-show", token)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=no_show")
    [booking] = await _bookings(ctx, h["pid"])
    assert booking.status == "no_show" and booking.release_from == day(1)  # tonight is for sale again
    async with ctx.db.unit_of_work(write=False) as session:
        actors = (
            await session.scalars(
                select(AuditEntry.actor_user_id).where(AuditEntry.action == "booking.no_show")
            )
        ).all()
        assert len(actors) == 1 and actors[0] is not None
    again_page = await get(desk, url)
    assert "Marked as a no-show." in (await get(desk, done.headers["location"])).text
    assert "Mark as no-show" not in again_page.text
