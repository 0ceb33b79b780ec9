"""Reconciliation: money per day and gateway, and the check that the ledgers agree with each other.

* :func:`payments_by_day` — succeeded payments and succeeded refunds per UTC day and provider
  (``simulated``, ``stripe``, ``wallet``), optionally for one property's bookings.
* :func:`reconcile` — for every booking: the folio's payment rows equal what its succeeded payments
  received, its refund rows equal its succeeded refunds, the stored ``payment_status`` equals the one
  derived from the folio, and a closed booking (checked out, cancelled) has a zero balance; plus every
  wallet balance equals its ledger (:func:`innkeeper.billing.wallet.reconcile`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.billing import folio, wallet
from innkeeper.billing.models import FolioEntry
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.service.payment import PURPOSE
from innkeeper.kit.money import Money
from innkeeper.payments.models import Payment, PaymentStatus, Refund, RefundStatus


async def payments_by_day(
    session: AsyncSession, start: date, end: date, *, property_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Rows ``{date, provider, currency, payments, payments_count, refunds, refunds_count, net}`` for
    days in [start, end) (UTC), sorted by day and provider."""
    lo = datetime.combine(start, time(), tzinfo=UTC)
    hi = datetime.combine(end, time(), tzinfo=UTC)
    purposes: set[str] | None = None
    if property_id is not None:
        ids = (await session.scalars(select(Booking.id).where(Booking.property_id == property_id))).all()
        purposes = {str(i) for i in ids}
    acc: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    pays = (
        await session.scalars(
            select(Payment).where(
                Payment.status == PaymentStatus.succeeded.value,
                Payment.succeeded_at >= lo,
                Payment.succeeded_at < hi,
            )
        )
    ).all()
    for p in pays:
        if purposes is not None and (p.purpose_type != PURPOSE or p.purpose_id not in purposes):
            continue
        assert p.succeeded_at is not None
        row = acc[(p.succeeded_at.astimezone(UTC).date(), p.provider, p.currency)]
        row[0] += p.amount_received_minor
        row[1] += 1
    refunds = (
        await session.execute(
            select(Refund, Payment)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(
                Refund.status == RefundStatus.succeeded.value,
                Refund.updated_at >= lo,
                Refund.updated_at < hi,
            )
        )
    ).all()
    for r, p in refunds:
        if purposes is not None and (p.purpose_type != PURPOSE or p.purpose_id not in purposes):
            continue
        provider = "wallet" if r.destination == "wallet" else p.provider
        row = acc[(r.updated_at.astimezone(UTC).date(), provider, r.currency)]
        row[2] += r.amount_minor
        row[3] += 1
    out = []
    for (day, provider, currency), (paid, n_paid, refunded, n_refunded) in sorted(acc.items()):
        m = lambda minor: Money(minor, currency).to_api()  # noqa: E731, B023
        out.append(
            {
                "date": day.isoformat(),
                "provider": provider,
                "currency": currency,
                "payments": m(paid),
                "payments_count": n_paid,
                "refunds": m(refunded),
                "refunds_count": n_refunded,
                "net": m(paid - refunded),
            }
        )
    return out


@dataclass(frozen=True)
class Finding:
    kind: str  # folio_payments | folio_refunds | payment_status | closed_balance | wallet
    subject: str  # booking or wallet account id
    expected: str
    found: str

    def to_api(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "expected": self.expected, "found": self.found}


async def reconcile(session: AsyncSession) -> tuple[int, list[Finding]]:
    """``(bookings checked, findings)``; no findings means every ledger agrees."""
    findings: list[Finding] = []
    received: dict[str, int] = defaultdict(int)
    refunded: dict[str, int] = defaultdict(int)
    for p in (
        await session.scalars(
            select(Payment).where(
                Payment.purpose_type == PURPOSE, Payment.status == PaymentStatus.succeeded.value
            )
        )
    ).all():
        received[p.purpose_id] += p.amount_received_minor
    for r, purpose_id in (
        await session.execute(
            select(Refund, Payment.purpose_id)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.purpose_type == PURPOSE, Refund.status == RefundStatus.succeeded.value)
        )
    ).all():
        refunded[purpose_id] += r.amount_minor
    with_money = set(received) | {
        str(i) for i in (await session.scalars(select(FolioEntry.booking_id).distinct())).all()
    }
    checked = 0
    for b in (await session.scalars(select(Booking).order_by(Booking.id))).all():
        key = str(b.id)
        if key not in with_money:
            continue
        checked += 1
        t = await folio.totals(session, b)
        m = lambda minor: str(Money(minor, b.currency))  # noqa: E731, B023
        if t.payments != received[key]:
            findings.append(Finding("folio_payments", key, m(received[key]), m(t.payments)))
        if t.refunds != refunded[key]:
            findings.append(Finding("folio_refunds", key, m(refunded[key]), m(t.refunds)))
        if b.payment_status != t.payment_status().value:
            findings.append(Finding("payment_status", key, t.payment_status().value, b.payment_status))
        if b.status in (Status.checked_out, Status.cancelled) and t.balance != 0:
            findings.append(Finding("closed_balance", key, m(0), m(t.balance)))
    for w in await wallet.reconcile(session):
        findings.append(
            Finding(
                "wallet",
                str(w.account_id),
                str(Money(w.ledger_minor, w.currency)),
                str(Money(w.stored_minor, w.currency)),
            )
        )
    return checked, findings


def day_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    end = end or today + timedelta(days=1)
    return (start or end - timedelta(days=31)), end
