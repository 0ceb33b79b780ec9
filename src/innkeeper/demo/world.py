"""What the demo loaders after the catalog build on: the demo accounts and properties, by role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog.models import Property
from innkeeper.config import Settings
from innkeeper.identity.models import PropertyMembership, User


@dataclass(frozen=True)
class DemoWorld:
    admin: User
    owner: User
    front_desk: User
    guest: User
    #: the owner's hotels, oldest first (the front desk account works at the first)
    hotels: list[Property]
    venue: Property
    practice: Property
    settings: Settings

    @classmethod
    async def read(cls, session: AsyncSession, users: list[User], settings: Settings) -> DemoWorld:
        admin, owner, front_desk, guest = users
        owned = (
            await session.scalars(
                select(Property)
                .join(PropertyMembership, PropertyMembership.property_id == Property.id)
                .where(PropertyMembership.user_id == owner.id, PropertyMembership.role == "owner")
                .order_by(Property.id)
            )
        ).all()
        by_kind = {kind: [p for p in owned if p.kind == kind] for kind in ("hotel", "venue", "practice")}
        return cls(
            admin=admin,
            owner=owner,
            front_desk=front_desk,
            guest=guest,
            hotels=by_kind["hotel"],
            venue=by_kind["venue"][0],
            practice=by_kind["practice"][0],
            settings=settings,
        )
