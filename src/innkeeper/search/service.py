"""Public property pages, availability and price calendars; cross-property search lives in
:mod:`innkeeper.search.finder` (re-exported here).

Availability and the calendar load their inputs for one property and price with
``pricing.engine.compute_quote``: the very function ``pricing.service.quote`` (and so the booking) uses.
Nothing here is cached, so a booking or an inventory change shows in the next request.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.catalog import images
from innkeeper.catalog.errors import PropertyNotFound, RoomTypeNotFound
from innkeeper.catalog.models import Property, RoomType
from innkeeper.catalog.rooms import room_type_to_api
from innkeeper.catalog.schemas import fold_city
from innkeeper.catalog.service import property_to_api
from innkeeper.identity.models import User
from innkeeper.inventory import service as inventory
from innkeeper.inventory.stay import guests_per_room, validate_stay
from innkeeper.kit.clock import local_today
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.money import Money
from innkeeper.pricing import service as pricing
from innkeeper.pricing.engine import (
    compute_quote,
    price_night,
    rules_by_kind,
)
from innkeeper.search.finder import SearchParams, search, validate_search

__all__ = ["SearchParams", "search", "validate_search"]


async def locations(session: AsyncSession, query: str | None, limit: int) -> list[dict[str, Any]]:
    stmt = (
        select(func.min(Property.city), Property.country, func.count())
        .where(Property.is_active)  # (the bare column: matches the partial indexes, see finder)
        .group_by(Property.city_key, Property.country)
        .order_by(func.count().desc(), func.min(Property.city))
        .limit(limit)
    )
    if query:
        needle = fold_city(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Property.city_key.like(f"%{needle}%", escape="\\"))
    rows = (await session.execute(stmt)).all()
    return [{"city": city, "country": country, "properties": int(n)} for city, country, n in rows]


# -- one property, public --------------------------------------------------------------------------------


async def public_property(session: AsyncSession, slug: str) -> Property:
    prop = await session.scalar(select(Property).where(Property.slug == slug, Property.is_active.is_(True)))
    if prop is None:
        raise PropertyNotFound()
    return prop


async def property_page(session: AsyncSession, slug: str) -> dict[str, Any]:
    prop = await public_property(session, slug)
    data = property_to_api(prop, images=await images.list_images(session, prop.id))
    for private in ("is_active", "created_at"):
        data.pop(private, None)
    types = (
        await session.scalars(
            select(RoomType)
            .where(RoomType.property_id == prop.id, RoomType.deleted_at.is_(None))
            .order_by(RoomType.base_price_minor, RoomType.code)
        )
    ).all()
    pictures = await images.room_type_images(session, prop.id)
    data["room_types"] = [room_type_to_api(rt, images=pictures.get(rt.id)) for rt in types]
    return data


async def availability(
    session: AsyncSession,
    settings: Any,
    slug: str,
    checkin: date,
    checkout: date,
    guests: int,
    rooms: int,
    user: User | None,
) -> dict[str, Any]:
    prop = await public_property(session, slug)
    today = local_today(prop.timezone)
    validate_stay(settings, checkin, checkout, guests, rooms, today=today)
    types = list(
        (
            await session.scalars(
                select(RoomType)
                .where(
                    RoomType.property_id == prop.id,
                    RoomType.deleted_at.is_(None),
                    RoomType.capacity >= guests_per_room(guests, rooms),
                )
                .order_by(RoomType.base_price_minor, RoomType.code)
            )
        ).all()
    )
    days = await inventory.get_days(session, [rt.id for rt in types], checkin, checkout + timedelta(days=1))
    occupancy = (await inventory.property_occupancy(session, [prop.id], checkin, checkout)).get(prop.id, {})
    grouped = rules_by_kind((await pricing.rules_for(session, [prop.id])).get(prop.id, []))
    items = []
    for rt in types:
        rt_days = days.get(rt.id, {})
        check = inventory.check_stay(rt_days, checkin, checkout, rooms)
        complete = all(checkin + timedelta(days=i) in rt_days for i in range((checkout - checkin).days))
        item: dict[str, Any] = {
            "room_type": {"id": str(rt.id), "code": rt.code, "name": rt.name, "capacity": rt.capacity},
            "available": check.available,
            "bookable": check.ok,
            "reason": check.reason,
            "nights": [],
            "total": None,
        }
        if complete:
            quote = compute_quote(
                prop=prop,
                room_type=rt,
                day_prices={d: r.price_minor for d, r in rt_days.items()},
                occupancy=occupancy,
                rules=grouped,
                checkin=checkin,
                checkout=checkout,
                rooms=rooms,
                guests=guests,
                today=today,
                loyalty_tier=user.loyalty_tier if user else None,
            )
            item["nights"] = [
                {"date": n.date.isoformat(), "price": Money(n.price, prop.currency).to_api()}
                for n in quote.nights
            ]
            item["total"] = Money(quote.total, prop.currency).to_api()
            item["quote"] = quote.to_api()
        items.append(item)
    return {
        "property": {"id": str(prop.id), "slug": prop.slug, "name": prop.name, "currency": prop.currency},
        "checkin": checkin.isoformat(),
        "checkout": checkout.isoformat(),
        "guests": guests,
        "rooms": rooms,
        "items": items,
        "total": len(items),
    }


async def calendar(
    session: AsyncSession,
    settings: Any,
    slug: str,
    room_type_id: uuid.UUID,
    start: date | None,
    end: date | None,
) -> dict[str, Any]:
    """Per day: rooms free and the price of one room for a one-night stay arriving that day."""
    prop = await public_property(session, slug)
    rt = await session.scalar(
        select(RoomType).where(
            RoomType.id == room_type_id, RoomType.property_id == prop.id, RoomType.deleted_at.is_(None)
        )
    )
    if rt is None:
        raise RoomTypeNotFound()
    today = local_today(prop.timezone)
    start = start or today
    end = end or start + timedelta(days=31)
    errors = []
    if end <= start or (end - start).days > 366:
        errors.append(
            {"field": "to", "message": "'to' must be after 'from', at most 366 days", "type": "range"}
        )
    if start < today:
        errors.append({"field": "from", "message": "in the past at the property", "type": "date_past"})
    if end > today + timedelta(days=settings.inventory_horizon_days):
        errors.append(
            {"field": "to", "message": "beyond the bookable horizon", "type": "date_beyond_horizon"}
        )
    if errors:
        raise ValidationFailed("The range is not valid", code="calendar.invalid", errors=errors)
    days = (await inventory.get_days(session, [rt.id], start, end)).get(rt.id, {})
    occupancy = (await inventory.property_occupancy(session, [prop.id], start, end)).get(prop.id, {})
    grouped = rules_by_kind((await pricing.rules_for(session, [prop.id])).get(prop.id, []))
    items = []
    d = start
    while d < end:
        row = days.get(d)
        if row is None:
            items.append({"date": d.isoformat(), "available": 0, "price": None, "closed": True})
        else:
            night = price_night(
                d,
                room_type=rt,
                day_price=row.price_minor,
                grouped_rules=grouped,
                occupancy=occupancy.get(d, (0, 0)),
                today=today,
                checkin=d,
                nights=1,
            )
            items.append(
                {
                    "date": d.isoformat(),
                    "available": row.available,
                    "price": Money(night.price, prop.currency).to_api(),
                    "closed": row.closed,
                    "min_stay": row.min_stay,
                    "closed_to_arrival": row.closed_to_arrival,
                }
            )
        d += timedelta(days=1)
    return {"room_type_id": str(rt.id), "currency": prop.currency, "items": items, "total": len(items)}
