"""How other domains learn about payment outcomes.

A domain registers a handler for the purposes it owns::

    from innkeeper.payments import hooks

    @hooks.on("booking")
    async def booking_paid(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
        if outcome.kind == "succeeded": ...

The handler runs **inside the transaction that records the outcome** (a webhook being processed, a
wallet payment, a refund), so its changes commit together with the payment's, or not at all. A
handler that raises rolls the outcome back; for a webhook that means the event is retried and shows
as ``error`` in the inbox. Handlers must be idempotent per (payment, kind, refund): an outcome is
fired once per state change, but a handler may see it again if the transaction is retried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.payments.models import Payment, Refund

OutcomeKind = Literal["succeeded", "failed", "refunded", "refund_failed"]


@dataclass(frozen=True)
class PaymentOutcome:
    kind: OutcomeKind
    payment: Payment
    actor: Actor
    refund: Refund | None = None


Hook = Callable[[AsyncSession, PaymentOutcome], Awaitable[None]]

_hooks: dict[str, list[Hook]] = {}


def on(purpose_type: str) -> Callable[[Hook], Hook]:
    """Register ``handler`` for payments whose ``purpose_type`` is ``purpose_type``."""

    def register(handler: Hook) -> Hook:
        handlers = _hooks.setdefault(purpose_type, [])
        if handler not in handlers:
            handlers.append(handler)
        return handler

    return register


def remove(purpose_type: str, handler: Hook) -> None:
    if handler in _hooks.get(purpose_type, []):
        _hooks[purpose_type].remove(handler)


async def fire(session: AsyncSession, outcome: PaymentOutcome) -> None:
    for handler in list(_hooks.get(outcome.payment.purpose_type, [])):
        await handler(session, outcome)


Locker = Callable[[AsyncSession, str], Awaitable[None]]
_lockers: dict[str, Locker] = {}


def locks(purpose_type: str) -> Callable[[Locker], Locker]:
    """Register how to lock the row a purpose stands for (e.g. the booking). Outcome processing locks
    it *before* the payment row, the same order in which the owning domain's own requests take them
    (booking, then its payments), so the two never deadlock."""

    def register(locker: Locker) -> Locker:
        _lockers[purpose_type] = locker
        return locker

    return register


async def lock_purpose(session: AsyncSession, purpose_type: str, purpose_id: str) -> None:
    locker = _lockers.get(purpose_type)
    if locker is not None:
        await locker(session, purpose_id)
