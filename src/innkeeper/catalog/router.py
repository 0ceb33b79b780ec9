"""Staff endpoints for properties, members, room types, rooms and images.

Every ``/properties/{property_id}/…`` route depends on ``property_action(...)``: that is the one place
that scopes staff to their properties (404 for strangers, 403 for a member whose role may not)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile, status

from innkeeper.catalog import deletion, images, rooms, service
from innkeeper.catalog.errors import (
    BadImage,
    DuplicateCode,
    DuplicateRoom,
    HasFutureBookings,
    ImageNotFound,
    LastOwner,
    MemberExists,
    MemberNotFound,
    NotReady,
    PropertyNotFound,
    RoomNotFound,
    RoomTypeNotFound,
    SlugTaken,
)
from innkeeper.catalog.schemas import (
    ImageOut,
    InvitationOut,
    MemberIn,
    MemberOut,
    PropertyIn,
    PropertyManageOut,
    PropertyOut,
    PropertyPatch,
    RoomIn,
    RoomOut,
    RoomPatch,
    RoomTypeIn,
    RoomTypeOut,
    RoomTypePatch,
    RoomTypeWithRoomsOut,
    StaffPropertyOut,
)
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, property_action, require_action
from innkeeper.identity.errors import InvitationClosed, InvitationNotFound
from innkeeper.identity.permissions import Action
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import BODY, JSON_WRITE, problem_responses

router = APIRouter(route_class=UnitOfWorkRoute, tags=["properties"], responses=problem_responses(422))
#: what ``property_action`` answers: 401 signed out, 404 to a stranger, 403 to a member whose role may not
SCOPED = (401, PropertyNotFound, (403, "auth.role"))
# Routes answering a property set ``response_model_exclude_unset``: its policies are stored with only
# the keys sent (``{"mode": "prepay"}``), and the answer shows them so, without added nulls.

ViewProperty = Depends(property_action(Action.property_view))
ManageProperty = Depends(property_action(Action.property_manage))
ViewMembers = Depends(property_action(Action.members_view))
ManageMembers = Depends(property_action(Action.members_manage))
ViewRooms = Depends(property_action(Action.rooms_view))
Housekeeping = Depends(property_action(Action.rooms_housekeeping))
ManageRooms = Depends(property_action(Action.rooms_manage))
#: what a deletion may meet: active future bookings, or a sale made meanwhile (inventory refuses to go
#: below what is sold)
DELETE_REFUSALS = (HasFutureBookings, (409, "inventory.below_sold"))
#: what an upload may meet
UPLOAD_REFUSALS = (
    *BODY,
    429,
    BadImage,
    (409, "image.too_many"),
    (413, "image.too_large"),
    (415, "image.unsupported_type"),
)


async def _write_limit(ctx: Ctx, user: CurrentUser) -> None:
    await ctx.limiter.hit(ctx.settings.write_rate_limit, "write", str(user.id))


@router.post(
    "/properties",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(_write_limit)],
    response_model=PropertyOut,
    response_model_exclude_unset=True,
    responses=problem_responses(401, *JSON_WRITE, SlugTaken),
)
async def create_property(
    data: PropertyIn, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.create_property(session, user, data, actor)
    return service.property_to_api(prop)


@router.get(
    "/staff/properties",
    response_model=ListOf[StaffPropertyOut],
    response_model_exclude_unset=True,
    responses=problem_responses(401),
)
async def my_properties(session: DbSession, user: CurrentUser, page: PageParams) -> dict[str, Any]:
    rows, total = await service.list_properties_for(session, user, page.limit, page.offset)
    return {"items": [{**service.property_to_api(p), "role": role} for p, role in rows], "total": total}


@router.get(
    "/properties/{property_id}/manage",
    dependencies=[ViewProperty],
    response_model=PropertyManageOut,
    response_model_exclude_unset=True,
    responses=problem_responses(*SCOPED),
)
async def staff_view(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    data = service.property_to_api(prop, images=await images.list_images(session, prop.id))
    data["room_types"] = await rooms.list_room_types(session, prop.id)
    return data


@router.patch(
    "/properties/{property_id}",
    dependencies=[ManageProperty],
    response_model=PropertyOut,
    response_model_exclude_unset=True,
    responses=problem_responses(*SCOPED, *JSON_WRITE, SlugTaken),
)
async def update_property(
    property_id: uuid.UUID, data: PropertyPatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return service.property_to_api(await service.update_property(session, prop, data, actor))


@router.post(
    "/properties/{property_id}/activate",
    dependencies=[ManageProperty],
    response_model=PropertyOut,
    response_model_exclude_unset=True,
    responses=problem_responses(*SCOPED, 429, NotReady),
)
async def activate(property_id: uuid.UUID, session: DbSession, actor: ActorDep) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return service.property_to_api(await service.set_active(session, prop, True, actor))


@router.post(
    "/properties/{property_id}/deactivate",
    dependencies=[ManageProperty],
    response_model=PropertyOut,
    response_model_exclude_unset=True,
    responses=problem_responses(*SCOPED, 429),
)
async def deactivate(property_id: uuid.UUID, session: DbSession, actor: ActorDep) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return service.property_to_api(await service.set_active(session, prop, False, actor))


@router.delete(
    "/properties/{property_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageProperty],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, *DELETE_REFUSALS),
)
async def delete_property(property_id: uuid.UUID, session: DbSession, actor: ActorDep) -> Response:
    """Soft delete, with its room types and rooms (its hourly resources go off sale): 409
    ``catalog.has_future_bookings`` (``bookings``: how many) while active future bookings exist. It
    then vanishes from search, public pages and staff lists; its slug stays taken."""
    prop = await service.get_property(session, property_id)
    await deletion.delete_property(session, prop, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- members ------------------------------------------------------------------------------------------


@router.get(
    "/properties/{property_id}/members",
    dependencies=[ViewMembers],
    response_model=ListOf[MemberOut],
    responses=problem_responses(*SCOPED),
)
async def list_members(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = await service.list_members(session, property_id)
    return {"items": items, "total": len(items)}


@router.post(
    "/properties/{property_id}/members",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageMembers],
    response_model=InvitationOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, MemberExists),
)
async def add_member(
    property_id: uuid.UUID, data: MemberIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """Invite the address: the same answer whether or not it has an account; the member is active once
    the invitee accepts (``POST /users/me/invitations/{id}/accept``)."""
    prop = await service.get_property(session, property_id)
    return await service.add_member(ctx, session, prop, data, actor)


@router.delete(
    "/properties/{property_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageMembers],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, MemberNotFound, LastOwner),
)
async def remove_member(
    property_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    prop = await service.get_property(session, property_id)
    await service.remove_member(session, prop, user_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/properties/{property_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageMembers],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, InvitationNotFound, InvitationClosed),
)
async def revoke_invitation(
    property_id: uuid.UUID, invitation_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    prop = await service.get_property(session, property_id)
    await service.revoke_invitation(session, prop, invitation_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- room types and rooms ---------------------------------------------------------------------------------


@router.get(
    "/properties/{property_id}/room-types",
    dependencies=[ViewRooms],
    response_model=ListOf[RoomTypeWithRoomsOut],
    responses=problem_responses(*SCOPED),
)
async def list_room_types(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = await rooms.list_room_types(session, property_id)
    return {"items": items, "total": len(items)}


@router.post(
    "/properties/{property_id}/room-types",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageRooms],
    response_model=RoomTypeWithRoomsOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, DuplicateCode),
)
async def create_room_type(
    property_id: uuid.UUID, data: RoomTypeIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    rt = await rooms.create_room_type(session, prop, data, ctx.settings.inventory_horizon_days, actor)
    return rooms.room_type_to_api(rt, rooms=0)


@router.patch(
    "/properties/{property_id}/room-types/{room_type_id}",
    dependencies=[ManageRooms],
    response_model=RoomTypeOut,
    responses=problem_responses(*SCOPED, RoomTypeNotFound, *JSON_WRITE),
)
async def update_room_type(
    property_id: uuid.UUID, room_type_id: uuid.UUID, data: RoomTypePatch, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    rt = await rooms.update_room_type(session, prop, room_type_id, data, actor)
    return rooms.room_type_to_api(
        rt, images=(await images.room_type_images(session, prop.id, [rt.id])).get(rt.id)
    )


@router.delete(
    "/properties/{property_id}/room-types/{room_type_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageRooms],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, RoomTypeNotFound, *DELETE_REFUSALS),
)
async def delete_room_type(
    property_id: uuid.UUID, room_type_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    """Soft delete, with its rooms: 409 ``catalog.has_future_bookings`` (``bookings``: how many) while
    active future bookings need it."""
    prop = await service.get_property(session, property_id)
    room_type = await rooms.room_type_of(session, prop.id, room_type_id)
    await deletion.delete_room_type(session, prop, room_type, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/properties/{property_id}/room-types/{room_type_id}/images",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageRooms],
    response_model=ImageOut,
    responses=problem_responses(*SCOPED, RoomTypeNotFound, *UPLOAD_REFUSALS),
)
async def upload_room_type_image(
    property_id: uuid.UUID,
    room_type_id: uuid.UUID,
    file: Annotated[UploadFile, File()],
    session: DbSession,
    ctx: Ctx,
    actor: ActorDep,
) -> dict[str, Any]:
    """An image of the room type (same rules and storage as the property's; delete it with
    ``DELETE /properties/{id}/images/{image_id}``)."""
    prop = await service.get_property(session, property_id)
    room_type = await rooms.room_type_of(session, prop.id, room_type_id)
    data = await file.read(ctx.settings.image_max_bytes + 1)
    return images.image_to_api(await images.upload(ctx, session, prop, data, actor, room_type=room_type))


@router.get(
    "/properties/{property_id}/room-types/{room_type_id}/images",
    dependencies=[ViewRooms],
    response_model=ListOf[ImageOut],
    responses=problem_responses(*SCOPED, RoomTypeNotFound),
)
async def list_room_type_images(
    property_id: uuid.UUID, room_type_id: uuid.UUID, session: DbSession
) -> dict[str, Any]:
    room_type = await rooms.room_type_of(session, property_id, room_type_id)
    found = (await images.room_type_images(session, property_id, [room_type.id])).get(room_type.id, [])
    return {"items": [images.image_to_api(i) for i in found], "total": len(found)}


@router.get(
    "/properties/{property_id}/rooms",
    dependencies=[ViewRooms],
    response_model=ListOf[RoomOut],
    responses=problem_responses(*SCOPED),
)
async def list_rooms(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = [rooms.room_to_api(r) for r in await rooms.list_rooms(session, property_id)]
    return {"items": items, "total": len(items)}


@router.post(
    "/properties/{property_id}/rooms",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageRooms],
    response_model=RoomOut,
    responses=problem_responses(*SCOPED, RoomTypeNotFound, *JSON_WRITE, DuplicateRoom),
)
async def create_room(
    property_id: uuid.UUID, data: RoomIn, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    return rooms.room_to_api(await rooms.create_room(session, prop, data, actor))


@router.patch(
    "/properties/{property_id}/rooms/{room_id}",
    dependencies=[Housekeeping],
    response_model=RoomOut,
    # 409: taking a room out of order would leave fewer rooms than are sold
    responses=problem_responses(*SCOPED, RoomNotFound, *JSON_WRITE, (409, "inventory.below_sold")),
)
async def update_room(
    property_id: uuid.UUID,
    room_id: uuid.UUID,
    data: RoomPatch,
    session: DbSession,
    actor: ActorDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Housekeeping sets the housekeeping status; taking a room in or out of service moves inventory,
    which is the managers' call (``rooms.manage``)."""
    if data.model_fields_set - {"housekeeping"}:
        await require_action(session, user, property_id, Action.rooms_manage)
    prop = await service.get_property(session, property_id)
    return rooms.room_to_api(await rooms.update_room(session, prop, room_id, data, actor))


@router.delete(
    "/properties/{property_id}/rooms/{room_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageRooms],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, RoomNotFound, *DELETE_REFUSALS),
)
async def delete_room(
    property_id: uuid.UUID, room_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    """Soft delete: 409 ``catalog.has_future_bookings`` while active future bookings are assigned to it,
    409 ``inventory.below_sold`` when its type would have fewer rooms than it has sold."""
    prop = await service.get_property(session, property_id)
    room = await rooms.get_room(session, prop.id, room_id, lock=True)
    await deletion.delete_room(session, prop, room, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- images -------------------------------------------------------------------------------------------------


@router.post(
    "/properties/{property_id}/images",
    status_code=status.HTTP_201_CREATED,
    dependencies=[ManageProperty],
    response_model=ImageOut,
    responses=problem_responses(*SCOPED, *UPLOAD_REFUSALS),
)
async def upload_image(
    property_id: uuid.UUID, file: Annotated[UploadFile, File()], session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    prop = await service.get_property(session, property_id)
    data = await file.read(ctx.settings.image_max_bytes + 1)
    return images.image_to_api(await images.upload(ctx, session, prop, data, actor))


@router.get(
    "/properties/{property_id}/images",
    dependencies=[ViewProperty],
    response_model=ListOf[ImageOut],
    responses=problem_responses(*SCOPED),
)
async def list_images(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    items = [images.image_to_api(i) for i in await images.list_images(session, property_id)]
    return {"items": items, "total": len(items)}


@router.delete(
    "/properties/{property_id}/images/{image_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[ManageProperty],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, ImageNotFound),
)
async def delete_image(
    property_id: uuid.UUID, image_id: uuid.UUID, session: DbSession, ctx: Ctx, actor: ActorDep
) -> Response:
    prop = await service.get_property(session, property_id)
    await images.delete(ctx, session, prop, image_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


#: the bytes of an image, in the type sniffed from them at upload
IMAGE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The image",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in images.EXTENSIONS},
    },
    304: {"description": "Not modified (``If-None-Match`` named the image's ETag)"},
    **problem_responses(422, ImageNotFound),
}


@router.get("/images/{image_id}", tags=["catalog"], response_class=Response, responses=IMAGE_ANSWERS)
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
