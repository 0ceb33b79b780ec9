"""Favorites: a user's list of properties. Adding and removing are idempotent (a second PUT or DELETE
changes nothing and answers the same). The table is ``catalog.models.Favorite`` so that search, below
this package, can mark favorites in its results."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.models import Favorite, Property
from innkeeper.catalog.service import rating
from innkeeper.identity.models import User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import insert_for


async def add(
    session: AsyncSession, user: User, property_id: uuid.UUID, actor: Actor
) -> tuple[Favorite, Property]:
    """Mark an active property (404 ``property.not_found`` otherwise); already marked: nothing changes."""
    prop = await session.scalar(
        select(Property).where(Property.id == property_id, Property.is_active.is_(True))
    )
    if prop is None:
        raise PropertyNotFound()
    stmt = insert_for(session, Favorite).values(user_id=user.id, property_id=prop.id, created_at=utcnow())
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "property_id"]))
    if result.rowcount == 1:  # type: ignore[attr-defined]
        record(session, actor, "favorite.added", "property", prop.id, after={"user_id": str(user.id)})
    favorite = await session.get(Favorite, (user.id, prop.id))
    assert favorite is not None
    return favorite, prop


async def remove(session: AsyncSession, user: User, property_id: uuid.UUID, actor: Actor) -> None:
    result = await session.execute(
        delete(Favorite).where(Favorite.user_id == user.id, Favorite.property_id == property_id)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        record(session, actor, "favorite.removed", "property", property_id, before={"user_id": str(user.id)})


async def page(
    session: AsyncSession, user: User, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The user's favorites, newest first (properties no longer active are left out)."""
    where = (Favorite.user_id == user.id, Property.is_active.is_(True))
    joined = select(Favorite, Property).join(Property, Property.id == Favorite.property_id).where(*where)
    total = int(await session.scalar(select(func.count()).select_from(joined.subquery())) or 0)
    rows = await session.execute(
        joined.order_by(Favorite.created_at.desc(), Favorite.property_id).limit(limit).offset(offset)
    )
    return [favorite_to_api(f, p) for f, p in rows.all()], total


def favorite_to_api(f: Favorite, p: Property) -> dict[str, Any]:
    return {
        "property": {
            "id": str(p.id),
            "slug": p.slug,
            "name": p.name,
            "kind": p.kind,
            "city": p.city,
            "country": p.country,
            "rating": rating(p.rating_x10),
            "review_count": p.review_count,
        },
        "created_at": f.created_at.isoformat(),
    }
