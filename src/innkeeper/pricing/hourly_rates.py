"""Staff: the peak / off-peak rates of an hourly resource (``POST/GET/DELETE
/properties/{id}/resources/{rid}/rates``). How a rate prices a slot: :mod:`innkeeper.pricing.hourly`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.models import Resource
from innkeeper.inventory.schemas import parse_weekdays
from innkeeper.inventory.service import WEEKDAY_NAMES
from innkeeper.kit.money import Money
from innkeeper.pricing.errors import RateNotFound
from innkeeper.pricing.hourly import rank_rates, rates_for
from innkeeper.pricing.models import ResourceRate
from innkeeper.pricing.schemas import ResourceRateIn, clock_minutes


def _clock(minute: int | None) -> str | None:
    return None if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def rate_to_api(rate: ResourceRate, currency: str) -> dict[str, Any]:
    weekdays = None
    if rate.weekdays is not None:
        weekdays = [name for i, name in enumerate(WEEKDAY_NAMES) if (rate.weekdays >> i) & 1]
    return {
        "id": str(rate.id),
        "resource_id": str(rate.resource_id),
        "weekdays": weekdays,
        "start_time": _clock(rate.start_minute),
        "end_time": _clock(rate.end_minute),
        "hourly_price": None
        if rate.hourly_price_minor is None
        else Money(rate.hourly_price_minor, currency).to_api(),
        "percent": rate.percent,
    }


async def create_rate(
    session: AsyncSession, resource: Resource, data: ResourceRateIn, actor: Actor
) -> ResourceRate:
    days = parse_weekdays(data.weekdays)
    rate = ResourceRate(
        resource_id=resource.id,
        weekdays=None if days is None else sum(1 << d for d in days),
        start_minute=None if data.start_time is None else clock_minutes(data.start_time),
        end_minute=None if data.end_time is None else clock_minutes(data.end_time),
        hourly_price_minor=None
        if data.hourly_price is None
        else data.hourly_price.resolve(resource.currency, field="hourly_price").minor,
        percent=data.percent,
    )
    session.add(rate)
    await session.flush()
    after = rate_to_api(rate, resource.currency)
    record(
        session,
        actor,
        "resource_rate.created",
        "resource_rate",
        rate.id,
        property_id=resource.property_id,
        after=after,
    )
    return rate


async def list_rates(session: AsyncSession, resource: Resource) -> list[ResourceRate]:
    """A resource's rates, most specific first (the order in which they win)."""
    return rank_rates((await rates_for(session, [resource.id])).get(resource.id, []))


async def delete_rate(session: AsyncSession, resource: Resource, rate_id: uuid.UUID, actor: Actor) -> None:
    rate = await session.scalar(
        select(ResourceRate).where(ResourceRate.id == rate_id, ResourceRate.resource_id == resource.id)
    )
    if rate is None:
        raise RateNotFound()
    before = rate_to_api(rate, resource.currency)
    record(
        session,
        actor,
        "resource_rate.deleted",
        "resource_rate",
        rate.id,
        property_id=resource.property_id,
        before=before,
    )
    await session.delete(rate)
