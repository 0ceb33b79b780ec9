"""The service catalog of a property: create, change, read (staff), and the public list.

Scoping: the staff routes depend on ``identity.deps.property_action`` (the property), and every query
here is filtered by ``property_id`` as well, so another property's service is simply not found.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Property
from innkeeper.catalog.rooms import parse_price
from innkeeper.extras.errors import ServiceCodeTaken, ServiceInvalid, ServiceNotFound, field_error
from innkeeper.extras.models import DEFAULT_DEPARTMENT, Category, Service
from innkeeper.extras.schemas import ServiceIn, ServicePatch

#: fields copied as they are from a body to the model
_PLAIN = (
    "name description category unit pre_stay in_stay needs_time lead_time_minutes opens_at closes_at "
    "order_cutoff is_active department"
).split()
#: what a patch may change but not clear
_NOT_NULL = "name category price unit pre_stay in_stay needs_time lead_time_minutes is_active".split()


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def service_to_api(s: Service) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "property_id": str(s.property_id),
        "code": s.code,
        "name": s.name,
        "description": s.description,
        "category": s.category,
        "department": s.department,
        "price": s.price.to_api(),
        "unit": s.unit,
        "pre_stay": s.pre_stay,
        "in_stay": s.in_stay,
        "needs_time": s.needs_time,
        "lead_time_minutes": s.lead_time_minutes,
        "opens_at": _clock(s.opens_at),
        "closes_at": _clock(s.closes_at),
        "order_cutoff": _clock(s.order_cutoff),
        "images": list(s.images or []),
        "is_active": s.is_active,
    }


# -- reading ------------------------------------------------------------------------------------------


async def service_of(session: AsyncSession, property_id: uuid.UUID, service_id: uuid.UUID) -> Service:
    found = await session.scalar(
        select(Service).where(Service.id == service_id, Service.property_id == property_id)
    )
    if found is None:
        raise ServiceNotFound()
    return found


async def by_code(session: AsyncSession, property_id: uuid.UUID, code: str) -> Service | None:
    return await session.scalar(
        select(Service).where(Service.property_id == property_id, Service.code == code)
    )


async def list_services(
    session: AsyncSession, property_id: uuid.UUID, *, category: str | None, active_only: bool
) -> list[Service]:
    """The property's services, by category then name (active ones only for the public)."""
    stmt = select(Service).where(Service.property_id == property_id)
    if active_only:
        stmt = stmt.where(Service.is_active.is_(True))
    if category:
        stmt = stmt.where(Service.category == category)
    return list((await session.scalars(stmt.order_by(Service.category, Service.name, Service.id))).all())


async def property_by_ref(session: AsyncSession, ref: str, *, active_only: bool) -> Property | None:
    """A property by slug, or by id (staff address their property by id)."""
    condition = Property.slug == ref
    try:
        condition = condition | (Property.id == uuid.UUID(ref))
    except ValueError:
        pass  # not an id: a slug only
    stmt = select(Property).where(condition)
    if active_only:
        stmt = stmt.where(Property.is_active.is_(True))
    return await session.scalar(stmt.limit(1))


# -- writing ------------------------------------------------------------------------------------------


def _check(s: Service) -> None:
    """Rules across fields, on the service as it will be stored."""
    if not (s.pre_stay or s.in_stay):
        raise field_error(
            ServiceInvalid, "in_stay", "a service is orderable before the stay, during it, or both"
        )
    if (s.opens_at is None) != (s.closes_at is None):
        raise field_error(ServiceInvalid, "closes_at", "give opens_at and closes_at together")
    if s.opens_at is not None and s.opens_at == s.closes_at:
        raise field_error(
            ServiceInvalid, "closes_at", "must differ from opens_at (leave both empty for all day)"
        )


def _apply(prop: Property, s: Service, data: ServiceIn | ServicePatch, fields: set[str]) -> None:
    for key in _PLAIN:
        if key in fields and key in type(data).model_fields:
            setattr(s, key, getattr(data, key))
    if "price" in fields and data.price is not None:
        s.price_minor = parse_price(data.price, prop.currency, "price")
    if "images" in fields:
        s.images = [str(url) for url in data.images or []]
    if s.department is None:
        s.department = DEFAULT_DEPARTMENT[Category(s.category)].value
    _check(s)


def _snapshot(s: Service) -> dict[str, Any]:
    return service_to_api(s)


async def create_service(session: AsyncSession, prop: Property, data: ServiceIn, actor: Actor) -> Service:
    if await by_code(session, prop.id, data.code) is not None:
        raise ServiceCodeTaken(f"{data.code!r} exists")
    s = Service(property_id=prop.id, code=data.code, currency=prop.currency, images=[])
    _apply(prop, s, data, set(ServiceIn.model_fields))
    try:
        async with session.begin_nested():  # a concurrent twin: the unique constraint answers
            session.add(s)
            await session.flush()
    except IntegrityError as exc:
        raise ServiceCodeTaken(f"{data.code!r} exists") from exc
    record(session, actor, "service.created", "service", s.id, property_id=prop.id, after=_snapshot(s))
    return s


async def update_service(
    session: AsyncSession, prop: Property, s: Service, data: ServicePatch, actor: Actor
) -> Service:
    for required in _NOT_NULL:
        if required in data.model_fields_set and getattr(data, required) is None:
            raise field_error(ServiceInvalid, required, "cannot be null")
    before = _snapshot(s)
    fields = set(data.model_fields_set)
    if "category" in fields and "department" not in fields:
        fields.add("department")  # follows the new category unless named
    _apply(prop, s, data, fields)
    await session.flush()
    record(
        session,
        actor,
        "service.updated",
        "service",
        s.id,
        property_id=prop.id,
        before=before,
        after=_snapshot(s),
    )
    return s
