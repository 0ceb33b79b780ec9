"""Wallet HTTP: the user's balance and ledger, card top-ups, admin adjustments and reconciliation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from innkeeper.billing import reports, wallet
from innkeeper.billing.models import EntryKind, EntryStatus, WalletEntry
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, PlatformAdmin, property_roles
from innkeeper.identity.models import PropertyRole, User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import NotFound, ValidationFailed
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.money import Money, check_currency
from innkeeper.payments import service as payments
from innkeeper.payments.errors import AmountInvalid
from innkeeper.payments.schemas import MoneyIn, MoneyOut, PaymentOut

router = APIRouter(route_class=UnitOfWorkRoute, tags=["wallet"])


class EntryOut(BaseModel):
    id: uuid.UUID
    kind: str
    status: str
    amount: MoneyOut
    reference_type: str | None
    reference_id: str | None
    memo: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, entry: WalletEntry) -> EntryOut:
        return cls(
            id=entry.id,
            kind=entry.kind,
            status=entry.status,
            amount=MoneyOut(**entry.amount.to_api()),
            reference_type=entry.reference_type,
            reference_id=entry.reference_id,
            memo=entry.memo,
            created_at=entry.created_at,
            completed_at=entry.completed_at,
        )


class WalletOut(BaseModel):
    balance: MoneyOut
    balances: list[MoneyOut]
    items: list[EntryOut]
    total: int


class TopUpIn(BaseModel):
    amount: MoneyIn


class AdjustmentIn(BaseModel):
    amount: MoneyIn = Field(description="Signed: negative takes money out of the wallet")
    reason: str = Field(min_length=3, max_length=500)


@router.get("/users/me/wallet", response_model=WalletOut)
async def my_wallet(
    session: DbSession,
    user: CurrentUser,
    ctx: Ctx,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> WalletOut:
    """``{balance, items}``: the balance is derived from completed ledger entries (and reconciled)."""
    accounts = await wallet.currencies(session, user.id)
    chosen = (
        check_currency(currency)
        if currency
        else (accounts[0].currency if len(accounts) == 1 else ctx.settings.wallet_default_currency)
    )
    items, total = await wallet.statement(session, user.id, chosen, limit=limit, offset=offset)
    return WalletOut(
        balance=MoneyOut(**(await wallet.balance(session, user.id, chosen)).to_api()),
        balances=[MoneyOut(**a.balance.to_api()) for a in accounts],
        items=[EntryOut.of(e) for e in items],
        total=total,
    )


@router.post(
    "/users/me/wallet/top-ups",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
)
async def top_up(
    body: TopUpIn, session: DbSession, user: CurrentUser, actor: ActorDep, ctx: Ctx
) -> PaymentOut:
    """Add money by card: a pending credit that completes when the card payment succeeds."""
    amount = body.amount.positive()
    entry = await wallet.post(
        session,
        actor,
        user_id=user.id,
        amount=amount,
        kind=EntryKind.credit,
        status=EntryStatus.pending,
        memo="card top-up",
    )
    payment = await payments.create_payment(
        ctx,
        session,
        actor,
        purpose_type=wallet.TOPUP,
        purpose_id=entry.id,
        amount=amount,
        user_id=user.id,
        description="Wallet top-up",
    )
    entry.reference_type, entry.reference_id = "payment", str(payment.id)
    return PaymentOut.of(ctx, payment)


admin = APIRouter(route_class=UnitOfWorkRoute, tags=["admin"], prefix="/admin")


@admin.post(
    "/wallets/{user_id}/adjustments",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
)
async def adjust(
    user_id: uuid.UUID, body: AdjustmentIn, session: DbSession, _admin: PlatformAdmin, actor: ActorDep
) -> EntryOut:
    if await session.get(User, user_id) is None:
        raise NotFound("No such user", code="identity.user_not_found")
    amount: Money = body.amount.money()
    if amount.minor == 0:
        raise AmountInvalid("An adjustment needs a non-zero amount")
    entry = await wallet.adjust(session, actor, user_id=user_id, amount=amount, reason=body.reason)
    return EntryOut.of(entry)


@admin.get("/wallets/reconcile")
async def reconcile(session: DbSession, _admin: PlatformAdmin) -> dict[str, Any]:
    mismatches = await wallet.reconcile(session)
    return {
        "ok": not mismatches,
        "mismatches": [
            {
                "account_id": str(m.account_id),
                "user_id": str(m.user_id),
                "stored": Money(m.stored_minor, m.currency).to_api(),
                "ledger": Money(m.ledger_minor, m.currency).to_api(),
            }
            for m in mismatches
        ],
    }


# -- reconciliation reports ----------------------------------------------------------------------------------


@admin.get("/billing/reconcile")
async def reconcile_all(session: DbSession, _admin: PlatformAdmin) -> dict[str, Any]:
    """Every booking's folio against its payments and refunds, and every wallet against its ledger."""
    checked, findings = await reports.reconcile(session)
    return {"ok": not findings, "bookings_checked": checked, "findings": [f.to_api() for f in findings]}


@router.get("/properties/{property_id}/reports/payments")
async def payments_report(
    property_id: uuid.UUID,
    session: DbSession,
    _staff: Annotated[User, Depends(property_roles(PropertyRole.owner, PropertyRole.manager))],
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """Payments and refunds of the property's bookings per UTC day and gateway, for [from, to)."""
    start, end = reports.day_range(from_, to, utcnow().date())
    if end <= start or (end - start).days > 366:
        raise ValidationFailed("Choose a range of 1 to 366 days", code="report.range")
    items = await reports.payments_by_day(session, start, end, property_id=property_id)
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items, "total": len(items)}
