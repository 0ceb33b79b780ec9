"""Job handlers: deliver one message; keep a copy in the development outbox outside production."""

from __future__ import annotations

from typing import Any

from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobContext, registry
from innkeeper.kit.metrics import NOTIFICATIONS
from innkeeper.notifications.models import DevMessage
from innkeeper.notifications.senders import Sender, email_sender, sms_sender
from innkeeper.notifications.service import DELIVER_JOB, Message


def _senders(app: AppContext) -> dict[str, Sender]:
    senders = app.extras.get("senders")
    if senders is None:
        senders = app.extras["senders"] = {
            "email": email_sender(app.settings),
            "sms": sms_sender(app.settings),
        }
    return senders


@registry.handler(DELIVER_JOB)
async def deliver(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    message = Message.from_payload(app.crypto.open_json(payload["sealed"]))
    await _senders(app)[message.channel].send(message)  # outside any data transaction
    NOTIFICATIONS.labels(message.channel).inc()
    if not app.settings.is_production:
        async with app.db.unit_of_work() as session:
            session.add(
                DevMessage(
                    channel=message.channel,
                    to=message.to,
                    subject=message.subject,
                    body=message.body,
                    attachments=",".join(a.filename for a in message.attachments) or None,
                )
            )
