"""Queue e-mail and SMS in the caller's transaction; delivery happens after commit (invariant 8).

The message is sealed (encrypted) inside the job payload: codes and addresses never sit in clear in
the jobs table.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.context import AppContext
from innkeeper.kit.jobs import enqueue
from innkeeper.notifications.models import DevMessage

DELIVER_JOB = "notifications.deliver"


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Message:
    channel: str  # "email" | "sms"
    to: str
    body: str
    subject: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)

    def to_payload(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "to": self.to,
            "body": self.body,
            "subject": self.subject,
            "html": self.html,
            "attachments": [
                {
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "content": base64.b64encode(a.content).decode(),
                }
                for a in self.attachments
            ],
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Message:
        return cls(
            channel=data["channel"],
            to=data["to"],
            body=data["body"],
            subject=data.get("subject"),
            html=data.get("html"),
            attachments=[
                Attachment(a["filename"], a["content_type"], base64.b64decode(a["content"]))
                for a in data.get("attachments") or []
            ],
        )


def queue(ctx: AppContext, session: AsyncSession, message: Message) -> None:
    enqueue(session, DELIVER_JOB, {"sealed": ctx.crypto.seal_json(message.to_payload())})


def send_sms(ctx: AppContext, session: AsyncSession, *, to: str, body: str) -> None:
    queue(ctx, session, Message(channel="sms", to=to, body=body))


def send_email(
    ctx: AppContext,
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[Attachment] | None = None,
) -> None:
    queue(
        ctx,
        session,
        Message(channel="email", to=to, subject=subject, body=body, html=html, attachments=attachments or []),
    )


async def dev_messages(session: AsyncSession, *, to: str | None, limit: int) -> tuple[list[DevMessage], int]:
    """The development outbox, newest first (optionally to one address), and how many there are."""
    stmt = select(DevMessage)
    count = select(func.count()).select_from(DevMessage)
    if to:
        stmt = stmt.where(DevMessage.to == to)
        count = count.where(DevMessage.to == to)
    rows = await session.scalars(stmt.order_by(DevMessage.sent_at.desc(), DevMessage.id.desc()).limit(limit))
    return list(rows.all()), int(await session.scalar(count) or 0)
