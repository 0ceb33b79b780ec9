"""Staff endpoints for properties, members, room types, rooms and images.

Every ``/properties/{property_id}/…`` route depends on ``property_roles(...)``: that is the one place
that scopes staff to their properties (404 for strangers, 403 for a member with the wrong role)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile, status

from innkeeper.catalog import images, rooms, service
from innkeeper.catalog.schemas import (
    MemberIn,
    PropertyIn,
    PropertyPatch,
    RoomIn,
    RoomPatch,
    RoomTypeIn,
    RoomTypePatch,
)
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, property_roles
from innkeeper.identity.models import PropertyRole
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import PageParams

router = APIRouter(route_class=UnitOfWorkRoute, tags=["properties"])

R = PropertyRole
Owners = Depends(property_roles(R.owner))
Managers = Depends(property_roles(R.owner, R.manager))
Staff = Depends(property_roles(R.owner, R.manager, R.front_desk, R.housekeeping))
AnyMember = Depends(property_roles())


async def _write_limit(ctx: Ctx, user: CurrentUser) -> None:
    await ctx.limiter.hit(ctx.settings.write_rate_limit, "write", str(user.id))


@router.post("/properties", status_code=status.HTTP_201_CREATED, dependencies=[Depends(_write_limit)])
async def create_property(
    data: PropertyIn, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.create_property(session, user, data, actor)
    return service.property_to_api(prop)


@router.get("/staff/properties")
async def my_properties(session: DbSession, user: CurrentUser, page: PageParams) -> dict[str, Any]:
    rows, total = await service.list_properties_for(session, user, page.limit, page.offset)
    return {"items": [{**service.property_to_api(p), "role": role} for p, role in rows], "total": total}


@router.get("/properties/{property_id}/manage", dependencies=[AnyMember])
async def staff_view(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    data = service.property_to_api(prop, images=await images.list_images(session, prop.id))
    data["room_types"] = await rooms.list_room_types(session, prop.id)
    return data


@router.patch("/properties/{property_id}", dependencies=[Managers])
async def update_property(
    property_id: uuid.UUID, data: PropertyPatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return service.property_to_api(await service.update_property(session, prop, data, actor))


@router.post("/properties/{property_id}/activate", dependencies=[Managers])
async def activate(property_id: uuid.UUID, session: DbSession, actor: ActorDep) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return service.property_to_api(await service.set_active(session, prop, True, actor))


@router.post("/properties/{property_id}/deactivate", dependencies=[Managers])
async def deactivate(property_id: uuid.UUID, session: DbSession, actor: ActorDep) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return service.property_to_api(await service.set_active(session, prop, False, actor))


# -- members ------------------------------------------------------------------------------------------


@router.get("/properties/{property_id}/members", dependencies=[Managers])
async def list_members(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = await service.list_members(session, property_id)
    return {"items": items, "total": len(items)}


@router.post("/properties/{property_id}/members", status_code=status.HTTP_201_CREATED, dependencies=[Owners])
async def add_member(
    property_id: uuid.UUID, data: MemberIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return await service.add_member(ctx, session, prop, data, actor)


@router.delete(
    "/properties/{property_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Owners],
)
async def remove_member(
    property_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    prop = await service.get_property(session, property_id)
    await service.remove_member(session, prop, user_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- room types and rooms ---------------------------------------------------------------------------------


@router.get("/properties/{property_id}/room-types", dependencies=[Staff])
async def list_room_types(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = await rooms.list_room_types(session, property_id)
    return {"items": items, "total": len(items)}


@router.post(
    "/properties/{property_id}/room-types", status_code=status.HTTP_201_CREATED, dependencies=[Managers]
)
async def create_room_type(
    property_id: uuid.UUID, data: RoomTypeIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    rt = await rooms.create_room_type(session, prop, data, ctx.settings.inventory_horizon_days, actor)
    return rooms.room_type_to_api(rt, rooms=0)


@router.patch("/properties/{property_id}/room-types/{room_type_id}", dependencies=[Managers])
async def update_room_type(
    property_id: uuid.UUID, room_type_id: uuid.UUID, data: RoomTypePatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return rooms.room_type_to_api(await rooms.update_room_type(session, prop, room_type_id, data, actor))


@router.get("/properties/{property_id}/rooms", dependencies=[Staff])
async def list_rooms(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = [rooms.room_to_api(r) for r in await rooms.list_rooms(session, property_id)]
    return {"items": items, "total": len(items)}


@router.post("/properties/{property_id}/rooms", status_code=status.HTTP_201_CREATED, dependencies=[Managers])
async def create_room(
    property_id: uuid.UUID, data: RoomIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return rooms.room_to_api(await rooms.create_room(session, prop, data, actor))


@router.patch("/properties/{property_id}/rooms/{room_id}", dependencies=[Staff])
async def update_room(
    property_id: uuid.UUID, room_id: uuid.UUID, data: RoomPatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return rooms.room_to_api(await rooms.update_room(session, prop, room_id, data, actor))


# -- images -------------------------------------------------------------------------------------------------


@router.post("/properties/{property_id}/images", status_code=status.HTTP_201_CREATED, dependencies=[Managers])
async def upload_image(
    property_id: uuid.UUID, file: Annotated[UploadFile, File()], session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    data = await file.read(ctx.settings.image_max_bytes + 1)
    return service.image_to_api(await images.upload(ctx, session, prop, data, actor))


@router.get("/properties/{property_id}/images", dependencies=[AnyMember])
async def list_images(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = [service.image_to_api(i) for i in await images.list_images(session, property_id)]
    return {"items": items, "total": len(items)}


@router.delete(
    "/properties/{property_id}/images/{image_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Managers],
)
async def delete_image(
    property_id: uuid.UUID, image_id: uuid.UUID, session: DbSession, ctx: Ctx, actor: ActorDep
) -> Response:
    prop = await service.get_property(session, property_id)
    await images.delete(ctx, session, prop, image_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/images/{image_id}", tags=["catalog"])
async def serve_image(image_id: uuid.UUID, request: Request, session: DbSession, ctx: Ctx) -> Response:
    image, data = await images.fetch(ctx, session, image_id)
    etag = f'"{image.sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(content=data, media_type=image.content_type, headers=headers)
