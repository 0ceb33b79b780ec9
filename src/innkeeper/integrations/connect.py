"""Stripe Connect: a property's Express account, where its payouts go, and the money that flows to it.

* ``onboard`` creates the account once (Stripe idempotency key ``innkeeper-connect-<property id>``, so a
  retried or rolled-back request never makes a second one) and asks Stripe for an account link, the
  one-time URL where the owner enters their details. ``refresh`` reads the account back and mirrors its
  flags (``charges_enabled``, ``payouts_enabled``, ``details_submitted``). These calls are made in the
  request because the owner needs the link now; none of them moves money.
* ``account.updated`` events reach the payments webhook inbox (stored once per event id) and
  :func:`account_updated` mirrors the same flags when the inbox's job processes them.
* :func:`destination` is the payments layer's destination resolver (``payments.hooks``: payments never
  imports us): a card payment for a property whose account has charges enabled becomes a destination
  charge with the platform's fee (``INNKEEPER_CONNECT_APPLICATION_FEE_PERCENT``, rounded half up). Its
  refunds reverse the transfer and the fee in proportion (the Stripe gateway does that).
* :func:`payouts` lists the connected account's payouts (``Stripe-Account`` header), a page at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.integrations.errors import ConnectGatewayError, ConnectNotOnboarded, ConnectUnavailable
from innkeeper.integrations.models import ConnectAccount
from innkeeper.kit.money import Money
from innkeeper.payments import hooks

if TYPE_CHECKING:
    import stripe

T = TypeVar("T")
FLAGS = ("charges_enabled", "payouts_enabled", "details_submitted")


def client(settings: Settings) -> stripe.StripeClient:
    if settings.payment_provider != "stripe" or not settings.stripe_secret_key:
        raise ConnectUnavailable()
    # imported where used (here and in ``_call``): a process that never talks to Stripe does not carry
    # its SDK (~10 MB resident)
    import stripe

    base = settings.stripe_api_base
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": base} if base else None,
        http_client=stripe.HTTPXClient(timeout=settings.stripe_timeout_seconds),
        max_network_retries=settings.stripe_max_network_retries,
    )


async def _call(request: Awaitable[T]) -> T:
    """Await a Stripe call; a Stripe error becomes 502 ``connect.gateway_error`` with its message."""
    import stripe

    try:
        return await request
    except stripe.StripeError as exc:
        raise ConnectGatewayError(str(exc.user_message or "Stripe refused the request")) from exc


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
    for flag in FLAGS:
        value = bool(remote.get(flag, False) if isinstance(remote, dict) else getattr(remote, flag, False))
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
    if account is None:
        remote = await _call(
            stripe_client.v1.accounts.create_async(
                {"type": "express", "country": prop.country, "metadata": {"property_id": str(prop.id)}},
                {"idempotency_key": f"innkeeper-connect-{prop.id}"},
            )
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
    link = await _call(
        stripe_client.v1.account_links.create_async(
            {
                "account": account.account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            }
        )
    )
    expires = datetime.fromtimestamp(int(link.expires_at), UTC).isoformat()
    return account, {"url": link.url, "expires_at": expires}


async def status(session: AsyncSession, prop: Property) -> ConnectAccount:
    account = await session.get(ConnectAccount, prop.id)
    if account is None:
        raise ConnectNotOnboarded()
    return account


async def refresh(session: AsyncSession, settings: Settings, prop: Property, actor: Actor) -> ConnectAccount:
    account = await status(session, prop)
    remote = await _call(client(settings).v1.accounts.retrieve_async(account.account_id))
    if changes := _mirror(account, remote):
        record(
            session, actor, "connect.account_updated", "property", prop.id, property_id=prop.id, after=changes
        )
    return account


# -- account.updated through the payments webhook inbox ---------------------------------------------------
@hooks.on_event("account.updated")
async def account_updated(session: AsyncSession, obj: dict[str, Any], actor: Actor) -> bool:
    """Mirror a connected account's flags from its event; ``False`` (stored as ``ignored``) for an
    account that is not one of ours or when nothing changed. Idempotent: a replay changes nothing."""
    account_id = obj.get("id")
    if not isinstance(account_id, str):
        return False
    account = await session.scalar(
        select(ConnectAccount).where(ConnectAccount.account_id == account_id).with_for_update()
    )
    if account is None:
        return False
    # a flag the event leaves out keeps its value (a partial object never switches anything off)
    changes = _mirror(account, {flag: obj.get(flag, getattr(account, flag)) for flag in FLAGS})
    if changes:
        record(
            session,
            actor,
            "connect.account_updated",
            "property",
            account.property_id,
            property_id=account.property_id,
            after=changes,
        )
    return bool(changes)


# -- destination charges -------------------------------------------------------------------------------
def application_fee(amount: Money, percent: Decimal | float) -> Money | None:
    """``amount`` x ``percent`` / 100 in minor units, rounded half up; ``None`` for no fee."""
    fee = (Decimal(amount.minor) * Decimal(str(percent)) / 100).quantize(Decimal(1), ROUND_HALF_UP)
    return Money(int(fee), amount.currency) if fee > 0 else None


@hooks.destination_resolver
async def destination(
    ctx: AppContext, session: AsyncSession, property_id: uuid.UUID, amount: Money
) -> hooks.Destination | None:
    """The property's connected account when Stripe is the provider and the account may take charges."""
    if ctx.settings.payment_provider != "stripe":
        return None
    account = await session.get(ConnectAccount, property_id)
    if account is None or not account.charges_enabled:
        return None
    return hooks.Destination(
        account.account_id, application_fee(amount, ctx.settings.connect_application_fee_percent)
    )


# -- payouts -----------------------------------------------------------------------------------------------
def _instant(ts: Any) -> str | None:
    return datetime.fromtimestamp(int(ts), UTC).isoformat() if ts is not None else None


def payout_to_api(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "amount": Money(int(p.amount), str(p.currency).upper()).to_api(),
        "status": p.status,
        "arrival_date": _instant(getattr(p, "arrival_date", None)),
        "created_at": _instant(getattr(p, "created", None)),
        "method": getattr(p, "method", None),
        "description": getattr(p, "description", None),
        "failure_message": getattr(p, "failure_message", None),
    }


async def payouts(
    session: AsyncSession, settings: Settings, prop: Property, *, limit: int, starting_after: str | None
) -> dict[str, Any]:
    """One page of the connected account's payouts, newest first (Stripe's cursor: ``starting_after``
    is the last id of the previous page). 409 ``connect.unavailable`` without Stripe or an account."""
    stripe_client = client(settings)
    account = await session.get(ConnectAccount, prop.id)
    if account is None:
        raise ConnectUnavailable("This property has no connected Stripe account yet")
    params: dict[str, Any] = {"limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    page = await _call(
        stripe_client.v1.payouts.list_async(
            params,  # type: ignore[arg-type]
            {"stripe_account": account.account_id},
        )
    )
    items = [payout_to_api(p) for p in page.data]
    return {
        "items": items,
        "has_more": bool(page.has_more),
        "next": items[-1]["id"] if page.has_more and items else None,
    }
