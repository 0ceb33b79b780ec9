"""Wallet top-ups: a card payment whose purpose is a pending wallet credit.

The wallet ledger (``billing.wallet``) sits below payments: it only posts and settles entries. This
module starts the card payment and, through the payment hook, settles the pending credit when the
card payment succeeds or fails, and takes the money back out of the wallet when the card is refunded.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.billing import wallet
from innkeeper.billing.models import EntryKind, EntryStatus
from innkeeper.context import AppContext
from innkeeper.kit.money import Money
from innkeeper.payments import hooks, service
from innkeeper.payments.models import Payment

TOPUP = "wallet_topup"


async def start_top_up(
    ctx: AppContext, session: AsyncSession, actor: Actor, user_id: uuid.UUID, amount: Money
) -> Payment:
    """A pending wallet credit and the card payment that will complete it."""
    entry = await wallet.post(
        session,
        actor,
        user_id=user_id,
        amount=amount,
        kind=EntryKind.credit,
        status=EntryStatus.pending,
        memo="card top-up",
    )
    payment = await service.create_payment(
        ctx,
        session,
        actor,
        purpose_type=TOPUP,
        purpose_id=entry.id,
        amount=amount,
        user_id=user_id,
        description="Wallet top-up",
    )
    entry.reference_type, entry.reference_id = "payment", str(payment.id)
    return payment


@hooks.on(TOPUP)
async def top_up_outcome(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
    entry_id = uuid.UUID(outcome.payment.purpose_id)
    if outcome.kind == "succeeded":
        await wallet.settle(session, outcome.actor, entry_id, completed=True)
    elif outcome.kind == "failed":
        await wallet.settle(session, outcome.actor, entry_id, completed=False)
    elif outcome.kind == "refunded" and outcome.refund is not None and outcome.payment.user_id:
        # the card got the money back, so the wallet gives it up (refused if already spent)
        await wallet.post(
            session,
            outcome.actor,
            user_id=outcome.payment.user_id,
            amount=-outcome.refund.amount,
            kind=EntryKind.debit,
            reference=("refund", outcome.refund.id),
            memo="top-up refunded to card",
        )
