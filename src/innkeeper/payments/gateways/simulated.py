"""The embedded default gateway: no network, no card data. ``checkout_url`` leads to a page with Pay /
Fail buttons; both (and ``POST /payments/{id}/simulate``) build a Stripe-shaped event, sign it with the
simulated webhook secret and hand it to the same inbox that ``POST /webhooks/simulated`` feeds."""

from __future__ import annotations

import json
import uuid
from typing import Any

from innkeeper.kit.clock import utcnow
from innkeeper.kit.money import Money
from innkeeper.payments.gateways import GatewayEvent, GatewayRefund, Intent, IntentRequest, parse_event
from innkeeper.payments.gateways.signing import sign, verify


class SimulatedGateway:
    name = "simulated"
    inline = True

    def __init__(self, webhook_secret: str, tolerance_seconds: int = 300) -> None:
        self.webhook_secret = webhook_secret
        self.tolerance = tolerance_seconds

    async def create_intent(self, request: IntentRequest) -> Intent:
        return Intent(ref=f"sim_pi_{request.payment_id.hex}", status="requires_payment")

    async def retrieve_intent(self, ref: str) -> Intent:
        return Intent(ref=ref, status="requires_payment")

    async def cancel_intent(self, ref: str, *, idempotency_key: str) -> Intent:
        return Intent(ref=ref, status="cancelled")

    async def refund(
        self,
        payment_ref: str,
        amount: Money,
        *,
        idempotency_key: str,
        metadata: dict[str, str],
        reverse_transfer: bool = False,  # no transfers in the simulation: nothing to reverse
    ) -> GatewayRefund:
        return GatewayRefund(
            ref=f"sim_re_{uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex}", status="succeeded"
        )

    def parse_webhook(self, body: bytes, signature: str | None) -> GatewayEvent:
        verify(body, signature, self.webhook_secret, self.tolerance)
        return parse_event(body)

    # the simulated customer -------------------------------------------------------------------------
    def payment_event(
        self,
        *,
        payment_id: uuid.UUID,
        payment_ref: str,
        amount: Money,
        outcome: str,
    ) -> dict[str, Any]:
        """The event Stripe would send when the customer pays (``succeeded``) or the card fails."""
        succeeded = outcome == "succeeded"
        intent: dict[str, Any] = {
            "id": payment_ref,
            "object": "payment_intent",
            "amount": amount.minor,
            "amount_received": amount.minor if succeeded else 0,
            "currency": amount.currency.lower(),
            "status": "succeeded" if succeeded else "requires_payment_method",
            "metadata": {"payment_id": str(payment_id)},
        }
        if not succeeded:
            intent["last_payment_error"] = {"code": "card_declined", "message": "Your card was declined."}
        return {
            "id": f"evt_sim_{uuid.uuid4().hex}",
            "object": "event",
            "type": "payment_intent.succeeded" if succeeded else "payment_intent.payment_failed",
            "created": int(utcnow().timestamp()),
            "livemode": False,
            "data": {"object": intent},
        }

    def signed(self, event: dict[str, Any]) -> tuple[bytes, str]:
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, sign(body, self.webhook_secret)
