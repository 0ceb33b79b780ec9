"""Payment metrics counted from payment outcomes (payments.hooks), and the webhook inbox's lag.

* ``innkeeper_payments_total{outcome}``: ``created`` for every payment row inserted, then each outcome
  (``succeeded``, ``failed``, ``refunded``, ``refund_failed``) fired through ``payments.hooks``.
  Conversion is succeeded / created; the failure ratio failed / (succeeded + failed).
* ``innkeeper_webhook_lag_seconds``: from an event's arrival (``received_at``) to its processing
  (``processed_at`` set), whoever processes it (the job, a retry from the admin API).

All counted when the transaction commits (``kit.metrics.inc_on_commit``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from innkeeper.kit.metrics import PAYMENTS, WEBHOOK_LAG, inc_on_commit, observe_on_commit
from innkeeper.payments import hooks
from innkeeper.payments.models import Payment, WebhookEvent
from innkeeper.payments.topup import TOPUP

#: the purposes payments are taken for (``payments.hooks`` fires per purpose): a booking's, a top-up
PURPOSES = ("booking", TOPUP)


async def count_outcome(session: AsyncSession, outcome: hooks.PaymentOutcome) -> None:
    inc_on_commit(session, PAYMENTS.labels(outcome.kind))


for _purpose in PURPOSES:
    hooks.on(_purpose)(count_outcome)


@event.listens_for(Payment, "after_insert")
def _count_created(_mapper: Any, _connection: Any, payment: Payment) -> None:
    session = object_session(payment)
    if session is not None:
        inc_on_commit(session, PAYMENTS.labels("created"))


@event.listens_for(WebhookEvent.processed_at, "set")
def _observe_lag(row: WebhookEvent, value: datetime | None, _old: Any, _initiator: Any) -> None:
    session = object_session(row)
    if value is None or session is None or row.received_at is None:
        return
    observe_on_commit(session, WEBHOOK_LAG, max(0.0, (value - row.received_at).total_seconds()))
