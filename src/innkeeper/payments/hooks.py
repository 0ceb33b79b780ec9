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

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.context import AppContext
from innkeeper.kit.money import Money
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


# -- Connect (registered by a higher layer, e.g. integrations) -----------------------------------------
@dataclass(frozen=True)
class Destination:
    """Where a card payment's money goes: a connected account (a destination charge) and the
    platform's fee kept out of it (``None``: no fee)."""

    account: str
    application_fee: Money | None = None


DestinationResolver = Callable[[AppContext, AsyncSession, uuid.UUID, Money], Awaitable[Destination | None]]
_destination_resolvers: list[DestinationResolver] = []


def destination_resolver(resolver: DestinationResolver) -> DestinationResolver:
    """Register how to find a property's connected account for a card payment of ``amount``. Called
    inside the payment's transaction; must not call out (the intent is made by a job after commit)."""
    if resolver not in _destination_resolvers:
        _destination_resolvers.append(resolver)
    return resolver


async def resolve_destination(
    ctx: AppContext, session: AsyncSession, property_id: uuid.UUID, amount: Money
) -> Destination | None:
    for resolver in list(_destination_resolvers):
        if (found := await resolver(ctx, session, property_id, amount)) is not None:
            return found
    return None


#: Handlers for provider events that are not about one of our payments (``account.updated``): given
#: the event's ``data.object``; they return whether anything changed. They run in the job that
#: processes the stored event, inside its transaction (a raise marks the event ``error`` and retries).
EventHandler = Callable[[AsyncSession, dict[str, Any], Actor], Awaitable[bool]]
_event_handlers: dict[str, EventHandler] = {}


def on_event(event_type: str) -> Callable[[EventHandler], EventHandler]:
    def register(handler: EventHandler) -> EventHandler:
        _event_handlers[event_type] = handler
        return handler

    return register


def event_handler(event_type: str) -> EventHandler | None:
    return _event_handlers.get(event_type)
