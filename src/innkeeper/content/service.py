"""CMS pages and a property's message overrides. Services never commit; the request does.

Scoping: platform pages are written by platform admins (``identity.deps.PlatformAdmin``), a property's
pages and message overrides by those who may ``property.manage`` it (``property_action``). Readers
see published pages only; a draft is 404 to them, and shown to those who may edit it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property
from innkeeper.content.models import Page
from innkeeper.content.sanitize import clean_html
from innkeeper.content.schemas import OverrideIn, PageIn
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action, permits, role_at
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import NotFound, ValidationFailed
from innkeeper.notifications import service as messages
from innkeeper.notifications.models import MessageOverride
from innkeeper.notifications.templating import GUEST_TEMPLATES, LOCALES, TEMPLATES


class PageNotFound(NotFound):
    code = "page.not_found"
    title = "No such page"


class TemplateNotFound(NotFound):
    code = "message_template.not_found"
    title = "No such message template"


def page_to_api(page: Page) -> dict[str, Any]:
    return {
        "id": str(page.id),
        "slug": page.slug,
        "property_id": str(page.property_id) if page.property_id else None,
        "title": page.title,
        "body_html": page.body_html,
        "published": page.published,
        "published_at": page.published_at.isoformat() if page.published_at else None,
        "updated_at": page.updated_at.isoformat(),
    }


def _where(property_id: uuid.UUID | None) -> Any:
    return Page.property_id.is_(None) if property_id is None else Page.property_id == property_id


async def save_page(
    session: AsyncSession, property_id: uuid.UUID | None, slug: str, data: PageIn, actor: Actor
) -> tuple[Page, bool]:
    """Create or replace the page (sanitized); returns it and whether it is new."""
    body = clean_html(data.body_html)
    page = await session.scalar(select(Page).where(_where(property_id), Page.slug == slug).with_for_update())
    created = page is None
    before = None
    if page is None:
        page = Page(property_id=property_id, slug=slug)
        session.add(page)
    else:
        before = {"title": page.title, "published": page.published}
    page.title, page.body_html, page.published = data.title, body, data.published
    page.updated_by = actor.user_id
    page.updated_at = utcnow()
    if data.published and page.published_at is None:
        page.published_at = utcnow()
    await session.flush()
    record(
        session,
        actor,
        "page.created" if created else "page.updated",
        "page",
        page.id,
        property_id=property_id,
        before=before,
        after={
            "slug": slug,
            "title": page.title,
            "published": page.published,
            "sanitized": body != data.body_html,
        },
    )
    return page, created


async def delete_page(session: AsyncSession, property_id: uuid.UUID | None, slug: str, actor: Actor) -> None:
    page = await session.scalar(select(Page).where(_where(property_id), Page.slug == slug).with_for_update())
    if page is None:
        raise PageNotFound()
    await session.delete(page)
    record(session, actor, "page.deleted", "page", page.id, property_id=property_id, before={"slug": slug})


async def may_edit(session: AsyncSession, user: User | None, property_id: uuid.UUID | None) -> bool:
    """Whether ``user`` may see drafts (and edit): admins anywhere, managers at their property."""
    if user is None:
        return False
    if user.is_platform_admin:
        return True
    if property_id is None:
        return False
    role = await role_at(session, user.id, property_id)
    return role is not None and permits(role, Action.property_manage)


async def readable_property(session: AsyncSession, slug: str, user: User | None) -> tuple[Property, bool]:
    """The property of a public page address, and whether the caller may see its drafts. An inactive
    property is 404, except to those who manage it."""
    prop = await session.scalar(select(Property).where(Property.slug == slug))
    if prop is None:
        raise PageNotFound("No such property page")
    editor = await may_edit(session, user, prop.id)
    if not prop.is_active and not editor:
        raise PageNotFound("No such property page")
    return prop, editor


async def read_page(session: AsyncSession, property_id: uuid.UUID | None, slug: str, *, drafts: bool) -> Page:
    page = await session.scalar(select(Page).where(_where(property_id), Page.slug == slug))
    if page is None or not (page.published or drafts):
        raise PageNotFound()
    return page


async def list_pages(
    session: AsyncSession, property_id: uuid.UUID | None, *, drafts: bool, limit: int, offset: int
) -> tuple[list[Page], int]:
    stmt = select(Page).where(_where(property_id))
    if not drafts:
        stmt = stmt.where(Page.published.is_(True))
    rows = list((await session.scalars(stmt.order_by(Page.slug))).all())
    return rows[offset : offset + limit], len(rows)


# -- message overrides --------------------------------------------------------------------------------


def override_to_api(row: MessageOverride) -> dict[str, Any]:
    return {
        "template": row.template,
        "locale": row.locale,
        "subject": row.subject,
        "intro": row.intro,
        "updated_at": row.updated_at.isoformat(),
    }


def _check(template: str, locale: str) -> None:
    if template not in GUEST_TEMPLATES:
        raise TemplateNotFound(f"{template!r} is not a guest message a property may change")
    if locale not in LOCALES:
        raise ValidationFailed(
            "Unknown language",
            errors=[{"field": "locale", "message": f"one of {', '.join(LOCALES)}", "type": "enum"}],
        )


async def templates_of(session: AsyncSession, property_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await messages.overrides_of(session, property_id)
    return [
        {
            "template": name,
            "placeholders": list(TEMPLATES[name].fields),
            "locales": list(LOCALES),
            "overrides": [override_to_api(r) for r in rows if r.template == name],
        }
        for name in GUEST_TEMPLATES
    ]


async def set_override(
    session: AsyncSession, property_id: uuid.UUID, template: str, locale: str, data: OverrideIn, actor: Actor
) -> MessageOverride:
    _check(template, locale)
    if data.subject is None and data.intro is None:
        raise ValidationFailed(
            "Give a subject, an intro or both (DELETE removes the override)",
            errors=[{"field": "body", "message": "subject or intro required", "type": "missing"}],
        )
    row, before = await messages.set_override(
        session, property_id, template, locale, subject=data.subject, intro=data.intro
    )
    record(
        session,
        actor,
        "message_override.saved",
        "message_override",
        row.id,
        property_id=property_id,
        before=before,
        after={"template": template, "locale": locale, "subject": data.subject, "intro": data.intro},
    )
    return row


async def delete_override(
    session: AsyncSession, property_id: uuid.UUID, template: str, locale: str, actor: Actor
) -> None:
    _check(template, locale)
    if not await messages.delete_override(session, property_id, template, locale):
        raise NotFound("This message has no override in that language", code="message_override.not_found")
    record(
        session,
        actor,
        "message_override.deleted",
        "message_override",
        f"{template}:{locale}",
        property_id=property_id,
        before={"template": template, "locale": locale},
    )
