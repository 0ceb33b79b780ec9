"""Delivered orders on the folio (once), the running bill, the check-out gate, cancelled bookings."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from innkeeper.billing.models import FolioEntry
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from tests.billing.support import pay, simulate
from tests.catalog_support import freeze, user
from tests.extras.support import at, catalog_hotel, check_in, confirmed, move, order
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def service_rows(ctx: AppContext, order_id: str) -> list[tuple[str, int]]:
    async with ctx.db.unit_of_work(write=False) as session:
        rows = await session.execute(
            select(FolioEntry.category, FolioEntry.amount_minor)
            .where(FolioEntry.service_order_id == uuid.UUID(order_id))
            .order_by(FolioEntry.category)
        )
    return [(c, int(a)) for c, a in rows.all()]


async def deliver_all(client: httpx.AsyncClient, order_id: str, headers: dict[str, str]) -> dict[str, str]:
    for verb in ("accept", "start"):
        await move(client, order_id, verb, headers)
    delivered = await move(client, order_id, "deliver", headers)
    return delivered


async def test_delivery_posts_once_running_bill_and_check_out_gate(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await catalog_hotel(client)
    me = await user(client)
    b = await confirmed(client, h, me, start=0, end=3)
    await check_in(client, h, b["id"])
    bill = (await client.get(f"{API}/bookings/{b['id']}/invoice", headers=me)).json()
    stay_total = Decimal(bill["total"]["amount"])
    stay_vat = Decimal(next(t for t in bill["taxes"] if t["kind"] == "vat")["amount"]["amount"])
    spa = await order(client, b["id"], me, service_code="SPA")
    await deliver_all(client, spa["id"], h["owner"])
    again = await move(client, spa["id"], "deliver", h["owner"])  # a retry: answered, not posted again
    assert again["status"] == "delivered" and again["delivered_at"]
    assert await service_rows(ctx, spa["id"]) == [("spa", 8000), ("vat", 800)]
    # the running bill: room nights and the service together, with its VAT in the taxes
    bill = (await client.get(f"{API}/bookings/{b['id']}/invoice", headers=me)).json()
    lines = [(line["category"], line["amount"]["amount"]) for line in bill["lines"]]
    assert ("spa", "80.00") in lines and ("vat", "8.00") in lines
    assert Decimal(bill["total"]["amount"]) == stay_total + 88
    assert bill["balance_due"] == bill["total"]
    vat = next(t for t in bill["taxes"] if t["kind"] == "vat")
    assert Decimal(vat["amount"]["amount"]) == stay_vat + 8
    # the guest pays the whole running bill; an open order still keeps the booking from checking out
    laundry = await order(client, b["id"], me, service_code="LAUNDRY", scheduled_for=at(1, "09:00"))
    payment = await pay(client, b["id"], me)
    await simulate(client, runner, payment["id"])
    booking = (await client.get(f"{API}/bookings/{b['id']}", headers=me)).json()
    assert booking["payment_status"] == "paid" and booking["balance_due"]["amount"] == "0.00"
    r = await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"])
    assert_problem(r, 409, "checkout.open_service_orders")
    await move(client, laundry["id"], "accept", h["owner"])
    assert_problem(await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"]), 409)
    await move(client, laundry["id"], "cancel", h["owner"])
    r = await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "checked_out"
    invoice = (await client.get(f"{API}/bookings/{b['id']}/invoice", headers=me)).json()
    assert invoice["kind"] == "invoice" and ("spa", "80.00") in [
        (line["category"], line["amount"]["amount"]) for line in invoice["lines"]
    ]
    # nothing is ordered on a checked-out booking
    r = await client.post(
        f"{API}/bookings/{b['id']}/service-orders", headers=me, json={"service_code": "SPA"}
    )
    assert_problem(r, 409, "service.not_available_now")


async def test_cancelling_the_booking_cancels_open_orders_and_keeps_delivered_ones(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await catalog_hotel(client)
    me = await user(client)
    b = await confirmed(client, h, me, start=2, end=4)
    basket = await order(client, b["id"], me, service_code="WELCOME")
    await deliver_all(client, basket["id"], h["owner"])
    spa = await order(client, b["id"], me, service_code="SPA")
    await move(client, spa["id"], "accept", h["owner"])
    r = await client.post(f"{API}/bookings/{b['id']}/cancel", headers=me, json={"reason": "plans changed"})
    assert r.status_code == 200, r.text
    listed = {
        o["id"]: o
        for o in (await client.get(f"{API}/bookings/{b['id']}/service-orders", headers=me)).json()["items"]
    }
    assert listed[spa["id"]]["status"] == "cancelled" and listed[spa["id"]]["reason"] == "booking cancelled"
    assert listed[basket["id"]]["status"] == "delivered"
    # the stay's charges are reversed, the delivered basket stays on the folio
    assert await service_rows(ctx, basket["id"]) == [("food", 3000), ("vat", 300)]
    folio = (await client.get(f"{API}/bookings/{b['id']}/folio", headers=me)).json()
    charges = sum(Decimal(e["amount"]["amount"]) for e in folio["items"] if e["kind"] == "charge")
    assert charges == Decimal("33.00")
    assert await service_rows(ctx, spa["id"]) == []
    r = await client.post(
        f"{API}/bookings/{b['id']}/service-orders", headers=me, json={"service_code": "SPA"}
    )
    assert_problem(r, 409, "service.not_available_now")
