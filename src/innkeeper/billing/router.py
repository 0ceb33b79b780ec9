"""Wallet HTTP: the user's balance and ledger, admin adjustments and reconciliation (card top-ups are
a payment: ``payments.router``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from innkeeper.billing import wallet
from innkeeper.billing.models import WalletEntry
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, PlatformAdmin
from innkeeper.identity.models import User
from innkeeper.kit.errors import NotFound
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.money import Money, check_currency
from innkeeper.kit.schemas import AmountInvalid, MoneyIn, MoneyOut

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
