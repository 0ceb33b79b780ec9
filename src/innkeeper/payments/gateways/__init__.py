"""The gateway interface and the normalised shapes every provider maps to.

A gateway creates payment intents, refunds, and turns a signed webhook body into a
:class:`GatewayEvent`. Both providers speak Stripe's wire format for webhooks (the simulated one signs
exactly as Stripe does), so the inbox has one parser and one processing path.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from innkeeper.kit.money import Money
from innkeeper.payments.errors import WebhookMalformed


@dataclass(frozen=True)
class IntentRequest:
    payment_id: uuid.UUID
    amount: Money
    #: Derived from our payment id, so a retried call can never create a second intent.
    idempotency_key: str
    metadata: dict[str, str]
    connected_account: str | None = None
    application_fee: Money | None = None
    description: str | None = None


@dataclass(frozen=True)
class Intent:
    ref: str
    status: str  # one of PaymentStatus
    client_secret: str | None = None


@dataclass(frozen=True)
class GatewayRefund:
    ref: str
    status: str  # one of RefundStatus


@dataclass(frozen=True)
class GatewayEvent:
    event_id: str
    type: str
    object_type: str | None
    object_ref: str | None
    payment_ref: str | None
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    amount_minor: int | None
    currency: str | None
    status: str | None
    failure_reason: str | None
    raw: dict[str, Any] = field(repr=False)


class Gateway(Protocol):
    name: str
    #: True when creating intents and refunds needs no network call (the simulated gateway), so the
    #: service may do it inside the transaction; otherwise a job does it after commit.
    inline: bool

    async def create_intent(self, request: IntentRequest) -> Intent: ...

    async def retrieve_intent(self, ref: str) -> Intent: ...

    async def cancel_intent(self, ref: str, *, idempotency_key: str) -> Intent: ...

    async def refund(
        self,
        payment_ref: str,
        amount: Money,
        *,
        idempotency_key: str,
        metadata: dict[str, str],
        reverse_transfer: bool = False,
    ) -> GatewayRefund:
        """``reverse_transfer``: the payment was a destination charge; take the refund back from the
        connected account in proportion (and give back the same share of the platform's fee)."""
        ...

    def parse_webhook(self, body: bytes, signature: str | None) -> GatewayEvent: ...


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def parse_event(body: bytes) -> GatewayEvent:
    """Stripe's event envelope → :class:`GatewayEvent`. Anything else is ``webhook.malformed``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookMalformed("The webhook body is not JSON") from exc
    if not isinstance(data, dict):
        raise WebhookMalformed("The webhook body must be an event object")
    event_id, event_type = data.get("id"), data.get("type")
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise WebhookMalformed("The event has no id")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
        raise WebhookMalformed("The event has no type")
    if not isinstance(obj, dict):
        raise WebhookMalformed("The event has no data.object")
    raw_metadata = obj.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    object_type = obj.get("object") if isinstance(obj.get("object"), str) else None
    amount: Any = None
    payment_ref: Any = None
    failure = None
    if object_type == "payment_intent":
        payment_ref = obj.get("id")
        amount = obj.get("amount_received") if event_type.endswith("succeeded") else obj.get("amount")
        error = obj.get("last_payment_error")
        if isinstance(error, dict):
            failure = str(error.get("message") or error.get("code") or "payment failed")[:500]
    elif object_type == "refund":
        payment_ref = obj.get("payment_intent")
        amount = obj.get("amount")
        if obj.get("failure_reason"):
            failure = str(obj["failure_reason"])[:500]
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 0):
        raise WebhookMalformed("The event amount must be a non-negative integer of minor units")
    currency = obj.get("currency")
    return GatewayEvent(
        event_id=event_id,
        type=event_type,
        object_type=object_type,
        object_ref=obj.get("id") if isinstance(obj.get("id"), str) else None,
        payment_ref=payment_ref if isinstance(payment_ref, str) else None,
        payment_id=_uuid(metadata.get("payment_id")),
        refund_id=_uuid(metadata.get("refund_id")),
        amount_minor=amount,
        currency=currency.upper() if isinstance(currency, str) else None,
        status=obj.get("status") if isinstance(obj.get("status"), str) else None,
        failure_reason=failure,
        raw=data,
    )
