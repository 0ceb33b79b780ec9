"""Property and room type images: validated by magic bytes and size, stored through ``kit.storage``,
served with an ETag (the content's SHA-256) and a long, immutable Cache-Control (an image id never
changes content). A room type's images are rows of the same table with ``room_type_id`` set; a
property's own images are those without one."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import BadImage, ImageNotFound
from innkeeper.catalog.models import Property, PropertyImage, RoomType
from innkeeper.context import AppContext
from innkeeper.kit.db import on_commit

MAX_IMAGES_PER_PROPERTY = 30
#: each room type has its own allowance, besides the property's
MAX_IMAGES_PER_ROOM_TYPE = 30


def image_to_api(image: PropertyImage) -> dict[str, Any]:
    return {
        "id": str(image.id),
        "url": f"/api/v1/images/{image.id}",
        "content_type": image.content_type,
        "size_bytes": image.size_bytes,
        "position": image.position,
    }


def sniff_image(data: bytes) -> str | None:
    """The image type from its first bytes (never from the client's Content-Type or file name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}


async def upload(
    ctx: AppContext,
    session: AsyncSession,
    prop: Property,
    data: bytes,
    actor: Actor,
    *,
    room_type: RoomType | None = None,
) -> PropertyImage:
    """An image of the property, or of ``room_type`` (one of its room types) when given."""
    limit = ctx.settings.image_max_bytes
    if not data:
        raise BadImage("The file is empty")
    if len(data) > limit:
        raise BadImage(f"Images are limited to {limit} bytes", code="image.too_large", status=413)
    content_type = sniff_image(data)
    if content_type is None:
        raise BadImage(
            "Only JPEG, PNG, WebP and GIF images are accepted", code="image.unsupported_type", status=415
        )
    owner = (
        PropertyImage.room_type_id.is_(None)
        if room_type is None
        else PropertyImage.room_type_id == room_type.id
    )
    count = int(
        await session.scalar(
            select(func.count()).select_from(PropertyImage).where(PropertyImage.property_id == prop.id, owner)
        )
        or 0
    )
    most, what = (
        (MAX_IMAGES_PER_PROPERTY, "property")
        if room_type is None
        else (MAX_IMAGES_PER_ROOM_TYPE, "room type")
    )
    if count >= most:
        raise BadImage(f"A {what} has at most {most} images", code="image.too_many", status=409)
    digest = hashlib.sha256(data).hexdigest()
    image_id = uuid.uuid4()
    folder = (
        f"properties/{prop.id}" if room_type is None else f"properties/{prop.id}/room-types/{room_type.id}"
    )
    key = f"{folder}/{image_id}.{EXTENSIONS[content_type]}"
    assert ctx.storage is not None
    # Write the file first: if the transaction then fails, an orphan file is harmless; a row without
    # its file would not be. Deleting an image removes the file only after the commit.
    await ctx.storage.put(key, data, content_type)
    image = PropertyImage(
        id=image_id,
        property_id=prop.id,
        room_type_id=room_type.id if room_type is not None else None,
        storage_key=key,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        position=count,
    )
    session.add(image)
    await session.flush()
    record(
        session,
        actor,
        "image.uploaded",
        "image",
        image.id,
        property_id=prop.id,
        after={
            "content_type": content_type,
            "size_bytes": len(data),
            "sha256": digest,
            "room_type_id": str(room_type.id) if room_type is not None else None,
        },
    )
    return image


async def list_images(session: AsyncSession, property_id: uuid.UUID) -> list[PropertyImage]:
    """The property's own images (not its room types')."""
    return list(
        (
            await session.scalars(
                select(PropertyImage)
                .where(PropertyImage.property_id == property_id, PropertyImage.room_type_id.is_(None))
                .order_by(PropertyImage.position, PropertyImage.created_at)
            )
        ).all()
    )


async def room_type_images(
    session: AsyncSession, property_id: uuid.UUID, room_type_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[PropertyImage]]:
    """The images of the property's room types (of these ones, when given), by room type, in order."""
    stmt = select(PropertyImage).where(
        PropertyImage.property_id == property_id, PropertyImage.room_type_id.is_not(None)
    )
    if room_type_ids is not None:
        stmt = stmt.where(PropertyImage.room_type_id.in_(list(room_type_ids)))
    out: dict[uuid.UUID, list[PropertyImage]] = defaultdict(list)
    for image in await session.scalars(stmt.order_by(PropertyImage.position, PropertyImage.created_at)):
        assert image.room_type_id is not None
        out[image.room_type_id].append(image)
    return out


async def delete(
    ctx: AppContext, session: AsyncSession, prop: Property, image_id: uuid.UUID, actor: Actor
) -> None:
    image = await session.scalar(
        select(PropertyImage).where(PropertyImage.id == image_id, PropertyImage.property_id == prop.id)
    )
    if image is None:
        raise ImageNotFound()
    await session.delete(image)
    record(
        session,
        actor,
        "image.deleted",
        "image",
        image.id,
        property_id=prop.id,
        before={"key": image.storage_key},
    )
    storage, key = ctx.storage, image.storage_key

    async def remove_file() -> None:
        if storage is not None:
            await storage.delete(key)

    on_commit(session, remove_file)


async def fetch(ctx: AppContext, session: AsyncSession, image_id: uuid.UUID) -> tuple[PropertyImage, bytes]:
    """A public image (of an active property; of a room type that was not deleted) and its bytes."""
    row = (
        await session.execute(
            select(PropertyImage, Property.is_active, RoomType.deleted_at)
            .join(Property, Property.id == PropertyImage.property_id)
            .outerjoin(RoomType, RoomType.id == PropertyImage.room_type_id)
            .where(PropertyImage.id == image_id)
        )
    ).first()
    if row is None or not row[1] or row[2] is not None:
        raise ImageNotFound()
    image = row[0]
    assert ctx.storage is not None
    data = await ctx.storage.get(image.storage_key)
    if data is None:
        raise ImageNotFound("The image file is missing")
    return image, data
