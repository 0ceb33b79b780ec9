"""Invoices: frozen snapshots of a folio, numbered per property without gaps; credit notes reverse them.

The number comes from the property's row in ``invoice_counters``, locked ``FOR UPDATE`` (SQLite: the
write transaction is ``BEGIN IMMEDIATE``, so writers are serialised anyway) and incremented in the same
transaction as the invoice row, so a rolled-back issue leaves no gap and two issues never share a
number (``UNIQUE (property_id, number)`` is the backstop).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.billing import folio
from innkeeper.billing.folio import Billable
from innkeeper.billing.models import FolioKind, Invoice, InvoiceCounter
from innkeeper.catalog.models import Property
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import insert_for
from innkeeper.kit.errors import Conflict
from innkeeper.kit.money import Money


class InvoiceConflict(Conflict):
    code = "invoice.conflict"
    title = "The invoice cannot be issued"


async def next_number(session: AsyncSession, property_id: uuid.UUID) -> int:
    await session.execute(
        insert_for(session, InvoiceCounter)
        .values(property_id=property_id, last_number=0)
        .on_conflict_do_nothing(index_elements=["property_id"])
    )
    current = await session.scalar(
        select(InvoiceCounter.last_number).where(InvoiceCounter.property_id == property_id).with_for_update()
    )
    number = int(current or 0) + 1
    await session.execute(
        update(InvoiceCounter).where(InvoiceCounter.property_id == property_id).values(last_number=number)
    )
    return number


def display_number(prop: Property, number: int, kind: str) -> str:
    prefix = "CN" if kind == "credit_note" else "INV"
    return f"{prefix}-{prop.slug.upper()}-{number:06d}"


async def document(session: AsyncSession, b: Billable) -> dict[str, Any]:
    """The folio as an invoice body (not numbered): seller, buyer, lines, taxes, payments, totals."""
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    rows = await folio.entries(session, b.id)
    t = await folio.totals(session, b)
    m = lambda minor: Money(minor, b.currency).to_api()  # noqa: E731
    charges = [folio.entry_to_api(e) for e in rows if e.kind == FolioKind.charge]
    money_rows = [folio.entry_to_api(e) for e in rows if e.kind != FolioKind.charge]
    taxes: dict[str, int] = {}
    for e in rows:
        if e.kind == FolioKind.charge and e.category in ("vat", "city_tax"):
            taxes[e.category] = taxes.get(e.category, 0) + e.amount_minor
    included = [line for line in (b.quote or {}).get("lines", []) if line.get("included_in_price")]
    return {
        "booking_id": str(b.id),
        "reference": b.reference,
        "currency": b.currency,
        "seller": {
            "name": prop.name,
            "address": prop.address,
            "city": prop.city,
            "country": prop.country,
            "vat_rate": str(prop.vat_bp / 100) if prop.vat_bp else None,
        },
        "buyer": {"name": b.contact_name, "email": b.contact_email},
        "stay": {
            "checkin": b.checkin.isoformat(),
            "checkout": b.sold_until.isoformat(),
            "rooms": b.rooms,
            "guests": b.guests,
        },
        "lines": charges,
        "taxes": [{"kind": k, "amount": m(v)} for k, v in sorted(taxes.items())]
        + [
            {"kind": "vat_included", "amount": line["amount"], "description": line["description"]}
            for line in included
        ],
        **t.to_api(),
        "received": m(t.payments),
        "refunded": m(t.refunds),
        "payments": money_rows,  # the rows: payments and refunds
        "total": m(t.charges),
    }


async def issued(session: AsyncSession, booking_id: uuid.UUID) -> list[Invoice]:
    return list(
        (
            await session.scalars(
                select(Invoice).where(Invoice.booking_id == booking_id).order_by(Invoice.number)
            )
        ).all()
    )


async def current(session: AsyncSession, booking_id: uuid.UUID) -> Invoice | None:
    """The latest invoice that no credit note reverses."""
    rows = await issued(session, booking_id)
    credited = {i.credited_invoice_id for i in rows if i.kind == "credit_note"}
    live = [i for i in rows if i.kind == "invoice" and i.id not in credited]
    return live[-1] if live else None


async def issue(session: AsyncSession, b: Billable, actor: Actor) -> Invoice:
    """Issue (or return the live) invoice of the booking's folio as it stands."""
    existing = await current(session, b.id)
    if existing is not None:
        return existing
    await folio.sync_charges(session, b, actor)
    body = await document(session, b)
    if not body["lines"]:
        raise InvoiceConflict("There is nothing to invoice")
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    number = await next_number(session, b.property_id)
    t = await folio.totals(session, b)
    inv = Invoice(
        id=uuid.uuid4(),
        property_id=b.property_id,
        booking_id=b.id,
        number=number,
        kind="invoice",
        currency=b.currency,
        total_minor=t.charges,
        issued_at=utcnow(),
        issued_by=actor.user_id,
        snapshot={**body, "number": display_number(prop, number, "invoice"), "kind": "invoice"},
    )
    session.add(inv)
    await session.flush()
    record(
        session,
        actor,
        "invoice.issued",
        "invoice",
        inv.id,
        property_id=b.property_id,
        after={"number": number, "booking_id": str(b.id), "total": Money(t.charges, b.currency).to_api()},
    )
    return inv


async def credit(session: AsyncSession, b: Billable, actor: Actor, reason: str | None) -> Invoice:
    """A credit note reversing the live invoice (which stays as it was)."""
    original = await current(session, b.id)
    if original is None:
        raise InvoiceConflict("The booking has no invoice to credit")
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    number = await next_number(session, b.property_id)
    snap = dict(original.snapshot)
    neg = lambda v: Money(-Money.from_decimal(v["amount"], b.currency).minor, b.currency).to_api()  # noqa: E731
    snap["lines"] = [{**line, "amount": neg(line["amount"])} for line in snap.get("lines", [])]
    snap["taxes"] = [{**tax, "amount": neg(tax["amount"])} for tax in snap.get("taxes", [])]
    snap["total"] = neg(snap["total"])
    snap.update(
        kind="credit_note",
        number=display_number(prop, number, "credit_note"),
        credits=original.snapshot.get("number"),
        reason=reason,
    )
    note = Invoice(
        id=uuid.uuid4(),
        property_id=b.property_id,
        booking_id=b.id,
        number=number,
        kind="credit_note",
        credited_invoice_id=original.id,
        currency=b.currency,
        total_minor=-original.total_minor,
        issued_at=utcnow(),
        issued_by=actor.user_id,
        snapshot=snap,
    )
    session.add(note)
    await session.flush()
    record(
        session,
        actor,
        "invoice.credited",
        "invoice",
        note.id,
        property_id=b.property_id,
        after={"number": number, "credits": original.number, "reason": reason},
    )
    return note


def invoice_to_api(inv: Invoice) -> dict[str, Any]:
    return {
        "id": str(inv.id),
        "number": inv.snapshot.get("number"),
        "sequence": inv.number,
        "kind": inv.kind,
        "issued_at": inv.issued_at.isoformat(),
        "credited_invoice_id": str(inv.credited_invoice_id) if inv.credited_invoice_id else None,
        **{k: v for k, v in inv.snapshot.items() if k not in ("number", "kind")},
    }


async def view(session: AsyncSession, b: Billable) -> dict[str, Any]:
    """``GET /bookings/{id}/invoice``: the live invoice if one was issued, else the folio as a draft;
    always with the folio as it stands now."""
    inv = await current(session, b.id)
    live = await document(session, b)
    out: dict[str, Any] = (
        invoice_to_api(inv) if inv is not None else {**live, "number": None, "kind": "draft"}
    )
    out["folio"] = {k: live[k] for k in ("lines", "payments", "charges", "paid", "balance", "balance_due")}
    out["documents"] = [
        {
            "id": str(i.id),
            "number": i.snapshot.get("number"),
            "kind": i.kind,
            "issued_at": i.issued_at.isoformat(),
        }
        for i in await issued(session, b.id)
    ]
    return out
