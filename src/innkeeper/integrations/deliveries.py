"""Webhook deliveries: written in the transaction of the change they announce, sent after it commits.

1. :func:`announce` (called by the reactions, inside the emitting transaction) bumps the object's
   version, writes one ``webhook_deliveries`` row per interested subscription and enqueues a
   ``integrations.webhook_deliver`` job for each (``kit.jobs.enqueue``): a rolled-back change leaves
   neither, a committed one both (invariant 8).
2. The job (:func:`attempt`) signs the message per the Standard Webhooks specification
   (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<HMAC-SHA256>``, via the
   ``standardwebhooks`` library) and POSTs it outside any transaction, with a timeout.
3. The outcome is logged (status code, timing) in a short transaction of its own. A 2xx is a success;
   anything else is retried with exponential backoff and jitter until ``INNKEEPER_WEBHOOK_RETRY_HOURS``
   after the event (a day), then the delivery is ``failed``. A retry re-sends the same message (same
   id and body; a fresh timestamp and signature), so receivers can deduplicate on ``webhook-id``.

Deliveries are not ordered; each payload's ``data.version`` grows with every announced change of its
object, so a receiver keeps the highest it has seen.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook

from innkeeper.config import Settings
from innkeeper.integrations import net
from innkeeper.integrations.errors import UrlRefused
from innkeeper.integrations.models import (
    DeliveryStatus,
    ObjectVersion,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from innkeeper.kit import jobs
from innkeeper.kit.clock import utcnow
from innkeeper.kit.crypto import Crypto
from innkeeper.kit.db import Database, insert_for
from innkeeper.kit.ids import new_id

log = structlog.get_logger(__name__)

DELIVER_JOB = "integrations.webhook_deliver"
#: first retry after ~30 s, doubling, at most ~6 h apart (±20 % jitter): about 12 tries in a day
FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 6 * 3600.0


def retry_delay(failed_attempts: int) -> timedelta:
    base = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2.0 ** max(0, failed_attempts - 1))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


async def bump_version(session: AsyncSession, object_type: str, object_id: str) -> int:
    """The object's next version, counted in this transaction (the upsert locks the counter row until
    commit, so two changes of one object get distinct, increasing numbers)."""
    stmt = insert_for(session, ObjectVersion).values(object_type=object_type, object_id=object_id, version=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["object_type", "object_id"], set_={"version": ObjectVersion.version + 1}
    ).returning(ObjectVersion.version)
    return int((await session.execute(stmt)).scalar_one())


#: the active subscriptions of a property and the events each asked for: built once (every booking
#: event runs it; building a select with its comparisons costs more CPU than the round trip)
_SUBSCRIBERS = select(WebhookSubscription.id, WebhookSubscription.events).where(
    WebhookSubscription.property_id == bindparam("property_id"), WebhookSubscription.is_active.is_(True)
)


async def subscribers(session: AsyncSession, property_id: uuid.UUID, event_type: str) -> list[uuid.UUID]:
    """The ids of the property's active subscriptions that asked for ``event_type``."""
    rows = await session.execute(_SUBSCRIBERS, {"property_id": property_id})
    return [sub_id for sub_id, events in rows if event_type in (events or [])]


async def announce(
    session: AsyncSession,
    property_id: uuid.UUID,
    event_type: str,
    *,
    object_type: str,
    object_id: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
) -> list[WebhookDelivery]:
    """Queue ``event_type`` for every active subscription of the property that asked for it. ``data``
    may be a function, called only when someone subscribed (most properties: no one)."""
    subs = await subscribers(session, property_id, event_type)
    if not subs:
        return []
    version = await bump_version(session, object_type, object_id)
    now = utcnow()
    payload = {
        "type": event_type,
        "timestamp": now.isoformat(),
        "data": {
            "object": object_type,
            "id": object_id,
            "version": version,
            **(data() if callable(data) else data),
        },
    }
    out = []
    for sub_id in subs:
        delivery = WebhookDelivery(
            id=new_id(),
            subscription_id=sub_id,
            property_id=property_id,
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            payload=payload,
            status=DeliveryStatus.pending.value,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        jobs.enqueue(session, DELIVER_JOB, job_payload(delivery))
        out.append(delivery)
    return out


def job_payload(delivery: WebhookDelivery, *, manual: bool = False) -> dict[str, Any]:
    """A scheduled attempt names the time it is for: a job whose time is no longer the delivery's next
    attempt (a manual retry rescheduled it) does nothing."""
    due = delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None
    return {"delivery_id": str(delivery.id), "due": due, "manual": manual}


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


async def _load(db: Database, delivery_id: uuid.UUID) -> tuple[WebhookDelivery, WebhookSubscription] | None:
    async with db.unit_of_work(write=False) as session:
        row = (
            await session.execute(
                select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(WebhookDelivery.id == delivery_id)
            )
        ).first()
    return (row[0], row[1]) if row else None


async def _send(
    settings: Settings, crypto: Crypto, delivery: WebhookDelivery, sub: WebhookSubscription
) -> tuple[int | None, int, str | None]:
    """POST the message: (status code or none, duration in ms, error or none). Never raises."""
    import httpx  # the delivery job's, not the API's (see ``net.call``)

    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    headers = signed_headers(crypto.open(sub.secret_enc), delivery.message_id, utcnow(), body)
    started = utcnow()
    try:
        answer = await net.call(settings, "POST", sub.url, headers=headers, content=body.encode())
    except UrlRefused as exc:
        return None, 0, exc.detail[:500]
    except httpx.HTTPError as exc:
        elapsed = int((utcnow() - started).total_seconds() * 1000)
        return None, elapsed, f"{type(exc).__name__}: {exc}"[:500]
    error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    return answer.status_code, answer.duration_ms, error


def _stale(delivery: WebhookDelivery, due: str | None) -> bool:
    if delivery.status != DeliveryStatus.pending.value or delivery.next_attempt_at is None:
        return True
    return due is not None and delivery.next_attempt_at.isoformat() != due


async def attempt(
    db: Database,
    settings: Settings,
    crypto: Crypto,
    delivery_id: uuid.UUID,
    *,
    manual: bool = False,
    due: str | None = None,
) -> str | None:
    """One attempt of a delivery; its status afterwards (``None``: no such delivery any more)."""
    loaded = await _load(db, delivery_id)
    if loaded is None:
        return None
    delivery, sub = loaded
    if not manual and _stale(delivery, due):
        return delivery.status  # a duplicate job, or one a manual retry rescheduled
    code: int | None = None
    duration: int = 0
    error: str | None = "the subscription is disabled"
    if sub.is_active:
        code, duration, error = await _send(settings, crypto, delivery, sub)
    deadline = delivery.created_at + timedelta(hours=settings.webhook_retry_hours)
    async with db.unit_of_work() as session:
        row = await session.scalar(
            select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
        )
        if row is None:
            return None
        return _record(
            session, row, code, duration, error, deadline=deadline, manual=manual, active=sub.is_active
        )


def _record(
    session: AsyncSession,
    row: WebhookDelivery,
    code: int | None,
    duration: int,
    error: str | None,
    *,
    deadline: datetime,
    manual: bool,
    active: bool,
) -> str:
    now = utcnow()
    row.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=row.id,
            number=row.attempts,
            at=now,
            status_code=code,
            duration_ms=duration,
            error=error,
            manual=manual,
        )
    )
    row.last_status_code, row.last_duration_ms, row.last_error = code, duration, error
    if error is None:
        row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.succeeded.value, now, None
        return row.status
    retry_at = now + retry_delay(row.attempts)
    if not active or retry_at > deadline:
        row.status, row.next_attempt_at = DeliveryStatus.failed.value, None
        log.warning("webhook.delivery_failed", delivery_id=str(row.id), attempts=row.attempts)
        return row.status
    row.status, row.next_attempt_at = DeliveryStatus.pending.value, retry_at
    jobs.enqueue(session, DELIVER_JOB, job_payload(row), run_at=retry_at)
    return row.status


def request_retry(session: AsyncSession, delivery: WebhookDelivery) -> None:
    """A manual retry: one attempt now, whatever the delivery's state (after the request commits)."""
    jobs.enqueue(session, DELIVER_JOB, job_payload(delivery, manual=True))
