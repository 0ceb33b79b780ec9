"""The folio: a booking's running bill as append-only rows (charges, payments, refunds).

Nothing here is a free-floating number: every figure is a sum over ``folio_entries``.

* charges follow the booking's quote: one row per night (all rooms), then discounts, VAT (unless it
  is included in the price), city tax. :func:`sync_charges` posts only the *difference* between what
  the folio already charges and what the current quote says, so a modification adds adjusting rows;
* a payment row per succeeded payment, a refund row per succeeded refund (posted by the payment hook
  in :mod:`innkeeper.bookings.service.payment`);
* a cancellation reverses the stay's charges and charges what the policy keeps.

``balance = charges - payments + refunds``: positive is owed by the guest, negative owed to them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing.models import FolioEntry, FolioKind, SettlementStatus
from innkeeper.kit.money import Money
from innkeeper.kit.rows import add_row

#: quote line kinds that become charges, keyed by (category, service_date): a stay's nights
#: (accommodation) or a slot's time, add-ons and travel, then the shared discounts and taxes. A
#: cancellation reverses every one of them.
BOOKED_CATEGORIES = ("accommodation", "time", "addon", "travel", "loyalty", "promo", "vat", "city_tax")


class Billable(Protocol):
    """What the folio and invoices read of what they bill: a booking (``bookings`` sits above billing,
    so billing names the fields it needs instead of importing the model)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def property_id(self) -> uuid.UUID: ...
    @property
    def reference(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def total_minor(self) -> int: ...
    @property
    def quote(self) -> dict[str, Any] | None: ...
    @property
    def rooms(self) -> int: ...
    @property
    def guests(self) -> int: ...
    @property
    def checkin(self) -> date: ...
    @property
    def sold_until(self) -> date: ...
    @property
    def contact_name(self) -> str | None: ...
    @property
    def contact_email(self) -> str | None: ...
    @property
    def charges_closed(self) -> bool:
        """Cancelled or expired: its charges were closed and are never posted again."""
        ...


@dataclass(frozen=True)
class Totals:
    currency: str
    charges: int
    payments: int
    refunds: int

    @property
    def paid(self) -> int:
        """Net money held for the booking: received minus given back."""
        return self.payments - self.refunds

    @property
    def balance(self) -> int:
        return self.charges - self.paid

    @property
    def balance_due(self) -> int:
        return max(0, self.balance)

    def payment_status(self) -> SettlementStatus:
        if self.refunds > 0:
            return SettlementStatus.refunded if self.paid <= 0 else SettlementStatus.partially_refunded
        if self.payments <= 0:
            return SettlementStatus.unpaid
        if self.paid >= self.charges:
            return SettlementStatus.paid
        return SettlementStatus.partially_paid

    def to_api(self) -> dict[str, Any]:
        m = lambda minor: Money(minor, self.currency).to_api()  # noqa: E731
        return {
            "charges": m(self.charges),
            "payments": m(self.payments),
            "refunds": m(self.refunds),
            "paid": m(self.paid),
            "balance": m(self.balance),
            "balance_due": m(self.balance_due),
        }


def _minor(value: dict[str, str], currency: str) -> int:
    return Money.from_decimal(value["amount"], currency).minor


def desired_charges(b: Billable) -> dict[tuple[str, date | None], tuple[int, str]]:
    """What the current quote charges, keyed by (category, night): amount and description."""
    q = b.quote or {}
    out: dict[tuple[str, date | None], tuple[int, str]] = {}
    for night in q.get("nights", []):
        day = date.fromisoformat(night["date"])
        amount = _minor(night["price"], b.currency) * b.rooms
        out[("accommodation", day)] = (amount, f"Night of {day.isoformat()}, {b.rooms} room(s)")
    for line in q.get("lines", []):
        if line["kind"] == "accommodation" or line.get("included_in_price"):
            continue
        key = (line["kind"] if line["kind"] in BOOKED_CATEGORIES else "fee", None)
        prev = out.get(key, (0, line["description"]))[0]
        out[key] = (prev + _minor(line["amount"], b.currency), line["description"])
    if sum(a for a, _ in out.values()) != b.total_minor:  # a quote we cannot break down: one line
        out = {("accommodation", None): (b.total_minor, "Stay")}
    return out


async def entries(session: AsyncSession, booking_id: uuid.UUID) -> list[FolioEntry]:
    return list(
        (
            await session.scalars(
                select(FolioEntry)
                .where(FolioEntry.booking_id == booking_id)
                .order_by(
                    FolioEntry.created_at,
                    case({"charge": 0, "payment": 1}, value=FolioEntry.kind, else_=2),
                    FolioEntry.service_date.is_(None),
                    FolioEntry.service_date,
                    FolioEntry.id,
                )
            )
        ).all()
    )


async def totals(session: AsyncSession, b: Billable) -> Totals:
    rows = (
        await session.execute(
            select(FolioEntry.kind, func.coalesce(func.sum(FolioEntry.amount_minor), 0))
            .where(FolioEntry.booking_id == b.id)
            .group_by(FolioEntry.kind)
        )
    ).all()
    sums = {kind: int(total) for kind, total in rows}
    return Totals(
        b.currency,
        sums.get(FolioKind.charge.value, 0),
        sums.get(FolioKind.payment.value, 0),
        sums.get(FolioKind.refund.value, 0),
    )


def _add(
    session: AsyncSession,
    b: Billable,
    kind: FolioKind,
    category: str,
    description: str,
    amount: int,
    actor: Actor | None,
    *,
    service_date: date | None = None,
    payment_id: uuid.UUID | None = None,
    refund_id: uuid.UUID | None = None,
    service_order_id: uuid.UUID | None = None,
) -> None:
    """Queue a folio line: written with the transaction's next flush (``kit.rows``)."""
    row = {
        "id": uuid.uuid4(),
        "booking_id": b.id,
        "property_id": b.property_id,
        "kind": kind.value,
        "category": category,
        "description": description[:300],
        "service_date": service_date,
        "amount_minor": amount,
        "currency": b.currency,
        "payment_id": payment_id,
        "refund_id": refund_id,
        "service_order_id": service_order_id,
        "actor_user_id": actor.user_id if actor else None,
    }
    add_row(session, FolioEntry, row)


async def _charged(session: AsyncSession, b: Billable) -> dict[tuple[str, date | None], int]:
    rows = (
        await session.execute(
            select(FolioEntry.category, FolioEntry.service_date, func.sum(FolioEntry.amount_minor))
            .where(
                FolioEntry.booking_id == b.id,
                FolioEntry.kind == FolioKind.charge.value,
                # service orders' lines are not the stay's: never adjusted to the quote nor reversed
                FolioEntry.service_order_id.is_(None),
            )
            .group_by(FolioEntry.category, FolioEntry.service_date)
        )
    ).all()
    return {(cat, day): int(total) for cat, day, total in rows if int(total) != 0}


async def sync_charges(
    session: AsyncSession, b: Billable, actor: Actor | None = None, *, fresh: bool = False
) -> int:
    """Make the folio charge what the booking's quote says, posting only differences (adjusting rows
    after a modification). Returns the number of rows posted. A cancelled or expired booking's
    charges are closed (:func:`close_on_cancel`) and never re-posted. ``fresh``: the booking was
    just created in this transaction, so its folio is empty (nothing to read back; the rows are left
    for the next flush)."""
    if b.charges_closed:
        return 0
    want = desired_charges(b)
    if fresh:
        posted = 0
        for key in sorted(want, key=_order):
            amount, description = want[key]
            if amount:
                _add(session, b, FolioKind.charge, key[0], description, amount, actor, service_date=key[1])
                posted += 1
        return posted
    await session.flush()
    have = await _charged(session, b)
    posted = 0
    for key in sorted(set(want) | {k for k in have if k[0] in BOOKED_CATEGORIES}, key=_order):
        amount, description = want.get(key, (0, "removed by a change to the booking"))
        diff = amount - have.get(key, 0)
        if diff:
            adjusting = key in have
            _add(
                session,
                b,
                FolioKind.charge,
                key[0],
                f"{description} (adjustment)" if adjusting else description,
                diff,
                actor,
                service_date=key[1],
            )
            posted += 1
    if posted:
        await session.flush()
    return posted


def _order(key: tuple[str, date | None]) -> tuple[int, str]:
    cat, day = key
    rank = BOOKED_CATEGORIES.index(cat) if cat in BOOKED_CATEGORIES else len(BOOKED_CATEGORIES)
    return rank, day.isoformat() if day else ""


async def close_on_cancel(session: AsyncSession, b: Billable, keep_minor: int, actor: Actor) -> None:
    """Reverse every charge of the stay and charge what the cancellation policy keeps."""
    have = await _charged(session, b)
    for (cat, day), amount in sorted(have.items(), key=lambda kv: _order(kv[0])):
        if cat in BOOKED_CATEGORIES:
            _add(
                session,
                b,
                FolioKind.charge,
                cat,
                "Reversed: booking cancelled",
                -amount,
                actor,
                service_date=day,
            )
    if keep_minor:
        _add(session, b, FolioKind.charge, "cancellation", "Cancellation charge", keep_minor, actor)
    await session.flush()


async def post_payment(session: AsyncSession, b: Billable, payment: Any, actor: Actor) -> bool:
    """A succeeded payment lands once; ``False`` when it is there already."""
    exists = await session.scalar(
        select(FolioEntry.id).where(
            FolioEntry.kind == FolioKind.payment.value, FolioEntry.payment_id == payment.id
        )
    )
    if exists is not None:
        return False
    _add(
        session,
        b,
        FolioKind.payment,
        "payment",
        f"Payment ({payment.method}, {payment.provider})",
        payment.amount_received_minor,
        actor,
        payment_id=payment.id,
    )
    await session.flush()
    return True


async def post_refund(
    session: AsyncSession, b: Billable, payment: Any, refund: Any, actor: Actor, *, reversal: bool = False
) -> bool:
    category = "refund_reversal" if reversal else "refund"
    exists = await session.scalar(
        select(FolioEntry.id).where(
            FolioEntry.kind == FolioKind.refund.value,
            FolioEntry.refund_id == refund.id,
            FolioEntry.category == category,
        )
    )
    if exists is not None:
        return False
    if reversal and not await session.scalar(
        select(FolioEntry.id).where(FolioEntry.refund_id == refund.id, FolioEntry.category == "refund")
    ):
        return False  # it never landed: nothing to reverse
    _add(
        session,
        b,
        FolioKind.refund,
        category,
        ("Refund failed, reversed" if reversal else f"Refund to {refund.destination}"),
        -refund.amount_minor if reversal else refund.amount_minor,
        actor,
        payment_id=payment.id,
        refund_id=refund.id,
    )
    await session.flush()
    return True


async def post_service_order(
    session: AsyncSession,
    b: Billable,
    service_order_id: uuid.UUID,
    lines: list[tuple[str, str, int]],
    actor: Actor,
    *,
    service_date: date | None = None,
) -> bool:
    """Charge a delivered service order's ``lines`` (category, description, amount: its charge under
    the service's category, its VAT under ``vat``), all tagged with the order; ``False`` when the
    order is on the folio already. The caller holds the order's row lock; the partial unique index
    ``ux_folio_entries_service_order`` is the backstop against a second posting."""
    exists = await session.scalar(
        select(FolioEntry.id).where(FolioEntry.service_order_id == service_order_id).limit(1)
    )
    if exists is not None:
        return False
    for category, description, amount in lines:
        if amount:
            _add(
                session,
                b,
                FolioKind.charge,
                category,
                description,
                amount,
                actor,
                service_date=service_date,
                service_order_id=service_order_id,
            )
    await session.flush()
    return True


def entry_to_api(e: FolioEntry) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "kind": e.kind,
        "category": e.category,
        "description": e.description,
        "date": e.service_date.isoformat() if e.service_date else None,
        "amount": e.amount.to_api(),
        "payment_id": str(e.payment_id) if e.payment_id else None,
        "refund_id": str(e.refund_id) if e.refund_id else None,
        "posted_at": e.created_at.isoformat(),
    }
