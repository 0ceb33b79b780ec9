"""The property's CMS pages (``property.manage``): the list, and a page's title, body and published flag
edited through ``content.service.save_page`` (the use case of ``PUT /properties/{id}/pages/{slug}``,
which sanitizes the HTML on save and writes the ``page.created``/``page.updated`` audit row)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.content import service as content
from innkeeper.content.schemas import PageIn
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import StaffRoute, page, staff_at
from innkeeper.web.staff.deps import actor as staff_actor
from innkeeper.web.staff.forms import text, validation_messages

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

#: the API's page address (``content.router.SlugPath``)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
PAGE_LIMIT = 200


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise content.PageNotFound()
    return value


@router.get("/staff/p/{property_id}/pages")
async def pages_list(
    request: Request, property_id: uuid.UUID, session: DbSession, done: str = ""
) -> Response:
    staff = await staff_at(request, session, property_id, Action.property_manage)
    rows, _ = await content.list_pages(session, staff.prop.id, drafts=True, limit=PAGE_LIMIT, offset=0)
    context: dict[str, Any] = {
        "pages": [content.page_to_api(p) for p in rows],
        "done": done[:20],
        "error": None,
        "v": {},
    }
    return page(request, staff, "staff/pages.html", context)


@router.get("/staff/p/{property_id}/pages/{slug}")
async def page_edit(request: Request, property_id: uuid.UUID, slug: str, session: DbSession) -> Response:
    staff = await staff_at(request, session, property_id, Action.property_manage)
    slug = _slug(slug)
    try:
        found = content.page_to_api(await content.read_page(session, staff.prop.id, slug, drafts=True))
        values = {"title": found["title"], "body_html": found["body_html"], "published": found["published"]}
    except content.PageNotFound:
        values = {"title": "", "body_html": "", "published": False}  # a new page at this address
    context = {"slug": slug, "v": values, "errors": {}, "error": None}
    return page(request, staff, "staff/page_edit.html", context)


@router.post("/staff/p/{property_id}/pages/{slug}")
async def page_save(
    request: Request, property_id: uuid.UUID, slug: str, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.property_manage)
    slug = _slug(slug)
    form = await request.form()
    body = form.get("body_html")
    values = {
        "title": text(form, "title", 400),
        "body_html": body if isinstance(body, str) else "",
        "published": form.get("published") == "1",
    }
    try:
        try:
            data = PageIn.model_validate(values)
        except ValidationError as exc:
            messages = validation_messages(exc)
            raise ValidationFailed(
                "Please check the highlighted fields",
                errors=[{"field": k, "message": v, "type": "invalid"} for k, v in messages.items()],
            ) from exc
        async with session.begin_nested():
            await content.save_page(session, staff.prop.id, slug, data, staff_actor(request, staff))
    except AppError as exc:
        errors = {str(e.get("field")): str(e.get("message")) for e in exc.errors or []}
        context = {"slug": slug, "v": values, "errors": errors, "error": exc.detail}
        return page(request, staff, "staff/page_edit.html", context, exc.status)
    return redirect(f"{staff.base}/pages?done=saved")
