"""Payment and refund use cases. Services never commit; the request or job owns the transaction.

Where the gateway is called (invariant 8: no outside calls in the middle of a data transaction):

* The simulated gateway does no I/O, so its intent is made inline and ``checkout_url`` is in the
  201 response.
* Stripe: :func:`create_payment` writes the payment (``requires_payment``) and enqueues
  ``payments.create_intent`` in the same transaction. After commit a job calls Stripe with the
  idempotency key ``innkeeper-payment-<payment id>`` (a retried job gets the same intent back) and
  stores the intent id and ``client_secret``; clients read it from ``GET /payments/{id}``. Refunds
  work the same way with ``innkeeper-refund-<refund id>``.
* Wallet payments move money inside the transaction: the ledger is ours.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.billing import wallet
from innkeeper.billing.models import EntryKind
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import enqueue
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import AmountInvalid, CurrencyMismatch
from innkeeper.payments import hooks
from innkeeper.payments.errors import (
    NotRefundable,
    PaymentMethodUnavailable,
    PaymentNotFound,
    RefundExceeds,
)
from innkeeper.payments.gateways import IntentRequest
from innkeeper.payments.gateways.registry import gateway
from innkeeper.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundDestination,
    RefundStatus,
)

CREATE_INTENT_JOB = "payments.create_intent"
CANCEL_INTENT_JOB = "payments.cancel_intent"
EXECUTE_REFUND_JOB = "payments.execute_refund"
PROCESS_EVENT_JOB = "payments.process_event"
OPEN = (PaymentStatus.requires_payment.value, PaymentStatus.processing.value)


def payment_key(payment_id: uuid.UUID) -> str:
    return f"innkeeper-payment-{payment_id}"


def refund_key(refund_id: uuid.UUID) -> str:
    return f"innkeeper-refund-{refund_id}"


def checkout_url(ctx: AppContext, payment: Payment) -> str | None:
    if payment.provider != "simulated" or payment.status not in OPEN:
        return None
    return f"{ctx.settings.public_url.rstrip('/')}/pay/{payment.id}"


def _positive(amount: Money) -> None:
    if amount.minor <= 0:
        raise AmountInvalid("The amount must be greater than zero")


def _snapshot(payment: Payment) -> dict[str, Any]:
    return {
        "status": payment.status,
        "amount": payment.amount.to_api(),
        "received": payment.received.to_api(),
        "refunded": payment.refunded.to_api(),
    }


async def get(session: AsyncSession, payment_id: uuid.UUID, *, lock: bool = False) -> Payment:
    payment = await session.get(Payment, payment_id, with_for_update=lock, populate_existing=lock)
    if payment is None:
        raise PaymentNotFound("No such payment")
    return payment


async def create_payment(
    ctx: AppContext,
    session: AsyncSession,
    actor: Actor,
    *,
    purpose_type: str,
    purpose_id: Any,
    amount: Money,
    method: PaymentMethod | str = PaymentMethod.card,
    user_id: uuid.UUID | None = None,
    connected_account: str | None = None,
    application_fee: Money | None = None,
    description: str | None = None,
    property_id: uuid.UUID | None = None,
) -> Payment:
    """Start a payment of ``amount`` for (``purpose_type``, ``purpose_id``).

    ``card``: a gateway intent (see the module docstring for when the gateway is called). ``wallet``:
    debits the user's wallet at once and succeeds in this transaction (hooks fire here);
    ``wallet.insufficient_funds`` when the wallet holds less.
    """
    _positive(amount)
    method = PaymentMethod(method)
    if application_fee is not None:
        if application_fee.currency != amount.currency:
            raise CurrencyMismatch("The application fee must be in the payment currency")
        if not 0 <= application_fee.minor <= amount.minor:
            raise AmountInvalid("The application fee must be between zero and the amount")
    provider = "wallet" if method == PaymentMethod.wallet else ctx.settings.payment_provider
    if method == PaymentMethod.wallet and user_id is None:
        raise PaymentMethodUnavailable("Paying from a wallet needs a signed-in user")
    if method == PaymentMethod.card and connected_account is None and property_id is not None:
        # a property paid out through Stripe Connect: a destination charge (resolved by integrations)
        if (dest := await hooks.resolve_destination(ctx, session, property_id, amount)) is not None:
            connected_account, application_fee = dest.account, dest.application_fee
    payment = Payment(
        id=uuid.uuid4(),
        user_id=user_id,
        purpose_type=purpose_type,
        purpose_id=str(purpose_id),
        method=method.value,
        provider=provider,
        status=PaymentStatus.requires_payment.value,
        amount_minor=amount.minor,
        currency=amount.currency,
        amount_received_minor=0,
        amount_refunded_minor=0,
        connected_account=connected_account,
        application_fee_minor=application_fee.minor if application_fee is not None else None,
        details={"description": description} if description else {},
    )
    session.add(payment)
    await session.flush()
    record(
        session,
        actor,
        "payment.created",
        "payment",
        payment.id,
        property_id=property_id,
        after=_snapshot(payment),
    )
    if method == PaymentMethod.wallet:
        assert user_id is not None
        await wallet.debit(
            session,
            actor,
            user_id=user_id,
            amount=amount,
            reference=("payment", payment.id),
            memo=description,
        )
        payment.gateway_ref = f"wallet_{payment.id.hex}"
        await mark_succeeded(session, actor, payment, amount.minor)
        return payment
    gw = gateway(ctx, provider)
    if gw.inline:
        intent = await gw.create_intent(intent_request(payment))
        payment.gateway_ref = intent.ref
        payment.client_secret = intent.client_secret
    else:
        enqueue(session, CREATE_INTENT_JOB, {"payment_id": str(payment.id)})
    return payment


def intent_request(payment: Payment) -> IntentRequest:
    return IntentRequest(
        payment_id=payment.id,
        amount=payment.amount,
        idempotency_key=payment_key(payment.id),
        metadata={
            "payment_id": str(payment.id),
            "purpose_type": payment.purpose_type,
            "purpose_id": payment.purpose_id,
        },
        connected_account=payment.connected_account,
        application_fee=(
            Money(payment.application_fee_minor, payment.currency)
            if payment.application_fee_minor is not None
            else None
        ),
        description=(payment.details or {}).get("description"),
    )


async def pay_split(
    ctx: AppContext,
    session: AsyncSession,
    actor: Actor,
    *,
    purpose_type: str,
    purpose_id: Any,
    total: Money,
    from_wallet: Money,
    user_id: uuid.UUID,
    **card_options: Any,
) -> list[Payment]:
    """Pay ``total`` with ``from_wallet`` out of the wallet (succeeds now) and the rest by card."""
    _positive(total)
    if from_wallet.currency != total.currency:
        raise CurrencyMismatch(f"The wallet part must be in {total.currency}")
    if from_wallet.minor < 0 or from_wallet.minor > total.minor:
        raise AmountInvalid("The wallet part must be between zero and the total")
    payments: list[Payment] = []
    common = {"purpose_type": purpose_type, "purpose_id": purpose_id, "user_id": user_id}
    if from_wallet.minor:
        payments.append(
            await create_payment(
                ctx, session, actor, amount=from_wallet, method=PaymentMethod.wallet, **common
            )
        )
    rest = total - from_wallet
    if rest.minor:
        payments.append(
            await create_payment(
                ctx, session, actor, amount=rest, method=PaymentMethod.card, **common, **card_options
            )
        )
    return payments


# outcomes (called with the payment row locked) ------------------------------------------------------
async def mark_succeeded(session: AsyncSession, actor: Actor, payment: Payment, received_minor: int) -> bool:
    """Record success; ``False`` when it already succeeded (a duplicate outcome changes nothing)."""
    if payment.status == PaymentStatus.succeeded:
        return False
    before = _snapshot(payment)
    payment.status = PaymentStatus.succeeded.value
    payment.amount_received_minor = min(max(received_minor, 0), payment.amount_minor) or payment.amount_minor
    payment.failure_reason = None
    payment.succeeded_at = utcnow()
    await session.flush()
    record(
        session, actor, "payment.succeeded", "payment", payment.id, before=before, after=_snapshot(payment)
    )
    await hooks.fire(session, hooks.PaymentOutcome("succeeded", payment, actor))
    return True


async def mark_failed(
    session: AsyncSession, actor: Actor, payment: Payment, reason: str | None, *, cancelled: bool = False
) -> bool:
    """Record a failure of an open payment. A late failure after a success is ignored (``False``)."""
    if payment.status not in OPEN:
        return False
    before = _snapshot(payment)
    payment.status = (PaymentStatus.cancelled if cancelled else PaymentStatus.failed).value
    payment.failure_reason = reason
    await session.flush()
    record(
        session,
        actor,
        f"payment.{payment.status}",
        "payment",
        payment.id,
        before=before,
        after=_snapshot(payment),
    )
    await hooks.fire(session, hooks.PaymentOutcome("failed", payment, actor))
    return True


async def mark_processing(session: AsyncSession, actor: Actor, payment: Payment) -> bool:
    if payment.status != PaymentStatus.requires_payment:
        return False
    payment.status = PaymentStatus.processing.value
    record(session, actor, "payment.processing", "payment", payment.id, after={"status": payment.status})
    return True


async def cancel_payment(
    ctx: AppContext, session: AsyncSession, actor: Actor, payment_id: uuid.UUID, *, reason: str = "cancelled"
) -> bool:
    """Give up an open card payment (an expired hold, an abandoned checkout). ``False`` when it is no
    longer open. Stripe's intent is cancelled by a job after commit; if the customer's payment won the
    race, the provider's success still arrives and is recorded: money received is never ignored, and
    the purpose's owner decides (usually: refund)."""
    payment = await get(session, payment_id, lock=True)
    if payment.status not in OPEN or payment.method != PaymentMethod.card:
        return False
    await mark_failed(session, actor, payment, reason, cancelled=True)
    gw = gateway(ctx, payment.provider)
    if gw.inline:
        if payment.gateway_ref:
            await gw.cancel_intent(payment.gateway_ref, idempotency_key=f"{payment_key(payment.id)}-cancel")
    else:
        enqueue(session, CANCEL_INTENT_JOB, {"payment_id": str(payment.id)})
    return True


# refunds --------------------------------------------------------------------------------------------
async def reserve_refund(session: AsyncSession, payment: Payment, minor: int) -> None:
    """Count ``minor`` as refunded, unless that would exceed what was received (checked by the
    conditional UPDATE and backed by a CHECK constraint, so concurrent refunds cannot overdraw)."""
    result = await session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.amount_refunded_minor + minor <= Payment.amount_received_minor,
        )
        .values(amount_refunded_minor=Payment.amount_refunded_minor + minor, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise RefundExceeds(
            f"At most {payment.refundable} of this payment can still be refunded",
            refundable=payment.refundable.to_api(),
        )
    await session.refresh(payment)


async def release_refund(session: AsyncSession, payment: Payment, minor: int) -> None:
    await session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(amount_refunded_minor=Payment.amount_refunded_minor - minor, updated_at=utcnow())
    )
    await session.refresh(payment)


async def refund(
    ctx: AppContext,
    session: AsyncSession,
    actor: Actor,
    payment_id: uuid.UUID,
    *,
    amount: Money | None = None,
    destination: RefundDestination | str | None = None,
    reason: str | None = None,
) -> Refund:
    """Refund ``amount`` (default: all that is left) of a succeeded payment.

    ``destination`` ``card`` goes back through the gateway (for Stripe, by a job after commit);
    ``wallet`` credits the payer's wallet now. Wallet payments are refunded to the wallet.
    ``payment.refund_exceeds`` when the payment has less left to refund.
    """
    payment = await get(session, payment_id, lock=True)
    if payment.status != PaymentStatus.succeeded:
        raise NotRefundable(f"Only succeeded payments can be refunded; this one is {payment.status}")
    if amount is None:
        amount = payment.refundable
        if amount.minor == 0:
            raise RefundExceeds("This payment has been refunded in full already")
    if amount.currency != payment.currency:
        raise CurrencyMismatch(f"This payment is in {payment.currency}")
    _positive(amount)
    dest = RefundDestination(
        destination
        or (RefundDestination.wallet if payment.method == PaymentMethod.wallet else RefundDestination.card)
    )
    if payment.method == PaymentMethod.wallet and dest == RefundDestination.card:
        raise PaymentMethodUnavailable("A wallet payment is refunded to the wallet")
    if dest == RefundDestination.wallet and payment.user_id is None:
        raise PaymentMethodUnavailable("This payment has no user whose wallet could take the refund")
    await reserve_refund(session, payment, amount.minor)
    item = Refund(
        id=uuid.uuid4(),
        payment_id=payment.id,
        amount_minor=amount.minor,
        currency=amount.currency,
        status=RefundStatus.pending.value,
        destination=dest.value,
        reason=reason,
        created_by=actor.user_id,
    )
    session.add(item)
    await session.flush()
    record(
        session,
        actor,
        "refund.created",
        "refund",
        item.id,
        after={
            "payment_id": str(payment.id),
            "amount": amount.to_api(),
            "destination": dest.value,
            "reason": reason,
        },
    )
    if dest == RefundDestination.wallet:
        assert payment.user_id is not None
        await wallet.post(
            session,
            actor,
            user_id=payment.user_id,
            amount=amount,
            kind=EntryKind.refund,
            reference=("refund", item.id),
            memo=reason,
        )
        await settle_refund(session, actor, payment, item, RefundStatus.succeeded)
        return item
    gw = gateway(ctx, payment.provider)
    if gw.inline:
        assert payment.gateway_ref
        result = await gw.refund(
            payment.gateway_ref,
            amount,
            idempotency_key=refund_key(item.id),
            metadata=_refund_metadata(item),
            reverse_transfer=payment.connected_account is not None,
        )
        item.gateway_ref = result.ref
        await settle_refund(session, actor, payment, item, RefundStatus(result.status))
    else:
        enqueue(session, EXECUTE_REFUND_JOB, {"refund_id": str(item.id)})
    return item


def _refund_metadata(item: Refund) -> dict[str, str]:
    return {"refund_id": str(item.id), "payment_id": str(item.payment_id)}


async def settle_refund(
    session: AsyncSession,
    actor: Actor,
    payment: Payment,
    item: Refund,
    status: RefundStatus,
    reason: str | None = None,
) -> bool:
    """Move a refund to ``status``. Pending → succeeded fires ``refunded``; → failed gives the amount
    back to the payment's refundable balance. Never moves backwards; ``False`` when nothing changed."""
    if status == RefundStatus.pending or item.status == status or item.status == RefundStatus.failed:
        return False
    before = item.status
    item.status = status.value
    if status == RefundStatus.failed:
        item.failure_reason = reason
        await release_refund(session, payment, item.amount_minor)
    await session.flush()
    record(
        session,
        actor,
        f"refund.{status.value}",
        "refund",
        item.id,
        before={"status": before},
        after={"status": status.value},
    )
    kind: hooks.OutcomeKind = "refunded" if status == RefundStatus.succeeded else "refund_failed"
    if kind == "refund_failed" and before == RefundStatus.pending:
        return True  # it never counted as refunded: nothing for the purpose's owner to undo
    await hooks.fire(session, hooks.PaymentOutcome(kind, payment, actor, refund=item))
    return True


async def refund_purpose(
    ctx: AppContext,
    session: AsyncSession,
    actor: Actor,
    *,
    purpose_type: str,
    purpose_id: Any,
    amount: Money,
    destination: RefundDestination | str | None = None,
    reason: str | None = None,
) -> list[Refund]:
    """Refund ``amount`` across the purpose's succeeded payments, newest first; never more than was
    paid for the purpose in total (``payment.refund_exceeds``)."""
    _positive(amount)
    rows = list(
        (
            await session.scalars(
                select(Payment)
                .where(
                    Payment.purpose_type == purpose_type,
                    Payment.purpose_id == str(purpose_id),
                    Payment.status == PaymentStatus.succeeded.value,
                )
                .order_by(Payment.id)  # lock in one order: concurrent refunds cannot deadlock
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
    )
    if any(p.currency != amount.currency for p in rows):
        raise CurrencyMismatch("The refund must be in the currency of the payments")
    left = sum(p.refundable.minor for p in rows)
    if amount.minor > left:
        raise RefundExceeds(
            f"At most {Money(left, amount.currency)} can still be refunded",
            refundable=Money(left, amount.currency).to_api(),
        )
    refunds: list[Refund] = []
    remaining = amount.minor
    for payment in sorted(rows, key=lambda p: (p.succeeded_at or p.created_at, p.created_at), reverse=True):
        part = min(remaining, payment.refundable.minor)
        if part <= 0:
            continue
        refunds.append(
            await refund(
                ctx,
                session,
                actor,
                payment.id,
                amount=Money(part, amount.currency),
                destination=destination if payment.method == PaymentMethod.card else None,
                reason=reason,
            )
        )
        remaining -= part
        if remaining == 0:
            break
    return refunds


async def paid_for_purpose(session: AsyncSession, purpose_type: str, purpose_id: Any, currency: str) -> Money:
    """Received minus refunded over the purpose's payments (what the purpose holds right now)."""
    net = await session.scalar(
        select(
            func.coalesce(func.sum(Payment.amount_received_minor - Payment.amount_refunded_minor), 0)
        ).where(
            Payment.purpose_type == purpose_type,
            Payment.purpose_id == str(purpose_id),
            Payment.currency == currency,
        )
    )
    return Money(int(net or 0), currency)


async def payments_for_purpose(session: AsyncSession, purpose_type: str, purpose_id: Any) -> list[Payment]:
    return list(
        (
            await session.scalars(
                select(Payment)
                .where(Payment.purpose_type == purpose_type, Payment.purpose_id == str(purpose_id))
                .order_by(Payment.created_at)
            )
        ).all()
    )


async def refunds_of(session: AsyncSession, payment_id: uuid.UUID) -> list[Refund]:
    return list(
        (
            await session.scalars(
                select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.created_at)
            )
        ).all()
    )
