"""CMS pages over HTTP, and a property's own wording of its guests' messages (``docs/content.md``).

* Platform pages: ``PUT``/``DELETE /pages/{slug}`` (platform admins), ``GET /pages[/{slug}]``.
* Property pages: ``PUT``/``DELETE /properties/{property_id}/pages/{slug}`` (``property.manage``),
  ``GET /properties/{slug}/pages[/{page}]`` by the property's public slug.
* Message overrides: ``/properties/{property_id}/message-templates[/{template}/{locale}]``.

Readers see published pages only (a draft is 404); those who may edit a page see its drafts too."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.content import service
from innkeeper.content.schemas import OverrideIn, OverrideOut, PageIn, PageOut, TemplateOut
from innkeeper.identity.deps import ActorDep, OptionalUser, PlatformAdmin, property_action
from innkeeper.identity.errors import InvalidToken
from innkeeper.identity.permissions import Action
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import JSON_WRITE, problem_responses

router = APIRouter(route_class=UnitOfWorkRoute, tags=["content"], responses=problem_responses(422))

SlugPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,79}$", max_length=80)]
TOKEN = (InvalidToken, (401, "identity.token_missing"))
SCOPED = (*TOKEN, PropertyNotFound, (403, "auth.role"))
ManageProperty = Depends(property_action(Action.property_manage))


def _saved(page: Any, created: bool, response: Response) -> dict[str, Any]:
    if created:
        response.status_code = status.HTTP_201_CREATED
    return service.page_to_api(page)


# -- platform pages ------------------------------------------------------------------------------------


@router.put(
    "/pages/{slug}",
    response_model=PageOut,
    responses=problem_responses(*TOKEN, (403, "auth.admin_only"), *JSON_WRITE),
)
async def put_platform_page(
    slug: SlugPath,
    data: PageIn,
    _admin: PlatformAdmin,
    session: DbSession,
    actor: ActorDep,
    response: Response,
) -> dict[str, Any]:
    """Create (201) or replace (200) a platform page; the HTML is sanitized before it is stored."""
    page, created = await service.save_page(session, None, slug, data, actor)
    return _saved(page, created, response)


@router.delete(
    "/pages/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*TOKEN, (403, "auth.admin_only"), service.PageNotFound, 429),
)
async def delete_platform_page(
    slug: SlugPath, _admin: PlatformAdmin, session: DbSession, actor: ActorDep
) -> Response:
    await service.delete_page(session, None, slug, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/pages", response_model=ListOf[PageOut], responses=problem_responses(*TOKEN))
async def list_platform_pages(session: DbSession, user: OptionalUser, page: PageParams) -> dict[str, Any]:
    """Published platform pages (platform admins see drafts too)."""
    drafts = await service.may_edit(session, user, None)
    rows, total = await service.list_pages(session, None, drafts=drafts, limit=page.limit, offset=page.offset)
    return {"items": [service.page_to_api(p) for p in rows], "total": total}


@router.get(
    "/pages/{slug}", response_model=PageOut, responses=problem_responses(*TOKEN, service.PageNotFound)
)
async def get_platform_page(slug: SlugPath, session: DbSession, user: OptionalUser) -> dict[str, Any]:
    drafts = await service.may_edit(session, user, None)
    return service.page_to_api(await service.read_page(session, None, slug, drafts=drafts))


# -- property pages ------------------------------------------------------------------------------------


@router.put(
    "/properties/{property_id}/pages/{slug}",
    response_model=PageOut,
    dependencies=[ManageProperty],
    responses=problem_responses(*SCOPED, *JSON_WRITE),
)
async def put_property_page(
    property_id: uuid.UUID,
    slug: SlugPath,
    data: PageIn,
    session: DbSession,
    actor: ActorDep,
    response: Response,
) -> dict[str, Any]:
    """Create (201) or replace (200) one of the property's pages (about, terms, house-rules, ...)."""
    page, created = await service.save_page(session, property_id, slug, data, actor)
    return _saved(page, created, response)


@router.delete(
    "/properties/{property_id}/pages/{slug}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[ManageProperty],
    responses=problem_responses(*SCOPED, service.PageNotFound, 429),
)
async def delete_property_page(
    property_id: uuid.UUID, slug: SlugPath, session: DbSession, actor: ActorDep
) -> Response:
    await service.delete_page(session, property_id, slug, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/properties/{slug}/pages",
    response_model=ListOf[PageOut],
    responses=problem_responses(*TOKEN, service.PageNotFound),
)
async def list_property_pages(
    slug: SlugPath, session: DbSession, user: OptionalUser, page: PageParams
) -> dict[str, Any]:
    """The property's published pages (its owners and managers see drafts too)."""
    prop, drafts = await service.readable_property(session, slug, user)
    rows, total = await service.list_pages(
        session, prop.id, drafts=drafts, limit=page.limit, offset=page.offset
    )
    return {"items": [service.page_to_api(p) for p in rows], "total": total}


@router.get(
    "/properties/{slug}/pages/{page}",
    response_model=PageOut,
    responses=problem_responses(*TOKEN, service.PageNotFound),
)
async def get_property_page(
    slug: SlugPath, page: SlugPath, session: DbSession, user: OptionalUser
) -> dict[str, Any]:
    prop, drafts = await service.readable_property(session, slug, user)
    return service.page_to_api(await service.read_page(session, prop.id, page, drafts=drafts))


# -- the property's wording of its guests' messages ---------------------------------------------------

TEMPLATES_PATH = "/properties/{property_id}/message-templates"


@router.get(
    TEMPLATES_PATH,
    response_model=ListOf[TemplateOut],
    dependencies=[ManageProperty],
    responses=problem_responses(*SCOPED),
)
async def list_message_templates(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    """The guest messages the property may reword (subject and opening paragraph, per language), their
    placeholders, and the property's overrides."""
    items = await service.templates_of(session, property_id)
    return {"items": items, "total": len(items)}


@router.put(
    TEMPLATES_PATH + "/{template}/{locale}",
    response_model=OverrideOut,
    dependencies=[ManageProperty],
    responses=problem_responses(*SCOPED, *JSON_WRITE, service.TemplateNotFound),
)
async def put_message_override(
    property_id: uuid.UUID,
    template: Annotated[str, Path(max_length=40)],
    locale: Annotated[str, Path(max_length=8)],
    data: OverrideIn,
    session: DbSession,
    actor: ActorDep,
) -> dict[str, Any]:
    row = await service.set_override(session, property_id, template, locale, data, actor)
    return service.override_to_api(row)


@router.delete(
    TEMPLATES_PATH + "/{template}/{locale}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[ManageProperty],
    responses=problem_responses(*SCOPED, service.TemplateNotFound, (404, "message_override.not_found"), 429),
)
async def delete_message_override(
    property_id: uuid.UUID,
    template: Annotated[str, Path(max_length=40)],
    locale: Annotated[str, Path(max_length=8)],
    session: DbSession,
    actor: ActorDep,
) -> Response:
    await service.delete_override(session, property_id, template, locale, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
