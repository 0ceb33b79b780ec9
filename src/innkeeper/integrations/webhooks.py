"""Webhook subscriptions of a property: a URL, the event types it wants, a signing secret shown once.

The secret is a Standard Webhooks secret (``whsec_`` + base64 of 32 random bytes), sealed with the
field keys at rest because signing needs it in clear. The URL is checked when saved (http(s), no
credentials, and, where the SSRF guard is on, a public address) and again at every delivery.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.config import Settings
from innkeeper.integrations import net
from innkeeper.integrations.errors import DeliveryNotFound, UnknownEventType, WebhookNotFound
from innkeeper.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from innkeeper.kit.crypto import Crypto

#: every event type a subscription may ask for (API.md, "Integrations")
EVENT_TYPES = (
    "booking.created",
    "booking.confirmed",
    "booking.modified",
    "booking.cancelled",
    "booking.checked_in",
    "booking.checked_out",
    "payment.succeeded",
    "payment.refunded",
    "service_order.updated",
    "review.published",
)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        message = f"unknown event type(s): {', '.join(unknown)}" if unknown else "name at least one event"
        raise UnknownEventType(
            message, errors=[{"field": "events", "message": message, "type": "webhook.unknown_event"}]
        )
    return sorted(set(events), key=EVENT_TYPES.index)


async def check_url(settings: Settings, url: str) -> str:
    net.check_syntax(url)
    await net.resolve(url, allow_private=net.private_allowed(settings))
    return url


def subscription_to_api(sub: WebhookSubscription, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(sub.id),
        "property_id": str(sub.property_id),
        "url": sub.url,
        "events": list(sub.events),
        "description": sub.description,
        "is_active": sub.is_active,
        "created_at": sub.created_at.isoformat(),
    }
    if secret is not None:
        out["secret"] = secret
    return out


async def create(
    session: AsyncSession,
    settings: Settings,
    crypto: Crypto,
    property_id: uuid.UUID,
    *,
    url: str,
    events: list[str],
    description: str | None,
    actor: Actor,
) -> tuple[WebhookSubscription, str]:
    """The subscription and its secret (the only time the secret is returned)."""
    wanted = check_events(events)
    await check_url(settings, url)
    secret = new_secret()
    sub = WebhookSubscription(
        property_id=property_id,
        url=url,
        events=wanted,
        secret_enc=crypto.seal(secret),
        description=description,
        created_by=actor.user_id,
    )
    session.add(sub)
    await session.flush()
    after = {"url": url, "events": wanted}
    record(session, actor, "webhook.created", "webhook", sub.id, property_id=property_id, after=after)
    return sub, secret


async def get(session: AsyncSession, property_id: uuid.UUID, webhook_id: uuid.UUID) -> WebhookSubscription:
    sub = await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id, WebhookSubscription.property_id == property_id
        )
    )
    if sub is None:
        raise WebhookNotFound()
    return sub


async def list_for(
    session: AsyncSession, property_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[WebhookSubscription], int]:
    where = WebhookSubscription.property_id == property_id
    rows = await session.scalars(
        select(WebhookSubscription)
        .where(where)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(WebhookSubscription).where(where))
    return list(rows.all()), int(total or 0)


async def update(
    session: AsyncSession,
    settings: Settings,
    sub: WebhookSubscription,
    changes: dict[str, Any],
    actor: Actor,
) -> WebhookSubscription:
    before = subscription_to_api(sub)
    if "url" in changes:
        sub.url = await check_url(settings, changes["url"])
    if "events" in changes:
        sub.events = check_events(changes["events"])
    if "is_active" in changes:
        sub.is_active = bool(changes["is_active"])
    if "description" in changes:
        sub.description = changes["description"]
    await session.flush()
    record(
        session,
        actor,
        "webhook.updated",
        "webhook",
        sub.id,
        property_id=sub.property_id,
        before=before,
        after=subscription_to_api(sub),
    )
    return sub


async def rotate_secret(session: AsyncSession, crypto: Crypto, sub: WebhookSubscription, actor: Actor) -> str:
    secret = new_secret()
    sub.secret_enc = crypto.seal(secret)
    record(session, actor, "webhook.secret_rotated", "webhook", sub.id, property_id=sub.property_id)
    return secret


async def delete(session: AsyncSession, sub: WebhookSubscription, actor: Actor) -> None:
    """Gone with its deliveries and their log (pending deliveries are never sent)."""
    before = subscription_to_api(sub)
    await session.delete(sub)
    record(session, actor, "webhook.deleted", "webhook", sub.id, property_id=sub.property_id, before=before)


def record_retry(session: AsyncSession, delivery: WebhookDelivery, actor: Actor) -> None:
    record(
        session,
        actor,
        "webhook.delivery_retried",
        "webhook_delivery",
        delivery.id,
        property_id=delivery.property_id,
        after={"message_id": delivery.message_id},
    )


# -- the delivery log ------------------------------------------------------------------------------------
def attempt_to_api(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "at": a.at.isoformat(),
        "status_code": a.status_code,
        "duration_ms": a.duration_ms,
        "error": a.error,
        "manual": a.manual,
    }


def delivery_to_api(d: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(d.id),
        "webhook_id": str(d.subscription_id),
        "message_id": d.message_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_duration_ms": d.last_duration_ms,
        "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "created_at": d.created_at.isoformat(),
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
    }
    if attempts is not None:
        out["payload"] = d.payload
        out["log"] = [attempt_to_api(a) for a in attempts]
    return out


async def deliveries_of(
    session: AsyncSession, sub: WebhookSubscription, *, status: str | None, limit: int, offset: int
) -> tuple[list[WebhookDelivery], int]:
    where = [WebhookDelivery.subscription_id == sub.id]
    if status:
        where.append(WebhookDelivery.status == status)
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(*where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(WebhookDelivery).where(*where))
    return list(rows.all()), int(total or 0)


async def delivery_of(
    session: AsyncSession, sub: WebhookSubscription, delivery_id: uuid.UUID, *, lock: bool = False
) -> WebhookDelivery:
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == sub.id
    )
    delivery = await session.scalar(stmt.with_for_update() if lock else stmt)
    if delivery is None:
        raise DeliveryNotFound()
    return delivery


async def attempts_of(session: AsyncSession, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.number, WebhookAttempt.at)
    )
    return list(rows.all())
