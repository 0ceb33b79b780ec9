"""Paying for a booking: the booking's use case over the payments and folio ledgers below it.

* :func:`pay_booking` starts a payment (card, wallet, or wallet + card) for a booking;
* the ``hooks.on("booking")`` handler puts each outcome on the folio, keeps ``payment_status``, and
  confirms the booking when its payment policy is met (held → sold in the same transaction; the
  e-mail goes through a job enqueued in that transaction). Money that arrives for a booking that
  cannot take it (cancelled, expired with its rooms gone, or more than the bill) is refunded by the
  ``billing.refund_excess`` job;
* :func:`refund_on_cancel` refunds what the cancellation policy gives back, to the card or the wallet;
* :func:`settle` pays the remaining balance at check-out.

Lock order: the booking row, then its payments (the hook runs with the payment locked and then locks
the booking; a PostgreSQL deadlock between the two is retried by the job that processes the webhook).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.billing import folio
from innkeeper.bookings import lifecycle, notify
from innkeeper.bookings.allocation import allocation_for
from innkeeper.bookings.errors import BookingExpired, IllegalTransition
from innkeeper.bookings.models import HOLD_STATES, Booking, Status
from innkeeper.bookings.service import checkout
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.catalog.models import Property
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.inventory.errors import Unavailable
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import JobContext, enqueue, registry
from innkeeper.kit.money import Money
from innkeeper.kit.schemas import AmountInvalid, CurrencyMismatch
from innkeeper.payments import hooks
from innkeeper.payments import service as payments
from innkeeper.payments.errors import PaymentMethodUnavailable
from innkeeper.payments.models import Payment, PaymentMethod, PaymentStatus

PURPOSE = "booking"
CONFIRMATION_JOB = "billing.send_confirmation"
REFUND_EXCESS_JOB = "billing.refund_excess"
CHECKOUT_JOB = "billing.complete_checkout"
PAYABLE = (*HOLD_STATES, Status.confirmed, Status.checked_in)


# -- policy ------------------------------------------------------------------------------------------------
def deposit_split(total: Money, percent: int) -> tuple[Money, Money]:
    """Deposit (``percent`` of the total, half-up) and the rest; the two always add up to the total."""
    deposit = total.percent(percent)
    deposit = Money(min(max(deposit.minor, 0), total.minor), total.currency)
    return deposit, total - deposit


def required_now(b: Booking) -> int:
    """What must have been paid before the booking is confirmed, per its policy snapshot."""
    policy = b.payment_policy or {"mode": "prepay"}
    mode = policy.get("mode", "prepay")
    total = Money(b.total_minor, b.currency)
    if mode == "deposit":
        return deposit_split(total, int(policy.get("deposit_percent") or 0))[0].minor
    if mode == "at_property":
        return 0
    return total.minor


def policy_met(b: Booking, t: folio.Totals) -> bool:
    need = required_now(b)
    return t.paid >= need and (need > 0 or t.paid > 0)


async def _lock(session: AsyncSession, booking_id: uuid.UUID) -> Booking:
    b = await session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert b is not None, booking_id
    return b


async def refresh_status(session: AsyncSession, b: Booking) -> folio.Totals:
    t = await folio.totals(session, b)
    b.payment_status = t.payment_status().value
    return t


# -- paying ------------------------------------------------------------------------------------------------
async def pay_booking(
    ctx: AppContext,
    session: AsyncSession,
    b: Booking,
    actor: Actor,
    user: User | None,
    *,
    method: str,
    amount: Money | None = None,
    from_wallet: Money | None = None,
    checkout: bool = False,
) -> list[Payment]:
    """Start paying ``amount`` (default: what the policy asks now, else the balance) of a booking the
    caller may see (locked). ``from_wallet`` with ``method="card"``: that part from the wallet, the
    rest by card. Refuses a cancelled or expired booking, an amount of zero, above the balance, or in
    another currency; nothing is moved then."""
    if await expire_if_lapsed(session, b):
        raise BookingExpired("The reservation has expired")
    if b.status not in PAYABLE:
        raise IllegalTransition(f"Cannot pay a booking that is {b.status}", status_now=b.status)
    await folio.sync_charges(session, b, actor)
    t = await folio.totals(session, b)
    pending = await _open_card_total(session, b)
    balance = t.balance_due
    if amount is None:
        need = max(0, required_now(b) - t.paid)
        amount = Money(need or balance, b.currency)
    for part in (amount, from_wallet):
        if part is not None and part.currency != b.currency:
            raise CurrencyMismatch(f"This booking is paid in {b.currency}")
    if amount.minor <= 0:
        raise AmountInvalid("The amount must be greater than zero" if balance else "Nothing is due")
    if amount.minor > balance:
        raise AmountInvalid(f"At most {Money(balance, b.currency)} is due", code="payment.exceeds_balance")
    user_id = user.id if user is not None else None
    if method == PaymentMethod.wallet.value or (from_wallet is not None and from_wallet.minor):
        if user_id is None or (b.user_id is not None and b.user_id != user_id):
            raise PaymentMethodUnavailable("Only the booking's account holder can pay from their wallet")
    # the money is the booking holder's, whoever keys it in (staff at the desk, say): refunds to a
    # wallet must reach the guest, never the clerk
    payer_id = b.user_id if b.user_id is not None else user_id
    prop = await session.get(Property, b.property_id)
    assert prop is not None
    description = f"Booking {b.reference} at {prop.name}"
    if pending:
        # an earlier card payment still open for this booking is abandoned: one open checkout at a time
        for p in await payments.payments_for_purpose(session, PURPOSE, b.id):
            if p.method == PaymentMethod.card.value and p.status in payments.OPEN:
                await payments.cancel_payment(ctx, session, actor, p.id, reason="superseded")
    if from_wallet is not None and method == PaymentMethod.card.value:
        made = await payments.pay_split(
            ctx,
            session,
            actor,
            purpose_type=PURPOSE,
            purpose_id=b.id,
            total=amount,
            from_wallet=from_wallet,
            user_id=payer_id,  # type: ignore[arg-type]
            description=description,
            property_id=b.property_id,
        )
    else:
        made = [
            await payments.create_payment(
                ctx,
                session,
                actor,
                purpose_type=PURPOSE,
                purpose_id=b.id,
                amount=amount,
                method=method,
                user_id=payer_id,
                description=description,
                property_id=b.property_id,
            )
        ]
    if checkout:
        for p in made:
            p.details = {**(p.details or {}), "checkout": True}
    await session.flush()  # the hook (wallet: already fired) changed ``b`` in this identity map
    if b.status in HOLD_STATES and lifecycle.can(b, Status.payment_pending):
        await lifecycle.move(
            session,
            b,
            Status.payment_pending,
            actor,
            "payment_started",
            data={"payments": [str(p.id) for p in made], "amount": amount.to_api()},
        )
    return made


async def _open_card_total(session: AsyncSession, b: Booking) -> int:
    rows = await payments.payments_for_purpose(session, PURPOSE, b.id)
    return sum(p.amount_minor for p in rows if p.status in payments.OPEN)


# -- outcomes ----------------------------------------------------------------------------------------------
@hooks.locks(PURPOSE)
async def lock_booking(session: AsyncSession, purpose_id: str) -> None:
    """Webhook processing takes the booking's lock before the payment's, like booking requests do."""
    try:
        booking_id = uuid.UUID(purpose_id)
    except ValueError:
        return
    await session.execute(select(Booking.id).where(Booking.id == booking_id).with_for_update())


@hooks.on(PURPOSE)
async def booking_payment_outcome(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
    try:
        booking_id = uuid.UUID(outcome.payment.purpose_id)
    except ValueError:
        return  # not one of ours (payments made directly through the service with a made-up purpose)
    b = await session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if b is None:
        return
    actor = outcome.actor
    p = outcome.payment
    if outcome.kind == "succeeded":
        await folio.sync_charges(session, b, actor)
        await folio.post_payment(session, b, p, actor)
        await _after_money_in(session, b, p, actor)
    elif outcome.kind == "refunded" and outcome.refund is not None:
        if await folio.post_refund(session, b, p, outcome.refund, actor):
            b.refund_due_minor = max(0, b.refund_due_minor - outcome.refund.amount_minor)
    elif outcome.kind == "refund_failed" and outcome.refund is not None:
        if await folio.post_refund(session, b, p, outcome.refund, actor, reversal=True):
            b.refund_due_minor += outcome.refund.amount_minor  # the money went back to us: due again
    await refresh_status(session, b)


async def _after_money_in(session: AsyncSession, b: Booking, p: Payment, actor: Actor) -> None:
    if b.status == Status.expired:
        await _late_success(session, b, actor)
    t = await folio.totals(session, b)
    if b.status in HOLD_STATES and policy_met(b, t):
        await allocation_for(b).confirm(session, b)
        b.expires_at = None
        b.confirmed_at = utcnow()
        await lifecycle.move(
            session, b, Status.confirmed, actor, "confirmed", data={"reason": "payment policy met"}
        )
        enqueue(session, CONFIRMATION_JOB, {"booking_id": str(b.id)})
    elif b.status in (Status.cancelled, Status.expired, Status.no_show, Status.checked_out) or t.balance < 0:
        # money the booking cannot keep goes back
        record(
            session,
            actor,
            "booking.refund_scheduled",
            "booking",
            b.id,
            property_id=b.property_id,
            after={"payment_id": str(p.id), "balance": Money(t.balance, b.currency).to_api()},
        )
        enqueue(session, REFUND_EXCESS_JOB, {"booking_id": str(b.id)})
    if b.status == Status.checked_in and (p.details or {}).get("checkout") and t.balance_due == 0:
        enqueue(session, CHECKOUT_JOB, {"booking_id": str(b.id), "actor_user_id": str(actor.user_id or "")})


async def _late_success(session: AsyncSession, b: Booking, actor: Actor) -> None:
    """A payment succeeded after the hold expired: sell the rooms again if they are still free
    (never oversell), else reverse the charges so that the refund job gives everything back."""
    t = await folio.totals(session, b)
    if policy_met(b, t):
        try:
            async with session.begin_nested():
                await allocation_for(b).retake(session, b)
        except (Unavailable, IntegrityError):
            pass
        else:
            b.confirmed_at = utcnow()
            await lifecycle.move(
                session,
                b,
                Status.confirmed,
                actor,
                "confirmed",
                data={"reason": "late payment, rooms retaken"},
            )
            enqueue(session, CONFIRMATION_JOB, {"booking_id": str(b.id)})
            return
    if t.charges:
        await folio.close_on_cancel(session, b, 0, actor)


async def refund_excess(ctx: AppContext, session: AsyncSession, b: Booking, actor: Actor) -> Money:
    """Give back what the folio holds beyond its charges (a negative balance)."""
    if b.status == Status.expired:
        t = await folio.totals(session, b)
        if t.charges:
            await folio.close_on_cancel(session, b, 0, actor)
    t = await folio.totals(session, b)
    excess = Money(max(0, -t.balance), b.currency)
    pending = await _pending_refunds(session, b)
    excess = Money(max(0, excess.minor - pending), b.currency)
    if excess.minor:
        prop = await session.get(Property, b.property_id)
        assert prop is not None
        await payments.refund_purpose(
            ctx,
            session,
            actor,
            purpose_type=PURPOSE,
            purpose_id=b.id,
            amount=excess,
            destination=_destination(b, prop),
            reason="more than the booking keeps",
        )
    await refresh_status(session, b)
    return excess


async def _pending_refunds(session: AsyncSession, b: Booking) -> int:
    """Refunds started but not yet landed on the folio (a card refund waiting for the provider)."""
    total = 0
    for p in await payments.payments_for_purpose(session, PURPOSE, b.id):
        if p.status != PaymentStatus.succeeded:
            continue
        for r in await payments.refunds_of(session, p.id):
            if r.status == "pending":
                total += r.amount_minor
    return total


def _destination(b: Booking, prop: Property) -> str:
    if prop.refund_destination == "wallet" and b.user_id is not None:
        return "wallet"
    return "card"


def refund_destination(b: Booking, prop: Property) -> str:
    """Where a refund of ``b`` goes: the wallet when the property says so and the booker has an account."""
    return _destination(b, prop)


async def after_modify(session: AsyncSession, b: Booking) -> None:
    """A re-priced booking: keep the status, and give back what it now holds beyond its bill."""
    t = await refresh_status(session, b)
    if t.balance < 0:
        enqueue(session, REFUND_EXCESS_JOB, {"booking_id": str(b.id)})


# -- cancellation ------------------------------------------------------------------------------------------
async def refund_on_cancel(
    ctx: AppContext, session: AsyncSession, b: Booking, prop: Property, percent: int, actor: Actor
) -> tuple[Money, str]:
    """Cancel open card payments, refund ``percent`` of what was paid (half-up; kept + refunded add up
    to the paid amount), and close the folio: stay charges reversed, the kept part charged."""
    for p in await payments.payments_for_purpose(session, PURPOSE, b.id):
        if p.method == PaymentMethod.card.value and p.status in payments.OPEN:
            await payments.cancel_payment(ctx, session, actor, p.id, reason="booking cancelled")
    await folio.sync_charges(session, b, actor)
    t = await folio.totals(session, b)
    paid = Money(max(0, t.paid), b.currency)
    refund = paid.percent(percent) if paid.minor else Money.zero(b.currency)
    keep = paid - refund
    await folio.close_on_cancel(session, b, keep.minor, actor)
    destination = _destination(b, prop)
    # due until it lands: the payment hook takes each landed refund off (a wallet refund lands at once)
    b.refund_due_minor = refund.minor
    if refund.minor:
        await payments.refund_purpose(
            ctx,
            session,
            actor,
            purpose_type=PURPOSE,
            purpose_id=b.id,
            amount=refund,
            destination=destination,
            reason=f"cancellation, {percent}% refund",
        )
    await refresh_status(session, b)
    return refund, destination


# -- check-out ---------------------------------------------------------------------------------------------
async def settle(
    ctx: AppContext, session: AsyncSession, b: Booking, actor: Actor, user: User | None, *, method: str
) -> list[Payment]:
    """Pay the remaining balance at check-out. A wallet payment settles now; a card payment settles
    when it succeeds, and the check-out then completes by itself (``billing.complete_checkout``)."""
    t = await folio.totals(session, b)
    if t.balance_due == 0:
        return []
    payer = user
    if method == PaymentMethod.wallet.value and b.user_id is not None:
        payer = await session.get(User, b.user_id)  # the guest's wallet, taken at the desk
    return await pay_booking(
        ctx,
        session,
        b,
        actor,
        payer,
        method=method,
        amount=Money(t.balance_due, b.currency),
        checkout=True,
    )


# -- jobs --------------------------------------------------------------------------------------------------
def _actor(payload: dict[str, Any], name: str) -> Actor:
    return Actor.system(name)


@registry.handler(CONFIRMATION_JOB)
async def send_confirmation(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    async with app.db.unit_of_work() as session:
        b = await session.get(Booking, uuid.UUID(payload["booking_id"]))
        if b is not None and b.status in (Status.confirmed, Status.checked_in):
            await notify.confirmation(app, session, b)


@registry.handler(REFUND_EXCESS_JOB)
async def refund_excess_job(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    async with app.db.unit_of_work() as session:
        b = await _lock(session, uuid.UUID(payload["booking_id"]))
        await refund_excess(app, session, b, _actor(payload, REFUND_EXCESS_JOB))


@registry.handler(CHECKOUT_JOB)
async def complete_checkout_job(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    async with app.db.unit_of_work() as session:
        b = await _lock(session, uuid.UUID(payload["booking_id"]))
        if b.status == Status.checked_in:
            await checkout.finish(app, session, b, _actor(payload, CHECKOUT_JOB))
