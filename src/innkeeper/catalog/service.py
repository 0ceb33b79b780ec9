"""Properties and their staff. Scoping lives in ``identity.deps.property_action``; every child query here
is also filtered by ``property_id`` so another property's room or room type is simply not found. A
deleted property (``catalog.deletion``) is not found either."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from slugify import slugify
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import (
    LastOwner,
    MemberExists,
    MemberNotFound,
    NotReady,
    PropertyNotFound,
    SlugTaken,
)
from innkeeper.catalog.images import image_to_api
from innkeeper.catalog.models import Property, PropertyImage, Room, RoomStatus, RoomType
from innkeeper.catalog.rooms import parse_price
from innkeeper.catalog.schemas import RESERVED_SLUGS, MemberIn, PropertyIn, PropertyPatch, fold_city
from innkeeper.context import AppContext
from innkeeper.identity import invitations
from innkeeper.identity.models import PropertyInvitation, PropertyMembership, PropertyRole, User
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import Money


def property_to_api(prop: Property, *, images: list[PropertyImage] | None = None) -> dict[str, Any]:
    return {
        "id": str(prop.id),
        "slug": prop.slug,
        "kind": prop.kind,
        "name": prop.name,
        "city": prop.city,
        "country": prop.country,
        "address": prop.address,
        "latitude": prop.latitude,
        "longitude": prop.longitude,
        "timezone": prop.timezone,
        "currency": prop.currency,
        "check_in_time": prop.check_in_time.strftime("%H:%M"),
        "check_out_time": prop.check_out_time.strftime("%H:%M"),
        "star_rating": prop.star_rating,
        "rating": rating(prop.rating_x10),
        "review_count": prop.review_count,
        "amenities": list(prop.amenities or []),
        "description": prop.description,
        "is_active": prop.is_active,
        "payment_policy": prop.payment_policy or None,
        "cancellation_policy": prop.cancellation_policy or None,
        "refund_destination": prop.refund_destination,
        "vat_percent": f"{Decimal(prop.vat_bp) / 100:.2f}",
        "vat_included": prop.vat_included,
        "city_tax": Money(prop.city_tax_minor, prop.currency).to_api(),
        "city_tax_max_nights": prop.city_tax_max_nights,
        "contact_email": prop.contact_email,
        "contact_phone": prop.contact_phone,
        "images": [image_to_api(i) for i in images or []],
        "created_at": prop.created_at.isoformat(),
    }


def rating(rating_x10: int | None) -> str | None:
    return None if rating_x10 is None else f"{Decimal(rating_x10) / 10:.1f}"


def _snapshot(prop: Property) -> dict[str, Any]:
    data = property_to_api(prop)
    data.pop("images")
    data.pop("created_at")
    return data


async def get_property(session: AsyncSession, property_id: uuid.UUID) -> Property:
    prop = await session.get(Property, property_id)
    if prop is None or prop.deleted_at is not None:
        raise PropertyNotFound()
    return prop


async def _slug_free(session: AsyncSession, slug: str, *, exclude: uuid.UUID | None = None) -> bool:
    stmt = select(Property.id).where(Property.slug == slug)
    if exclude is not None:
        stmt = stmt.where(Property.id != exclude)
    return await session.scalar(stmt) is None


async def _generate_slug(session: AsyncSession, name: str, city: str) -> str:
    base = slugify(name, max_length=60, word_boundary=True) or "property"
    if len(base) < 3 or base in RESERVED_SLUGS:
        base = slugify(f"{name} {city}", max_length=60, word_boundary=True) or "property"
    candidates = [base, slugify(f"{base} {city}", max_length=70, word_boundary=True)]
    candidates += [f"{base}-{i}" for i in range(2, 50)]
    for candidate in candidates:
        if len(candidate) >= 3 and candidate not in RESERVED_SLUGS and await _slug_free(session, candidate):
            return candidate
    return f"{base}-{uuid.uuid4().hex[:8]}"


def _apply_fields(prop: Property, data: PropertyIn | PropertyPatch, fields: set[str]) -> None:
    for key in fields:
        value = getattr(data, key)
        if key in ("payment_policy", "cancellation_policy"):
            setattr(prop, key, value.model_dump(exclude_none=True) if value is not None else {})
        elif key == "vat_percent":
            prop.vat_bp = int((value or Decimal(0)) * 100)
        elif key == "city_tax":
            prop.city_tax_minor = parse_price(value, prop.currency, "city_tax") if value is not None else 0
        elif key == "city":
            prop.city = value
            prop.city_key = fold_city(value)
        elif key == "amenities":
            prop.amenities = value or []
        elif key in ("check_in_time", "check_out_time") and value is None:
            continue
        else:
            setattr(prop, key, value)


async def create_property(session: AsyncSession, user: User, data: PropertyIn, actor: Actor) -> Property:
    if data.slug is not None and not await _slug_free(session, data.slug):
        raise SlugTaken(f"{data.slug!r} is taken")
    prop = Property(
        kind=data.kind,
        name=data.name,
        currency=data.currency,
        country=data.country,
        timezone=data.timezone,
        is_active=False,
        created_by=user.id,
        amenities=[],
        payment_policy={"mode": "prepay"},
        cancellation_policy={"preset": "moderate"},
        vat_bp=0,
        vat_included=False,
        city_tax_minor=0,
        refund_destination="card",
    )
    _apply_fields(
        prop,
        data,
        set(data.model_fields_set) - {"name", "kind", "currency", "country", "timezone", "slug"} | {"city"},
    )
    prop.slug = data.slug or await _generate_slug(session, data.name, data.city)
    session.add(prop)
    await session.flush()
    session.add(PropertyMembership(property_id=prop.id, user_id=user.id, role=PropertyRole.owner.value))
    record(
        session, actor, "property.created", "property", prop.id, property_id=prop.id, after=_snapshot(prop)
    )
    record(
        session, actor, "membership.granted", "user", user.id, property_id=prop.id, after={"role": "owner"}
    )
    return prop


async def update_property(
    session: AsyncSession, prop: Property, data: PropertyPatch, actor: Actor
) -> Property:
    fields = set(data.model_fields_set)
    for required in ("name", "city", "country", "timezone", "slug"):
        if required in fields and getattr(data, required) is None:
            raise ValidationFailed(
                f"{required} cannot be null",
                errors=[{"field": required, "message": "cannot be null", "type": "null"}],
            )
    if (
        data.slug is not None
        and data.slug != prop.slug
        and not await _slug_free(session, data.slug, exclude=prop.id)
    ):
        raise SlugTaken(f"{data.slug!r} is taken")
    lat = data.latitude if "latitude" in fields else prop.latitude
    lng = data.longitude if "longitude" in fields else prop.longitude
    if (lat is None) != (lng is None):
        raise ValidationFailed("give latitude and longitude together", code="property.coordinates")
    before = _snapshot(prop)
    _apply_fields(prop, data, fields)
    await session.flush()
    record(
        session,
        actor,
        "property.updated",
        "property",
        prop.id,
        property_id=prop.id,
        before=before,
        after=_snapshot(prop),
    )
    return prop


async def set_active(session: AsyncSession, prop: Property, active: bool, actor: Actor) -> Property:
    if active and prop.kind == "hotel":
        sellable = await session.scalar(
            select(func.count())
            .select_from(Room)
            .join(RoomType, RoomType.id == Room.room_type_id)
            .where(
                Room.property_id == prop.id,
                RoomType.property_id == prop.id,
                Room.status == RoomStatus.available.value,
                Room.deleted_at.is_(None),
                RoomType.deleted_at.is_(None),
            )
        )
        if not sellable:
            raise NotReady("Add at least one room type with rooms before activating")
    if prop.is_active != active:
        prop.is_active = active
        record(
            session,
            actor,
            "property.activated" if active else "property.deactivated",
            "property",
            prop.id,
            property_id=prop.id,
            before={"is_active": not active},
            after={"is_active": active},
        )
    return prop


async def list_properties_for(
    session: AsyncSession, user: User, limit: int, offset: int
) -> tuple[list[tuple[Property, str | None]], int]:
    """The properties a staff member works at (all of them for a platform admin), with the role."""
    if user.is_platform_admin:
        base = (
            select(Property, PropertyMembership.role)
            .outerjoin(
                PropertyMembership,
                (PropertyMembership.property_id == Property.id) & (PropertyMembership.user_id == user.id),
            )
            .where(Property.deleted_at.is_(None))
        )
        count = select(func.count()).select_from(Property).where(Property.deleted_at.is_(None))
    else:
        base = (
            select(Property, PropertyMembership.role)
            .join(PropertyMembership, PropertyMembership.property_id == Property.id)
            .where(PropertyMembership.user_id == user.id, Property.deleted_at.is_(None))
        )
        count = (
            select(func.count())
            .select_from(PropertyMembership)
            .join(Property, Property.id == PropertyMembership.property_id)
            .where(PropertyMembership.user_id == user.id, Property.deleted_at.is_(None))
        )
    rows = (
        await session.execute(base.order_by(Property.name, Property.id).limit(limit).offset(offset))
    ).all()
    return [(r[0], r[1]) for r in rows], int(await session.scalar(count) or 0)


# -- members ----------------------------------------------------------------------------------------------


def member_to_api(membership: PropertyMembership, user: User) -> dict[str, Any]:
    return {
        "id": str(membership.id),
        "user_id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "role": membership.role,
        "status": "active",
        "created_at": membership.created_at.isoformat(),
        "expires_at": None,
    }


def pending_member_to_api(invitation: PropertyInvitation) -> dict[str, Any]:
    """A pending invitation in the members list: the address and role only, never an account's name."""
    return {
        "id": str(invitation.id),
        "user_id": None,
        "email": invitation.email,
        "full_name": None,
        "role": invitation.role,
        "status": "invited",
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
    }


async def list_members(session: AsyncSession, property_id: uuid.UUID) -> list[dict[str, Any]]:
    """Active members first, then the invitations still waiting for an answer."""
    rows = (
        await session.execute(
            select(PropertyMembership, User)
            .join(User, User.id == PropertyMembership.user_id)
            .where(PropertyMembership.property_id == property_id)
            .order_by(PropertyMembership.created_at)
        )
    ).all()
    pending = await invitations.pending_for_property(session, property_id)
    return [member_to_api(m, u) for m, u in rows] + [pending_member_to_api(i) for i in pending]


async def add_member(
    ctx: AppContext, session: AsyncSession, prop: Property, data: MemberIn, actor: Actor
) -> dict[str, Any]:
    """Invite ``data.email``: the answer and the work are the same whether or not it has an account
    (``identity.invitations``). Only an address already working here is refused, which the members
    list shows the inviter anyway."""
    current = await session.scalar(
        select(PropertyMembership.role)
        .join(User, User.id == PropertyMembership.user_id)
        .where(PropertyMembership.property_id == prop.id, User.email == data.email)
    )
    if current is not None:
        raise MemberExists(f"Already {current} here")
    invitation = await invitations.invite(
        ctx,
        session,
        property_id=prop.id,
        property_name=prop.name,
        email=data.email,
        role=data.role,
        actor=actor,
    )
    return invitations.for_inviter(invitation)


async def revoke_invitation(
    session: AsyncSession, prop: Property, invitation_id: uuid.UUID, actor: Actor
) -> None:
    await invitations.revoke(session, prop.id, invitation_id, actor)


async def remove_member(session: AsyncSession, prop: Property, user_id: uuid.UUID, actor: Actor) -> None:
    membership = await session.scalar(
        select(PropertyMembership).where(
            PropertyMembership.property_id == prop.id, PropertyMembership.user_id == user_id
        )
    )
    if membership is None:
        raise MemberNotFound()
    if membership.role == PropertyRole.owner.value:
        owners = await session.scalar(
            select(func.count())
            .select_from(PropertyMembership)
            .where(
                PropertyMembership.property_id == prop.id, PropertyMembership.role == PropertyRole.owner.value
            )
        )
        if (owners or 0) <= 1:
            raise LastOwner()
    await session.delete(membership)
    record(
        session,
        actor,
        "membership.revoked",
        "user",
        user_id,
        property_id=prop.id,
        before={"role": membership.role},
    )
