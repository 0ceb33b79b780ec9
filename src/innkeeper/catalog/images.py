"""Property images: validated by magic bytes and size, stored through ``kit.storage``, served with an
ETag (the content's SHA-256) and a long, immutable Cache-Control (an image id never changes content)."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import BadImage, ImageNotFound
from innkeeper.catalog.models import Property, PropertyImage
from innkeeper.context import AppContext
from innkeeper.kit.db import on_commit

MAX_IMAGES_PER_PROPERTY = 30


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
    ctx: AppContext, session: AsyncSession, prop: Property, data: bytes, actor: Actor
) -> PropertyImage:
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
    count = int(
        await session.scalar(
            select(func.count()).select_from(PropertyImage).where(PropertyImage.property_id == prop.id)
        )
        or 0
    )
    if count >= MAX_IMAGES_PER_PROPERTY:
        raise BadImage(
            f"A property has at most {MAX_IMAGES_PER_PROPERTY} images", code="image.too_many", status=409
        )
    digest = hashlib.sha256(data).hexdigest()
    image_id = uuid.uuid4()
    key = f"properties/{prop.id}/{image_id}.{EXTENSIONS[content_type]}"
    assert ctx.storage is not None
    # Write the file first: if the transaction then fails, an orphan file is harmless; a row without
    # its file would not be. Deleting an image removes the file only after the commit.
    await ctx.storage.put(key, data, content_type)
    image = PropertyImage(
        id=image_id,
        property_id=prop.id,
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
        after={"content_type": content_type, "size_bytes": len(data), "sha256": digest},
    )
    return image


async def list_images(session: AsyncSession, property_id: uuid.UUID) -> list[PropertyImage]:
    return list(
        (
            await session.scalars(
                select(PropertyImage)
                .where(PropertyImage.property_id == property_id)
                .order_by(PropertyImage.position, PropertyImage.created_at)
            )
        ).all()
    )


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
    """A public image (of an active property) and its bytes."""
    row = (
        await session.execute(
            select(PropertyImage, Property.is_active)
            .join(Property, Property.id == PropertyImage.property_id)
            .where(PropertyImage.id == image_id)
        )
    ).first()
    if row is None or not row[1]:
        raise ImageNotFound()
    image = row[0]
    assert ctx.storage is not None
    data = await ctx.storage.get(image.storage_key)
    if data is None:
        raise ImageNotFound("The image file is missing")
    return image, data
