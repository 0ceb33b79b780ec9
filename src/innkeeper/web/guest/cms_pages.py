"""CMS pages on the site: a property's pages (house rules, directions, ...) at ``/p/{slug}/pages/{page}``,
linked from its page, and the platform's at ``/pages/{page}``. The rules are ``content.service``'s, as
the ``/properties/{slug}/pages`` and ``/pages`` API routes use them: readers see published pages only
(a draft is a 404, except to those who may edit it); a page's HTML was sanitized when it was saved
(``content.sanitize``), so it is shown as stored."""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Request, Response

from innkeeper.content import service as content
from innkeeper.content.service import PageNotFound
from innkeeper.kit.http import DbSession
from innkeeper.web.errors import WebRoute
from innkeeper.web.pages import WebUser, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: a page's address, as the API's (``content.router.SlugPath``)
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
#: pages linked from a property's page
LISTED = 20


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise PageNotFound()
    return value


@router.get("/p/{slug}/pages/{page_slug}")
async def property_page(
    request: Request, slug: str, page_slug: str, session: DbSession, web_user: WebUser
) -> Response:
    user = web_user.user if web_user else None
    prop, editor = await content.readable_property(session, _slug(slug), user)
    page = await content.read_page(session, prop.id, _slug(page_slug), drafts=editor)
    return render(request, "guest/cms_page.html", {"page": page, "prop": prop})


@router.get("/pages/{page_slug}")
async def platform_page(request: Request, page_slug: str, session: DbSession, web_user: WebUser) -> Response:
    user = web_user.user if web_user else None
    drafts = await content.may_edit(session, user, None)
    page = await content.read_page(session, None, _slug(page_slug), drafts=drafts)
    return render(request, "guest/cms_page.html", {"page": page, "prop": None})


async def listed(session: DbSession, property_id: uuid.UUID) -> list[dict[str, str]]:
    """The property's published pages, for the links on its page."""
    rows, _ = await content.list_pages(session, property_id, drafts=False, limit=LISTED, offset=0)
    return [{"slug": p.slug, "title": p.title} for p in rows]
