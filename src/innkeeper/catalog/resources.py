"""Hourly resources (halls, meeting rooms, professionals) and their add-ons: create, change, read.

Scoping: the routes depend on ``identity.deps.property_action`` (the property), and every query here is
filtered by ``property_id`` as well, so another property's resource is simply not found. A member whose
role reaches only their own resource (``identity.permissions.OWN_RESOURCE_ROLES``: professionals) is
narrowed by :func:`resource_for` and :func:`list_resources`.

A professional's own account is linked with ``user_email``: it must name a member of the property with
role ``professional`` (invited through ``POST /properties/{id}/members`` and accepted). Anything else,
including an address with no account, is the same 422, so the answer tells nothing the members list
does not already show.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import (
    AddonCodeTaken,
    AddonNotFound,
    NotAProfessional,
    ResourceInvalid,
    ResourceNotFound,
)
from innkeeper.catalog.models import Property, Resource, ResourceAddon, ResourceKind
from innkeeper.catalog.resource_schemas import AddonIn, ResourceIn, ResourcePatch, TravelIn
from innkeeper.catalog.rooms import parse_price
from innkeeper.identity.models import PropertyMembership, PropertyRole, User
from innkeeper.identity.permissions import OWN_RESOURCE_ROLES, role_at
from innkeeper.kit.errors import Forbidden
from innkeeper.kit.money import Money

#: fields copied as they are from a body to the model
_PLAIN_FIELDS = (
    "name category description capacity min_duration_minutes max_duration_minutes slot_step_minutes "
    "buffer_before_minutes buffer_after_minutes min_notice_minutes horizon_days online latitude longitude "
    "is_active"
).split()
#: what a patch may change but not clear
_NOT_NULL = (
    "name hourly_price min_duration_minutes slot_step_minutes buffer_before_minutes buffer_after_minutes "
    "min_notice_minutes horizon_days online is_active"
).split()


# -- answers ------------------------------------------------------------------------------------------


def addon_to_api(addon: ResourceAddon) -> dict[str, Any]:
    return {
        "id": str(addon.id),
        "code": addon.code,
        "name": addon.name,
        "price": Money(addon.price_minor, addon.currency).to_api(),
        "unit": addon.unit,
    }


def modes_of(resource: Resource) -> list[str]:
    return ["on_site"] + (["travel"] if resource.travel else []) + (["online"] if resource.online else [])


def _travel_to_api(travel: dict[str, Any] | None, currency: str) -> dict[str, Any] | None:
    if not travel:
        return None
    return {
        "base_fee": Money(int(travel["base_fee_minor"]), currency).to_api(),
        "per_km": Money(int(travel["per_km_minor"]), currency).to_api(),
        "max_km": str(travel["max_km"]),
    }


def _common(resource: Resource, addons: Iterable[ResourceAddon]) -> dict[str, Any]:
    return {
        "id": str(resource.id),
        "kind": resource.kind,
        "name": resource.name,
        "category": resource.category,
        "description": resource.description,
        "capacity": resource.capacity,
        "hourly_price": Money(resource.hourly_price_minor, resource.currency).to_api(),
        "min_duration_minutes": resource.min_duration_minutes,
        "max_duration_minutes": resource.max_duration_minutes,
        "slot_step_minutes": resource.slot_step_minutes,
        "buffer_before_minutes": resource.buffer_before_minutes,
        "buffer_after_minutes": resource.buffer_after_minutes,
        "min_notice_minutes": resource.min_notice_minutes,
        "horizon_days": resource.horizon_days,
        "amenities": list(resource.amenities or []),
        "images": list(resource.images or []),
        "travel": _travel_to_api(resource.travel, resource.currency),
        "online": resource.online,
        "modes": modes_of(resource),
        "addons": [addon_to_api(a) for a in addons],
    }


def resource_to_api(
    resource: Resource, addons: Iterable[ResourceAddon] = (), *, user_email: str | None = None
) -> dict[str, Any]:
    """The staff view."""
    return {
        **_common(resource, addons),
        "property_id": str(resource.property_id),
        "latitude": resource.latitude,
        "longitude": resource.longitude,
        "user_id": str(resource.user_id) if resource.user_id else None,
        "user_email": user_email,
        "is_active": resource.is_active,
        "created_at": resource.created_at.isoformat(),
    }


def public_resource_to_api(
    resource: Resource, prop: Property, addons: Iterable[ResourceAddon] = ()
) -> dict[str, Any]:
    return {
        **_common(resource, addons),
        "property": {
            "id": str(prop.id),
            "slug": prop.slug,
            "name": prop.name,
            "kind": prop.kind,
            "city": prop.city,
            "country": prop.country,
            "address": prop.address,
            "latitude": prop.latitude,
            "longitude": prop.longitude,
            "timezone": prop.timezone,
            "currency": prop.currency,
        },
    }


# -- reading ------------------------------------------------------------------------------------------


async def resource_of(session: AsyncSession, property_id: uuid.UUID, resource_id: uuid.UUID) -> Resource:
    resource = await session.scalar(
        select(Resource).where(Resource.id == resource_id, Resource.property_id == property_id)
    )
    if resource is None:
        raise ResourceNotFound()
    return resource


async def own_resources_only(session: AsyncSession, user: User, property_id: uuid.UUID) -> bool:
    """Whether the user's role at the property reaches only the resources linked to their account."""
    if user.is_platform_admin:
        return False
    return await role_at(session, user.id, property_id) in OWN_RESOURCE_ROLES


async def resource_for(
    session: AsyncSession, user: User, property_id: uuid.UUID, resource_id: uuid.UUID
) -> Resource:
    """The property's resource, for a caller the route's ``property_action`` let in: a professional
    reaches only a resource linked to their own account (another one is 403, as for any member whose
    role may not)."""
    resource = await resource_of(session, property_id, resource_id)
    if resource.user_id != user.id and await own_resources_only(session, user, property_id):
        raise Forbidden("Only your own resource", code="auth.role")
    return resource


async def list_resources(session: AsyncSession, user: User, property_id: uuid.UUID) -> list[Resource]:
    """The property's resources (a professional's own only), halls first, then by name."""
    stmt = select(Resource).where(Resource.property_id == property_id)
    if await own_resources_only(session, user, property_id):
        stmt = stmt.where(Resource.user_id == user.id)
    return list((await session.scalars(stmt.order_by(Resource.kind, Resource.name, Resource.id))).all())


async def addons_of(
    session: AsyncSession, resource_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[ResourceAddon]]:
    out: dict[uuid.UUID, list[ResourceAddon]] = defaultdict(list)
    ids = list(resource_ids)
    if ids:
        stmt = select(ResourceAddon).where(ResourceAddon.resource_id.in_(ids)).order_by(ResourceAddon.code)
        for addon in await session.scalars(stmt):
            out[addon.resource_id].append(addon)
    return out


async def emails_of(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.email).where(User.id.in_(ids)))
    return {uid: email for uid, email in rows.all() if email}


async def staff_view(session: AsyncSession, resource: Resource) -> dict[str, Any]:
    addons = (await addons_of(session, [resource.id]))[resource.id]
    emails = await emails_of(session, [resource.user_id])
    return resource_to_api(
        resource, addons, user_email=emails.get(resource.user_id) if resource.user_id else None
    )


#: (built once: a booking starts with it)
_PUBLIC_RESOURCE = (
    select(Resource, Property)
    .join(Property, Property.id == Resource.property_id)
    .where(Resource.id == bindparam("resource_id"), Resource.is_active, Property.is_active)
)


async def public_resource(session: AsyncSession, resource_id: uuid.UUID) -> tuple[Resource, Property]:
    """An active resource of an active property, with its property; 404 ``resource.not_found``
    otherwise (what the public views and a booking start from)."""
    row = (await session.execute(_PUBLIC_RESOURCE, {"resource_id": resource_id})).first()
    if row is None:
        raise ResourceNotFound()
    return row[0], row[1]


# -- writing ------------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ResourceInvalid:
    return ResourceInvalid(message, errors=[{"field": field, "message": message, "type": "resource.invalid"}])


def _travel(travel: TravelIn, currency: str) -> dict[str, Any]:
    return {
        "base_fee_minor": parse_price(travel.base_fee, currency, "travel.base_fee"),
        "per_km_minor": parse_price(travel.per_km, currency, "travel.per_km"),
        "max_km": format(travel.max_km.normalize(), "f"),
    }


def _check(resource: Resource) -> None:
    """Rules across fields, on the resource as it will be stored."""
    step = resource.slot_step_minutes
    if resource.min_duration_minutes % step:
        raise _invalid("min_duration_minutes", f"must be a multiple of slot_step_minutes ({step})")
    if resource.max_duration_minutes is not None:
        if resource.max_duration_minutes < resource.min_duration_minutes:
            raise _invalid("max_duration_minutes", "must not be below min_duration_minutes")
        if resource.max_duration_minutes % step:
            raise _invalid("max_duration_minutes", f"must be a multiple of slot_step_minutes ({step})")
    if (resource.latitude is None) != (resource.longitude is None):
        raise _invalid("latitude", "give latitude and longitude together")
    if resource.kind != ResourceKind.professional.value:
        if resource.travel:
            raise _invalid("travel", "only professionals travel")
        if resource.user_id is not None:
            raise _invalid("user_email", "only a professional is linked to an account")


async def _professional(session: AsyncSession, property_id: uuid.UUID, email: str) -> uuid.UUID:
    user_id = await session.scalar(
        select(User.id)
        .join(PropertyMembership, PropertyMembership.user_id == User.id)
        .where(
            User.email == email,
            PropertyMembership.property_id == property_id,
            PropertyMembership.role == PropertyRole.professional.value,
        )
    )
    if user_id is None:
        message = "no member with role 'professional' has this e-mail address; invite them first"
        raise NotAProfessional(
            message, errors=[{"field": "user_email", "message": message, "type": "resource.user"}]
        )
    return user_id


async def _apply(
    session: AsyncSession,
    prop: Property,
    resource: Resource,
    data: ResourceIn | ResourcePatch,
    fields: set[str],
) -> None:
    """Set ``fields`` of ``data`` on the resource (a create sets them all, a patch the ones sent)."""
    for key in _PLAIN_FIELDS:
        if key in fields and key in type(data).model_fields:
            setattr(resource, key, getattr(data, key))
    if "hourly_price" in fields and data.hourly_price is not None:
        resource.hourly_price_minor = parse_price(data.hourly_price, prop.currency, "hourly_price")
    if "amenities" in fields:
        resource.amenities = data.amenities or []
    if "travel" in fields:
        resource.travel = _travel(data.travel, prop.currency) if data.travel else None
    if "user_email" in fields:
        resource.user_id = await _professional(session, prop.id, data.user_email) if data.user_email else None
    _check(resource)


def _snapshot(resource: Resource) -> dict[str, Any]:
    data = resource_to_api(resource)
    for key in ("addons", "created_at", "modes"):
        data.pop(key)
    return data


async def create_resource(session: AsyncSession, prop: Property, data: ResourceIn, actor: Actor) -> Resource:
    resource = Resource(
        property_id=prop.id,
        kind=data.kind,
        currency=prop.currency,
        amenities=[],
        images=[],
        travel=None,
        user_id=None,
        is_active=True,
    )
    await _apply(session, prop, resource, data, set(ResourceIn.model_fields))
    session.add(resource)
    await session.flush()
    record(
        session,
        actor,
        "resource.created",
        "resource",
        resource.id,
        property_id=prop.id,
        after=_snapshot(resource),
    )
    return resource


async def update_resource(
    session: AsyncSession, prop: Property, resource: Resource, data: ResourcePatch, actor: Actor
) -> Resource:
    for required in _NOT_NULL:
        if required in data.model_fields_set and getattr(data, required) is None:
            raise _invalid(required, "cannot be null")
    before = _snapshot(resource)
    await _apply(session, prop, resource, data, set(data.model_fields_set))
    await session.flush()
    record(
        session,
        actor,
        "resource.updated",
        "resource",
        resource.id,
        property_id=prop.id,
        before=before,
        after=_snapshot(resource),
    )
    return resource


async def add_addon(
    session: AsyncSession, prop: Property, resource: Resource, data: AddonIn, actor: Actor
) -> ResourceAddon:
    price = parse_price(data.price, prop.currency, "price")
    if await session.scalar(
        select(ResourceAddon.id).where(
            ResourceAddon.resource_id == resource.id, ResourceAddon.code == data.code
        )
    ):
        raise AddonCodeTaken(f"{data.code!r} exists")
    addon = ResourceAddon(
        resource_id=resource.id,
        code=data.code,
        name=data.name,
        price_minor=price,
        currency=prop.currency,
        unit=data.unit,
    )
    try:
        async with session.begin_nested():  # a concurrent twin: the unique constraint answers
            session.add(addon)
            await session.flush()
    except IntegrityError as exc:
        raise AddonCodeTaken(f"{data.code!r} exists") from exc
    record(
        session,
        actor,
        "resource.addon_added",
        "resource",
        resource.id,
        property_id=prop.id,
        after=addon_to_api(addon),
    )
    return addon


async def delete_addon(
    session: AsyncSession, prop: Property, resource: Resource, addon_id: uuid.UUID, actor: Actor
) -> None:
    addon = await session.scalar(
        select(ResourceAddon).where(ResourceAddon.id == addon_id, ResourceAddon.resource_id == resource.id)
    )
    if addon is None:
        raise AddonNotFound()
    before = addon_to_api(addon)
    await session.delete(addon)
    record(
        session, actor, "resource.addon_removed", "resource", resource.id, property_id=prop.id, before=before
    )
