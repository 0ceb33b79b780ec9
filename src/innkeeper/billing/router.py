"""Wallet HTTP: the user's balance and ledger, admin adjustments and reconciliation (card top-ups are
a payment: ``payments.router``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from innkeeper.billing import wallet
from innkeeper.billing.errors import InsufficientFunds
from innkeeper.billing.schemas import EntryOut, WalletOut, WalletReconcileOut
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, PlatformAdmin
from innkeeper.identity.models import User
from innkeeper.kit.errors import NotFound
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.money import Money, check_currency
from innkeeper.kit.problems import IDEMPOTENT, JSON_WRITE, problem_responses
from innkeeper.kit.schemas import AmountInvalid, CurrencyMismatch, MoneyIn, MoneyOut

router = APIRouter(route_class=UnitOfWorkRoute, tags=["wallet"], responses=problem_responses(401, 422))


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


admin = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["admin"],
    prefix="/admin",
    responses=problem_responses(401, (403, "auth.admin_only")),
)


@admin.post(
    "/wallets/{user_id}/adjustments",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    responses=problem_responses(
        *JSON_WRITE,
        (404, "identity.user_not_found"),
        AmountInvalid,
        CurrencyMismatch,
        InsufficientFunds,
        *IDEMPOTENT,
    ),
)
async def adjust(
    user_id: uuid.UUID,
    body: AdjustmentIn,
    session: DbSession,
    _admin: PlatformAdmin,
    actor: ActorDep,
    ctx: Ctx,
) -> EntryOut:
    if await session.get(User, user_id) is None:
        raise NotFound("No such user", code="identity.user_not_found")
    currency = await wallet.currency_of(session, user_id, body.amount, ctx.settings.wallet_default_currency)
    amount = body.amount.resolve(currency, mismatch=CurrencyMismatch)
    if amount.minor == 0:
        raise AmountInvalid("An adjustment needs a non-zero amount")
    entry = await wallet.adjust(session, actor, user_id=user_id, amount=amount, reason=body.reason)
    return EntryOut.of(entry)


@admin.get("/wallets/reconcile", response_model=WalletReconcileOut)
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
