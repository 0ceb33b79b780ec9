"""The desk's use cases through the console over ASGI: a walk-in booking, room, check-in (refused on a
dirty room), a card payment at the desk, check-out and its invoice PDF, cancel with the refund shown
first, and the rates calendar's bulk edit; each writes the API's audit rows with the clerk as actor."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from tests.catalog_support import d, freeze
from tests.helpers import API
from tests.web_staff.support import HTML, browser_for, get, post, staffed_hotel, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def booking_row(ctx: AppContext, booking_id: str) -> Booking:
    async with ctx.db.unit_of_work() as session:
        found = await session.get(Booking, uuid.UUID(booking_id))
        assert found is not None
        return found


async def actors(ctx: AppContext, action: str) -> set[Any]:
    async with ctx.db.unit_of_work() as session:
        rows = await session.scalars(select(AuditEntry.actor_user_id).where(AuditEntry.action == action))
        return set(rows.all())


async def test_walk_in_check_in_pay_check_out_invoice(
    client: httpx.AsyncClient, app: Any, ctx: AppContext, runner: JobRunner
) -> None:
    h = await staffed_hotel(client, ("front_desk",))
    r = await client.patch(
        f"{API}/properties/{h['pid']}", json={"payment_policy": {"mode": "at_property"}}, headers=h["owner"]
    )
    assert r.status_code == 200, r.text
    base = f"/staff/p/{h['pid']}"
    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.10")
    form = await get(desk, f"{base}/bookings/new")
    assert form.status_code == 200 and "Confirm now" in form.text
    token = token_of(form.text)
    bad = await post(
        desk,
        f"{base}/bookings/new",
        token,
        room_type_id=h["rt"]["id"],
        checkin=d(0),
        checkout=d(0),
        contact_name="Walk In",
        contact_email="walk@example.com",
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    made = await post(
        desk, f"{base}/bookings/new", token,
        room_type_id=h["rt"]["id"], checkin=d(0), checkout=d(2), guests="2", rooms="1",
        contact_name="Walk In", contact_email="walk@example.com", contact_phone="+351912345678",
        source="walk_in", confirm="1",
    )  # fmt: skip
    assert made.status_code == 303, made.text[:1000]
    url = made.headers["location"]
    booking_id = url.rsplit("/", 1)[-1]
    page = await get(desk, url)
    assert page.status_code == 200 and "Check in" in page.text and "Cancelling now refunds" in page.text
    # search finds it by name, phone and reference
    ref = (await booking_row(ctx, booking_id)).reference
    for q in ("walk", "912345678", ref.lower()):
        assert ref in (await get(desk, f"{base}/bookings", q=q)).text, q

    # a dirty room cannot take a guest
    dirty = h["rooms"][0]["id"]
    r = await client.patch(
        f"{API}/properties/{h['pid']}/rooms/{dirty}", json={"housekeeping": "dirty"}, headers=h["owner"]
    )
    assert r.status_code == 200
    refused = await post(desk, f"{url}/check-in", token, room_id=dirty)
    assert refused.status_code == 409 and "not clean" in refused.text
    assert (await booking_row(ctx, booking_id)).status == "confirmed"
    clean = h["rooms"][1]["id"]
    assert (await post(desk, f"{url}/assign", token, room_id=clean)).status_code == 303
    r = await post(desk, f"{url}/check-in", token)
    assert r.status_code == 303 and r.headers["location"].endswith("done=checked_in")

    # an in-stay service ordered at the desk, moved through the queue (one click each) to delivered
    svc = {"code": "TOWELS", "name": "Extra towels", "category": "other", "price": "5.00", "unit": "per_item"}
    r = await client.post(f"{API}/properties/{h['pid']}/services", json=svc, headers=h["owner"])
    assert r.status_code == 201, r.text
    page = await get(desk, url)
    assert "Post service order" in page.text
    assert (await post(desk, f"{url}/orders", token, service_code="TOWELS", quantity="2")).status_code == 303
    queue = await get(desk, f"{base}/orders")
    order_id = re.search(r'id="order-([0-9a-f-]+)"', queue.text)
    assert order_id and "Extra towels" in queue.text and "Accept" in queue.text
    moved = await desk.post(
        f"{base}/orders/{order_id.group(1)}/accept",
        headers={**HTML, "HX-Request": "true", "X-CSRF-Token": token},
    )
    assert moved.status_code == 200 and "<html" not in moved.text and ">Start<" in moved.text
    assert (await post(desk, f"{base}/orders/{order_id.group(1)}/deliver", token)).status_code == 409
    for verb in ("start", "deliver"):
        assert (await post(desk, f"{base}/orders/{order_id.group(1)}/{verb}", token)).status_code == 303
    assert "delivered" in (await get(desk, url)).text

    # check-out with a balance is refused; a card payment at the desk opens the terminal
    refused = await post(desk, f"{url}/check-out", token)
    assert refused.status_code == 409
    pay = await post(desk, f"{url}/pay", token, amount="")
    assert pay.status_code == 303 and "/pay/" in pay.headers["location"], pay.text[:800]
    payment_id = pay.headers["location"].rsplit("/", 1)[-1]
    sim = await client.post(f"{API}/payments/{payment_id}/simulate", json={"outcome": "succeeded"})
    assert sim.status_code == 202, sim.text
    await runner.drain()
    out = await post(desk, f"{url}/check-out", token)
    assert out.status_code == 303, out.text[:1000]
    assert (await booking_row(ctx, booking_id)).status == "checked_out"
    pdf = await desk.get(f"{url}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    clerk = {row for row in await actors(ctx, "booking.checked_out")} | {
        row for row in await actors(ctx, "booking.checked_in")
    }
    assert clerk and None not in clerk


async def test_cancel_shows_refund_and_rates_bulk_edit(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ())
    base = f"/staff/p/{h['pid']}"
    owner = await browser_for(app, h["emails"]["owner"], "198.51.100.11")
    rates = await get(owner, f"{base}/rates", room_type_id=h["rt"]["id"])
    assert rates.status_code == 200 and "Change a range" in rates.text
    token = token_of(rates.text)
    # Mondays and Tuesdays of the next two weeks at 150.00 (2030-03-04 is a Monday)
    r = await post(
        owner,
        f"{base}/rates",
        token,
        room_type_id=h["rt"]["id"],
        **{"from": d(0)},
        until=d(13),
        price="150.00",
        wd_mon="1",
        wd_tue="1",
    )
    assert r.status_code == 303 and r.headers["location"].endswith("done=4"), r.text[:800]
    cal = await get(owner, r.headers["location"])
    assert cal.text.count("€150.00") == 4
    calendar = (
        await client.get(
            f"{API}/properties/{h['pid']}/inventory",
            params={"room_type_id": h["rt"]["id"], "from": d(0), "to": d(3)},
            headers=h["owner"],
        )
    ).json()
    assert [i["price"]["amount"] if i["price"] else None for i in calendar["items"]][:3] == [
        "150.00",
        "150.00",
        None,
    ]
    past = await post(
        owner, f"{base}/rates", token, room_type_id=h["rt"]["id"], **{"from": d(-2)}, until=d(1), price="90"
    )
    assert past.status_code == 422 and "not valid" in past.text
    assert len(await actors(ctx, "inventory.bulk_updated")) == 1

    made = await post(
        owner,
        f"{base}/bookings/new",
        token,
        room_type_id=h["rt"]["id"],
        checkin=d(5),
        checkout=d(6),
        contact_name="Phone Guest",
        contact_email="phone@example.com",
        source="phone",
    )
    assert made.status_code == 303, made.text[:800]
    page = await get(owner, made.headers["location"])
    assert re.search(r"Cancelling now refunds .*0\.00", page.text)
    r = await post(owner, made.headers["location"] + "/cancel", token, reason="changed plans")
    assert r.status_code == 303
    assert (await booking_row(ctx, made.headers["location"].rsplit("/", 1)[-1])).status == "cancelled"
