"""The configured gateways, built once per process and kept on the app context."""

from __future__ import annotations

from innkeeper.context import AppContext
from innkeeper.kit.crypto import derive_key
from innkeeper.payments.errors import GatewayUnavailable
from innkeeper.payments.gateways import Gateway
from innkeeper.payments.gateways.simulated import SimulatedGateway
from innkeeper.payments.gateways.stripe_gateway import StripeGateway


def simulated_secret(ctx: AppContext) -> str:
    s = ctx.settings
    return s.simulated_webhook_secret or derive_key(s.secret_key, "innkeeper-simulated-webhooks")


def gateway(ctx: AppContext, name: str | None = None) -> Gateway:
    """The gateway called ``name`` (default: ``INNKEEPER_PAYMENT_PROVIDER``); 404 when not enabled.

    Only the configured provider is enabled: the simulated one does not exist in a Stripe deployment.
    """
    s = ctx.settings
    name = name or s.payment_provider
    if name != s.payment_provider:
        raise GatewayUnavailable(f"The {name!r} payment provider is not enabled")
    cache: dict[str, Gateway] = ctx.extras.setdefault("gateways", {})
    if name not in cache:
        if name == "simulated":
            cache[name] = SimulatedGateway(simulated_secret(ctx), s.webhook_tolerance_seconds)
        elif name == "stripe" and s.stripe_secret_key:
            cache[name] = StripeGateway(
                s.stripe_secret_key,
                s.stripe_webhook_secret,
                api_base=s.stripe_api_base,
                tolerance_seconds=s.webhook_tolerance_seconds,
                max_network_retries=s.stripe_max_network_retries,
                timeout_seconds=s.stripe_timeout_seconds,
            )
        else:
            raise GatewayUnavailable(f"The {name!r} payment provider is not configured")
    return cache[name]


def simulated(ctx: AppContext) -> SimulatedGateway:
    gw = gateway(ctx, "simulated")
    assert isinstance(gw, SimulatedGateway)
    return gw
