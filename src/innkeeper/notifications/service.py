"""Queue e-mail and SMS in the caller's transaction; delivery happens after commit (invariant 8).

The message is sealed (encrypted) inside the job payload: codes and addresses never sit in clear in
the jobs table. :func:`send_templated_email` and :func:`send_templated_sms` render one of the
templates of :mod:`innkeeper.notifications.templating` (in the recipient's language, with the
property's own subject and opening paragraph when it set them) and queue it the same way.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.context import AppContext
from innkeeper.kit.jobs import enqueue
from innkeeper.notifications.models import DevMessage, MessageOverride
from innkeeper.notifications.templating import (
    TEMPLATES,
    Override,
    normalize_locale,
    render_email,
    render_sms,
)

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


async def send_templated_email(
    ctx: AppContext,
    session: AsyncSession,
    *,
    to: str,
    template: str,
    locale: str | None,
    context: dict[str, Any],
    fields: dict[str, str] | None = None,
    property_id: uuid.UUID | None = None,
    attachments: list[Attachment] | None = None,
) -> None:
    """Render ``template`` in ``locale`` (the recipient's language; English when unknown) and queue it.

    ``property_id``: whose guest the recipient is; that property's override of the template's subject
    and opening paragraph applies (``fields`` fill its ``{placeholders}``)."""
    lang = normalize_locale(locale)
    override = None
    if property_id is not None and TEMPLATES[template].guest:
        override = await find_override(session, property_id, template, lang)
    rendered = render_email(template, lang, context, fields=fields, override=override)
    send_email(
        ctx,
        session,
        to=to,
        subject=rendered.subject,
        body=rendered.text,
        html=rendered.html,
        attachments=attachments,
    )


def send_templated_sms(
    ctx: AppContext,
    session: AsyncSession,
    *,
    to: str,
    template: str,
    locale: str | None,
    context: dict[str, Any],
) -> None:
    send_sms(ctx, session, to=to, body=render_sms(template, locale, context))


# -- a property's own subject and opening paragraph ---------------------------------------------------


async def find_override(
    session: AsyncSession, property_id: uuid.UUID, template: str, locale: str
) -> Override | None:
    row = await session.scalar(
        select(MessageOverride).where(
            MessageOverride.property_id == property_id,
            MessageOverride.template == template,
            MessageOverride.locale == locale,
        )
    )
    return Override(subject=row.subject, intro=row.intro) if row is not None else None


async def overrides_of(session: AsyncSession, property_id: uuid.UUID) -> list[MessageOverride]:
    rows = await session.scalars(
        select(MessageOverride)
        .where(MessageOverride.property_id == property_id)
        .order_by(MessageOverride.template, MessageOverride.locale)
    )
    return list(rows.all())


async def set_override(
    session: AsyncSession,
    property_id: uuid.UUID,
    template: str,
    locale: str,
    *,
    subject: str | None,
    intro: str | None,
) -> tuple[MessageOverride, dict[str, Any] | None]:
    """Create or replace the property's override; returns it and what it was before (``None``: new)."""
    row = await session.scalar(
        select(MessageOverride)
        .where(
            MessageOverride.property_id == property_id,
            MessageOverride.template == template,
            MessageOverride.locale == locale,
        )
        .with_for_update()
    )
    before = None
    if row is None:
        row = MessageOverride(property_id=property_id, template=template, locale=locale)
        session.add(row)
    else:
        before = {"subject": row.subject, "intro": row.intro}
    row.subject, row.intro = subject, intro
    await session.flush()
    return row, before


async def delete_override(session: AsyncSession, property_id: uuid.UUID, template: str, locale: str) -> bool:
    result = await session.execute(
        delete(MessageOverride).where(
            MessageOverride.property_id == property_id,
            MessageOverride.template == template,
            MessageOverride.locale == locale,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def dev_messages(session: AsyncSession, *, to: str | None, limit: int) -> tuple[list[DevMessage], int]:
    """The development outbox, newest first (optionally to one address), and how many there are."""
    stmt = select(DevMessage)
    count = select(func.count()).select_from(DevMessage)
    if to:
        stmt = stmt.where(DevMessage.to == to)
        count = count.where(DevMessage.to == to)
    rows = await session.scalars(stmt.order_by(DevMessage.sent_at.desc(), DevMessage.id.desc()).limit(limit))
    return list(rows.all()), int(await session.scalar(count) or 0)
