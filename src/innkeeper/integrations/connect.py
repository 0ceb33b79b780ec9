"""Stripe Connect onboarding: a property's Express account, where its payouts go.

``onboard`` creates the account once (Stripe idempotency key ``innkeeper-connect-<property id>``, so a
retried or rolled-back request never makes a second one) and asks Stripe for an account link, the
one-time URL where the owner enters their details. ``refresh`` reads the account back and mirrors its
flags (``charges_enabled``, ``payouts_enabled``, ``details_submitted``). These calls are made in the
request because the owner needs the link now; none of them moves money.

Not built yet (docs/integrations.md): ``account.updated`` through the payments webhook inbox, booking
payments as destination charges with the platform fee, transfer reversals on refunds, the payouts view.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property
from innkeeper.config import Settings
from innkeeper.integrations.errors import ConnectGatewayError, ConnectNotOnboarded, ConnectUnavailable
from innkeeper.integrations.models import ConnectAccount


def client(settings: Settings) -> stripe.StripeClient:
    if settings.payment_provider != "stripe" or not settings.stripe_secret_key:
        raise ConnectUnavailable()
    base = settings.stripe_api_base
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": base} if base else None,
        http_client=stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds),
        max_network_retries=settings.stripe_max_network_retries,
    )


def account_to_api(account: ConnectAccount, link: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "account_id": account.account_id,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "details_submitted": account.details_submitted,
        "updated_at": account.updated_at.isoformat(),
    }
    if link is not None:
        out["onboarding_url"], out["expires_at"] = link["url"], link["expires_at"]
    return out


def _mirror(account: ConnectAccount, remote: Any) -> dict[str, Any]:
    """Copy Stripe's flags; the changes (for the audit row)."""
    changes = {}
    for flag in ("charges_enabled", "payouts_enabled", "details_submitted"):
        value = bool(getattr(remote, flag, False))
        if getattr(account, flag) != value:
            setattr(account, flag, value)
            changes[flag] = value
    return changes


async def onboard(
    session: AsyncSession,
    settings: Settings,
    prop: Property,
    *,
    return_url: str,
    refresh_url: str,
    actor: Actor,
) -> tuple[ConnectAccount, dict[str, Any]]:
    stripe_client = client(settings)
    account = await session.get(ConnectAccount, prop.id)
    try:
        if account is None:
            remote = await stripe_client.v1.accounts.create_async(
                {"type": "express", "country": prop.country, "metadata": {"property_id": str(prop.id)}},
                {"idempotency_key": f"innkeeper-connect-{prop.id}"},
            )
            account = ConnectAccount(property_id=prop.id, account_id=remote.id)
            _mirror(account, remote)
            session.add(account)
            await session.flush()
            record(
                session,
                actor,
                "connect.account_created",
                "property",
                prop.id,
                property_id=prop.id,
                after={"account_id": remote.id},
            )
        link = await stripe_client.v1.account_links.create_async(
            {
                "account": account.account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            }
        )
    except stripe.StripeError as exc:
        raise ConnectGatewayError(str(exc.user_message or "Stripe refused the request")) from exc
    expires = datetime.fromtimestamp(int(link.expires_at), UTC).isoformat()
    return account, {"url": link.url, "expires_at": expires}


async def status(session: AsyncSession, prop: Property) -> ConnectAccount:
    account = await session.get(ConnectAccount, prop.id)
    if account is None:
        raise ConnectNotOnboarded()
    return account


async def refresh(session: AsyncSession, settings: Settings, prop: Property, actor: Actor) -> ConnectAccount:
    account = await status(session, prop)
    try:
        remote = await client(settings).v1.accounts.retrieve_async(account.account_id)
    except stripe.StripeError as exc:
        raise ConnectGatewayError(str(exc.user_message or "Stripe refused the request")) from exc
    if changes := _mirror(account, remote):
        record(
            session, actor, "connect.account_updated", "property", prop.id, property_id=prop.id, after=changes
        )
    return account
