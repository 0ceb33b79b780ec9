"""Stripe through the official SDK's ``StripeClient`` and its async methods (``*_async`` over httpx).

* PaymentIntents are created with ``idempotency_key="innkeeper-payment-<our id>"``: a retried job can
  never create a second intent. Refunds likewise use ``innkeeper-refund-<our refund id>``.
* Connect: a property with a connected account gets a destination charge
  (``transfer_data.destination``) with ``application_fee_amount`` as the platform's fee; its refunds
  are made with ``reverse_transfer`` and ``refund_application_fee`` (both in proportion).
* ``INNKEEPER_STRIPE_API_BASE`` overrides the API host (tests point it at a local fake server).
* Webhooks are verified with the signing secret and a timestamp tolerance (see ``signing``).
* The SDK is imported when a gateway is built, not with this module: a process on another provider
  never loads it (~10 MB of resident memory).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from innkeeper.kit.money import Money
from innkeeper.payments.errors import GatewayError, WebhookSignatureInvalid
from innkeeper.payments.gateways import GatewayEvent, GatewayRefund, Intent, IntentRequest, parse_event
from innkeeper.payments.gateways.signing import verify

T = TypeVar("T")

_INTENT_STATUS = {
    "requires_payment_method": "requires_payment",
    "requires_confirmation": "requires_payment",
    "requires_action": "requires_payment",
    "requires_capture": "processing",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "cancelled",
}
_REFUND_STATUS = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}


class StripeGateway:
    name = "stripe"
    inline = False

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str | None,
        *,
        api_base: str | None = None,
        tolerance_seconds: int = 300,
        max_network_retries: int = 2,
        timeout_seconds: float = 30.0,
    ) -> None:
        import stripe

        self.webhook_secret = webhook_secret
        self.tolerance = tolerance_seconds
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.HTTPXClient(timeout=timeout_seconds),
            max_network_retries=max_network_retries,
        )

    @staticmethod
    async def _call(request: Awaitable[T]) -> T:
        """Await a Stripe call; card and request errors become ``GatewayError`` (they will fail the same
        way again), network and 5xx errors propagate (a retry may succeed)."""
        import stripe

        try:
            return await request
        except (stripe.CardError, stripe.InvalidRequestError, stripe.AuthenticationError) as exc:
            raise GatewayError(str(exc.user_message or exc)) from exc

    async def create_intent(self, request: IntentRequest) -> Intent:
        params: dict[str, Any] = {
            "amount": request.amount.minor,
            "currency": request.amount.currency.lower(),
            "metadata": request.metadata,
            "automatic_payment_methods": {"enabled": True},
        }
        if request.description:
            params["description"] = request.description
        if request.connected_account:
            params["transfer_data"] = {"destination": request.connected_account}
            if request.application_fee is not None:
                params["application_fee_amount"] = request.application_fee.minor
        intent = await self._call(
            self.client.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.idempotency_key},
            )
        )
        return Intent(
            ref=intent.id,
            status=_INTENT_STATUS.get(intent.status, "requires_payment"),
            client_secret=intent.client_secret,
        )

    async def retrieve_intent(self, ref: str) -> Intent:
        intent = await self.client.v1.payment_intents.retrieve_async(ref)
        return Intent(
            ref=intent.id,
            status=_INTENT_STATUS.get(intent.status, "requires_payment"),
            client_secret=intent.client_secret,
        )

    async def cancel_intent(self, ref: str, *, idempotency_key: str) -> Intent:
        intent = await self._call(
            self.client.v1.payment_intents.cancel_async(
                ref, {"cancellation_reason": "abandoned"}, {"idempotency_key": idempotency_key}
            )
        )
        return Intent(ref=intent.id, status=_INTENT_STATUS.get(intent.status, "requires_payment"))

    async def refund(
        self,
        payment_ref: str,
        amount: Money,
        *,
        idempotency_key: str,
        metadata: dict[str, str],
        reverse_transfer: bool = False,
    ) -> GatewayRefund:
        params: dict[str, Any] = {"payment_intent": payment_ref, "amount": amount.minor, "metadata": metadata}
        if reverse_transfer:  # Stripe reverses the transfer and the fee in proportion to the refund
            params.update(reverse_transfer=True, refund_application_fee=True)
        refund = await self._call(
            self.client.v1.refunds.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            )
        )
        return GatewayRefund(ref=refund.id, status=_REFUND_STATUS.get(refund.status or "", "pending"))

    def parse_webhook(self, body: bytes, signature: str | None) -> GatewayEvent:
        if not self.webhook_secret:
            raise WebhookSignatureInvalid("INNKEEPER_STRIPE_WEBHOOK_SECRET is not set")
        verify(body, signature, self.webhook_secret, self.tolerance)
        return parse_event(body)
