"""Folio, invoices (JSON and PDF, gapless numbers per property, credit notes) and consolidated check-out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from innkeeper.billing.models import Invoice
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from innkeeper.kit.jobs import JobRunner
from innkeeper.kit.money import Money
from tests.billing.support import customer, eur, get, pay, policies, simulate
from tests.bookings.support import book, hotel
from tests.catalog_support import freeze
from tests.helpers import API, assert_problem
from tests.payments.support import count


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}


async def checked_in(
    client: httpx.AsyncClient, h: dict[str, Any], me: dict[str, str], **kw: Any
) -> dict[str, Any]:
    b = await book(client, h, me, start=1, end=3, **kw)
    r = await client.post(f"{API}/bookings/{b['id']}/confirm", headers=h["owner"])
    assert r.status_code == 200, r.text
    clock.advance(timedelta(days=1))
    r = await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={})
    assert r.status_code == 200, r.text
    return b


async def test_consolidated_checkout_by_wallet_issues_and_emails_the_invoice(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    await policies(client, h, payment_policy={"mode": "at_property"})
    await policies(client, h, vat_percent="10", city_tax=eur("2.50"))
    me, _ = await customer(client, ctx, Money(100000, "EUR"))
    b = await checked_in(client, h, me)
    draft = (await client.get(f"{API}/bookings/{b['id']}/invoice", headers=me)).json()
    assert draft["kind"] == "draft" and draft["number"] is None
    assert draft["balance_due"] == b["balance_due"] and draft["seller"]["name"] == h["prop"]["name"]
    assert b["total"] == eur("230.00")  # 200.00 + 10 % VAT + 2.50 x 2 guests x 2 nights
    assert [t["kind"] for t in draft["taxes"]] == ["city_tax", "vat"]
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"]),
        409,
        "booking.balance_due",
    )
    assert_problem(
        await client.post(f"{API}/bookings/{b['id']}/check-out", headers=me, json={"settle": "wallet"}), 404
    )
    r = await client.post(
        f"{API}/bookings/{b['id']}/check-out", headers=h["owner"], json={"settle": "wallet"}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert (
        out["status"] == "checked_out"
        and out["payment_status"] == "paid"
        and out["balance_due"] == eur("0.00")
    )
    number = out["invoice"]["number"]
    assert number.startswith("INV-") and number.endswith("-000001")
    inv = (await client.get(f"{API}/bookings/{b['id']}/invoice", headers=me)).json()
    assert inv["number"] == number and inv["kind"] == "invoice" and inv["balance_due"] == eur("0.00")
    assert inv["total"] == b["total"] and [p["kind"] for p in inv["payments"]] == ["payment"]
    assert (
        sum(Money.from_decimal(x["amount"]["amount"], "EUR").minor for x in inv["lines"])
        == Money.from_decimal(b["total"]["amount"], "EUR").minor
    )
    pdf = await client.get(f"{API}/bookings/{b['id']}/invoice.pdf", headers=me)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"%%EOF" in pdf.content[-64:]
    await runner.drain()
    mails = (await client.get("/dev/outbox.json")).json()["items"]
    sent = [m for m in mails if m["subject"].startswith(f"Your invoice {number}")]
    assert len(sent) == 1 and sent[0]["attachments"] == [f"{number}.pdf"]
    wallet = (await client.get(f"{API}/users/me/wallet", headers=me)).json()
    assert (
        Money.from_decimal(wallet["balance"]["amount"], "EUR").minor
        == 100000 - Money.from_decimal(b["total"]["amount"], "EUR").minor
    )


async def test_invoice_numbers_are_gapless_per_property_and_credit_notes_reverse(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await hotel(client, rooms=3)
    other = await hotel(client)
    me, _ = await customer(client, ctx, Money(500000, "EUR"))
    numbers = []
    for hh, start in ((h, 5), (other, 5), (h, 7)):
        b = await book(client, hh, me, start=start, end=start + 1)
        await pay(client, b["id"], me, method="wallet")
        r = await client.post(f"{API}/bookings/{b['id']}/invoice", headers=hh["owner"])
        assert r.status_code == 201, r.text
        numbers.append((hh["pid"], r.json()["sequence"], b["id"]))
        again = await client.post(f"{API}/bookings/{b['id']}/invoice", headers=hh["owner"])
        assert again.json()["sequence"] == r.json()["sequence"]  # issued once
    assert [(n[0], n[1]) for n in numbers] == [(h["pid"], 1), (other["pid"], 1), (h["pid"], 2)]
    first = numbers[0][2]
    assert_problem(await client.post(f"{API}/bookings/{first}/invoice", headers=me), 404)
    before = (await client.get(f"{API}/bookings/{first}/invoice", headers=me)).json()
    r = await client.post(
        f"{API}/bookings/{first}/invoice/credit-note", headers=h["owner"], json={"reason": "typo"}
    )
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["kind"] == "credit_note" and note["sequence"] == 3 and note["credits"] == before["number"]
    assert note["total"] == {"amount": "-" + before["total"]["amount"], "currency": "EUR"}
    assert_problem(await client.post(f"{API}/bookings/{first}/invoice/credit-note", headers=h["owner"]), 409)
    # the credited invoice is unchanged; a new one can be issued with the next number
    r = await client.post(f"{API}/bookings/{first}/invoice", headers=h["owner"])
    assert r.json()["sequence"] == 4
    assert await count(ctx, Invoice) == 5
    docs = (await client.get(f"{API}/bookings/{first}/invoice", headers=me)).json()["documents"]
    assert [x["kind"] for x in docs] == ["invoice", "credit_note", "invoice"]


async def test_checkout_by_card_completes_when_the_payment_succeeds(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    await policies(client, h, payment_policy={"mode": "deposit", "deposit_percent": 50})
    me, _ = await customer(client, ctx)
    b = await book(client, h, me, start=1, end=3)
    p = await pay(client, b["id"], me)
    assert p["amount"] == eur("100.00")
    await simulate(client, runner, p["id"])
    assert (await get(client, b["id"], me))["status"] == "confirmed"
    clock.advance(timedelta(days=1))
    assert (
        await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={})
    ).status_code == 200
    r = await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"], json={"settle": "card"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "checked_in" and r.json()["payments"][0]["amount"] == eur("100.00")
    await simulate(client, runner, r.json()["payments"][0]["id"])
    seen = await get(client, b["id"], me)
    assert seen["status"] == "checked_out" and seen["payment_status"] == "paid"
    inv = (await client.get(f"{API}/bookings/{b['id']}/invoice", headers=me)).json()
    assert inv["kind"] == "invoice" and len(inv["payments"]) == 2
