"""Hourly resources: staff CRUD under ``/properties/{property_id}/resources`` and the public view.

Staff routes depend on ``property_action`` (404 to a stranger, 403 to a member whose role may not):
``resources.manage`` to create and change, ``schedule.view`` to read, which a professional has for
the resources linked to their own account only (``catalog.resources.resource_for``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from innkeeper.catalog import resources
from innkeeper.catalog.errors import (
    AddonCodeTaken,
    AddonNotFound,
    NotAProfessional,
    PropertyNotFound,
    ResourceInvalid,
    ResourceNotFound,
)
from innkeeper.catalog.resource_schemas import (
    AddonIn,
    AddonOut,
    PublicResourceOut,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
)
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, property_action
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.problems import JSON_WRITE, problem_responses

router = APIRouter(route_class=UnitOfWorkRoute, tags=["resources"], responses=problem_responses(422))
SCOPED = (401, PropertyNotFound, (403, "auth.role"))

ManageResources = Depends(property_action(Action.resources_manage))
ScheduleViewer = Annotated[User, Depends(property_action(Action.schedule_view))]
BASE = "/properties/{property_id}/resources"


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageResources],
    response_model=ResourceOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, ResourceInvalid, NotAProfessional),
)
async def create_resource(
    property_id: uuid.UUID, data: ResourceIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    resource = await resources.create_resource(session, prop, data, actor)
    return await resources.staff_view(session, resource)


@router.get(BASE, response_model=ListOf[ResourceOut], responses=problem_responses(*SCOPED))
async def list_resources(property_id: uuid.UUID, session: DbSession, user: ScheduleViewer) -> dict[str, Any]:
    rows = await resources.list_resources(session, user, property_id)
    addons = await resources.addons_of(session, [r.id for r in rows])
    emails = await resources.emails_of(session, [r.user_id for r in rows])
    items = [
        resources.resource_to_api(r, addons[r.id], user_email=emails.get(r.user_id) if r.user_id else None)
        for r in rows
    ]
    return {"items": items, "total": len(items)}


@router.get(
    BASE + "/{resource_id}",
    response_model=ResourceOut,
    responses=problem_responses(*SCOPED, ResourceNotFound),
)
async def get_resource(
    property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession, user: ScheduleViewer
) -> dict[str, Any]:
    resource = await resources.resource_for(session, user, property_id, resource_id)
    return await resources.staff_view(session, resource)


@router.patch(
    BASE + "/{resource_id}",
    dependencies=[ManageResources],
    response_model=ResourceOut,
    responses=problem_responses(*SCOPED, ResourceNotFound, *JSON_WRITE, ResourceInvalid, NotAProfessional),
)
async def update_resource(
    property_id: uuid.UUID, resource_id: uuid.UUID, data: ResourcePatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    resource = await resources.resource_of(session, property_id, resource_id)
    await resources.update_resource(session, prop, resource, data, actor)
    return await resources.staff_view(session, resource)


@router.post(
    BASE + "/{resource_id}/addons",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageResources],
    response_model=AddonOut,
    responses=problem_responses(*SCOPED, ResourceNotFound, *JSON_WRITE, AddonCodeTaken),
)
async def add_addon(
    property_id: uuid.UUID, resource_id: uuid.UUID, data: AddonIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    resource = await resources.resource_of(session, property_id, resource_id)
    return resources.addon_to_api(await resources.add_addon(session, prop, resource, data, actor))


@router.get(
    BASE + "/{resource_id}/addons",
    response_model=ListOf[AddonOut],
    responses=problem_responses(*SCOPED, ResourceNotFound),
)
async def list_addons(
    property_id: uuid.UUID, resource_id: uuid.UUID, session: DbSession, user: ScheduleViewer
) -> dict[str, Any]:
    resource = await resources.resource_for(session, user, property_id, resource_id)
    items = [
        resources.addon_to_api(a) for a in (await resources.addons_of(session, [resource.id]))[resource.id]
    ]
    return {"items": items, "total": len(items)}


@router.delete(
    BASE + "/{resource_id}/addons/{addon_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageResources],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, ResourceNotFound, AddonNotFound),
)
async def delete_addon(
    property_id: uuid.UUID, resource_id: uuid.UUID, addon_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    prop = await get_property(session, property_id)
    resource = await resources.resource_of(session, property_id, resource_id)
    await resources.delete_addon(session, prop, resource, addon_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- public ----------------------------------------------------------------------------------------------


@router.get(
    "/resources/{resource_id}",
    tags=["catalog"],
    response_model=PublicResourceOut,
    responses=problem_responses(ResourceNotFound),
)
async def public_resource(resource_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    """An active resource of an active property: its add-ons, travel and online options, its property."""
    resource, prop = await resources.public_resource(session, resource_id)
    addons = (await resources.addons_of(session, [resource.id]))[resource.id]
    return resources.public_resource_to_api(resource, prop, addons)
