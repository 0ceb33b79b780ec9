"""Loading what the pricing engine needs, and the staff side of rates (rules, promo codes).

:func:`quote` is the entry point for one room type: availability, quote and (next) booking call it.
Search and availability load the same inputs in batches and call ``engine.compute_quote`` directly.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.catalog.errors import RoomTypeNotFound
from innkeeper.catalog.models import Property, RoomType
from innkeeper.catalog.rooms import parse_price, room_type_of
from innkeeper.identity.models import User
from innkeeper.inventory import service as inventory
from innkeeper.inventory.errors import Unavailable
from innkeeper.inventory.schemas import parse_weekdays
from innkeeper.inventory.stay import guests_per_room, validate_stay
from innkeeper.kit.clock import local_today, utcnow
from innkeeper.kit.money import Money, check_currency
from innkeeper.pricing.engine import Promo, Quote, compute_quote, promo_usable
from innkeeper.pricing.errors import PromoExists, PromoInvalid, PromoNotFound, RuleNotFound
from innkeeper.pricing.models import PromoCode, RateRule
from innkeeper.pricing.schemas import PromoCodeIn, RateRuleIn, when

RULE_COLUMNS = (
    RateRule.id,
    RateRule.property_id,
    RateRule.room_type_id,
    RateRule.kind,
    RateRule.name,
    RateRule.priority,
    RateRule.start_date,
    RateRule.end_date,
    RateRule.weekdays,
    RateRule.min_occupancy_pct,
    RateRule.min_lead_days,
    RateRule.max_lead_days,
    RateRule.min_nights,
    RateRule.factor_bp,
    RateRule.override_minor,
    RateRule.is_active,
)


_RULES_OF = select(RateRule).where(
    RateRule.property_id.in_(bindparam("ids", expanding=True)), RateRule.is_active.is_(True)
)


async def rules_for(
    session: AsyncSession, property_ids: Any, *, rows: bool = False
) -> dict[uuid.UUID, list[Any]]:
    """Active rules per property: ORM objects, or plain rows (``rows=True``, faster, what search uses)."""
    out: dict[uuid.UUID, list[Any]] = defaultdict(list)
    if property_ids is not None and (not isinstance(property_ids, list) or property_ids):
        cond = (RateRule.property_id.in_(property_ids), RateRule.is_active.is_(True))
        if rows:
            found: Any = (
                await (await session.connection()).execute(select(*RULE_COLUMNS).where(*cond))
            ).all()
        elif isinstance(property_ids, list):
            found = (await session.scalars(_RULES_OF, {"ids": property_ids})).all()
        else:
            found = (await session.scalars(select(RateRule).where(*cond))).all()
        for rule in found:
            out[rule.property_id].append(rule)
    return out


async def find_promo(session: AsyncSession, code: str, prop: Property, now: datetime) -> Promo:
    """A usable promo code for this property (its own code wins over a global one of the same name)."""
    code = code.strip().upper()
    candidates = (
        await session.scalars(
            select(PromoCode).where(
                func.upper(PromoCode.code) == code,
                or_(PromoCode.property_id == prop.id, PromoCode.property_id.is_(None)),
            )
        )
    ).all()
    candidates = sorted(candidates, key=lambda p: p.property_id is None)
    reason = "unknown or inactive code"
    for promo in candidates:
        why = promo_usable(promo, property_id=prop.id, currency=prop.currency, now=now)
        if why is None:
            return Promo(promo.code, promo.kind, promo.percent_bp, promo.amount_minor)
        reason = why
    raise PromoInvalid(
        f"Promo code {code}: {reason}",
        errors=[{"field": "promo_code", "message": reason, "type": "promo_invalid"}],
    )


async def redeem_promo(session: AsyncSession, code: str, property_id: uuid.UUID) -> bool:
    """Count one use (for bookings). False when the code is used up meanwhile (conditional UPDATE)."""
    result = await session.execute(
        update(PromoCode)
        .where(
            func.upper(PromoCode.code) == code.upper(),
            or_(PromoCode.property_id == property_id, PromoCode.property_id.is_(None)),
            or_(PromoCode.max_uses.is_(None), PromoCode.used_count < PromoCode.max_uses),
        )
        .values(used_count=PromoCode.used_count + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


#: the room type, its property and the property's active rules in one statement: a row per rule, or one
#: row with no rule (most properties have a handful of rules; a round trip costs more than the repeats)
_ROOM_TYPE_PROPERTY_RULES = (
    select(RoomType, Property, RateRule)
    .join(Property, Property.id == RoomType.property_id)
    .outerjoin(RateRule, and_(RateRule.property_id == Property.id, RateRule.is_active.is_(True)))
    .where(RoomType.id == bindparam("id"))
    .order_by(RateRule.id)
)


@dataclass
class QuoteResult:
    prop: Property
    room_type: RoomType
    quote: Quote
    available: int
    #: the stay's inventory rows, checkout day included (what the quote and its check read)
    days: dict[date, Any]


async def quote(
    session: AsyncSession,
    settings: Any,
    room_type_id: uuid.UUID,
    checkin: date,
    checkout: date,
    *,
    rooms: int,
    guests: int,
    user: User | None = None,
    promo_code: str | None = None,
    property_id: uuid.UUID | None = None,
    require_available: bool = True,
) -> QuoteResult:
    """Price a stay of one room type: the function availability, quotes and bookings share."""
    found = (await session.execute(_ROOM_TYPE_PROPERTY_RULES, {"id": room_type_id})).all()
    if not found or (property_id is not None and found[0][1].id != property_id):
        raise RoomTypeNotFound()
    room_type, prop = found[0][0], found[0][1]
    rules = [row[2] for row in found if row[2] is not None]
    today = local_today(prop.timezone)
    validate_stay(settings, checkin, checkout, guests, rooms, today=today)
    if guests_per_room(guests, rooms) > room_type.capacity:
        raise Unavailable(
            f"{room_type.name} sleeps at most {room_type.capacity} per room", code="inventory.capacity"
        )
    days = (await inventory.get_days(session, [room_type.id], checkin, checkout + timedelta(days=1))).get(
        room_type.id, {}
    )
    check = inventory.check_stay(days, checkin, checkout, rooms)
    if require_available and not check.ok:
        raise Unavailable(f"Not available: {check.reason}", reason=check.reason)
    # the property's occupancy only matters to occupancy rules: most properties have none
    occupancy = (
        (await inventory.property_occupancy(session, [prop.id], checkin, checkout)).get(prop.id, {})
        if any(rule.kind == "occupancy" for rule in rules)
        else {}
    )
    promo = await find_promo(session, promo_code, prop, utcnow()) if promo_code else None
    result = compute_quote(
        prop=prop,
        room_type=room_type,
        day_prices={d: r.price_minor for d, r in days.items()},
        occupancy=occupancy,
        rules=rules,
        checkin=checkin,
        checkout=checkout,
        rooms=rooms,
        guests=guests,
        today=today,
        loyalty_tier=user.loyalty_tier if user else None,
        promo=promo,
    )
    return QuoteResult(prop, room_type, result, check.available, days)


# -- staff: rate rules ------------------------------------------------------------------------------------


def _bp(value: Decimal) -> int:
    return int(value * 10_000)


def rule_to_api(rule: RateRule) -> dict[str, Any]:
    weekdays = None
    if rule.weekdays is not None:
        weekdays = [name for i, name in enumerate(inventory.WEEKDAY_NAMES) if (rule.weekdays >> i) & 1]
    return {
        "id": str(rule.id),
        "kind": rule.kind,
        "name": rule.name,
        "priority": rule.priority,
        "room_type_id": str(rule.room_type_id) if rule.room_type_id else None,
        "start_date": rule.start_date.isoformat() if rule.start_date else None,
        "end_date": rule.end_date.isoformat() if rule.end_date else None,
        "weekdays": weekdays,
        "min_occupancy_pct": rule.min_occupancy_pct,
        "min_lead_days": rule.min_lead_days,
        "max_lead_days": rule.max_lead_days,
        "min_nights": rule.min_nights,
        "factor": str(Decimal(rule.factor_bp) / 10_000) if rule.factor_bp is not None else None,
        "override": Money(rule.override_minor, rule.currency).to_api()
        if rule.override_minor is not None
        else None,
        "is_active": rule.is_active,
    }


async def create_rule(session: AsyncSession, prop: Property, data: RateRuleIn, actor: Actor) -> RateRule:
    if data.room_type_id is not None:
        await room_type_of(session, prop.id, data.room_type_id)
    mask = None
    days = parse_weekdays(data.weekdays)
    if days is not None:
        mask = sum(1 << d for d in days)
    rule = RateRule(
        property_id=prop.id,
        room_type_id=data.room_type_id,
        kind=data.kind,
        name=data.name,
        priority=data.priority,
        start_date=data.start_date,
        end_date=data.end_date,
        weekdays=mask,
        min_occupancy_pct=data.min_occupancy_pct,
        min_lead_days=data.min_lead_days,
        max_lead_days=data.max_lead_days,
        min_nights=data.min_nights,
        factor_bp=_bp(data.factor) if data.factor is not None else None,
        override_minor=parse_price(data.override, prop.currency, "override")
        if data.override is not None
        else None,
        currency=prop.currency,
        is_active=True,
    )
    session.add(rule)
    await session.flush()
    record(
        session,
        actor,
        "rate_rule.created",
        "rate_rule",
        rule.id,
        property_id=prop.id,
        after=rule_to_api(rule),
    )
    return rule


async def list_rules(session: AsyncSession, property_id: uuid.UUID) -> list[RateRule]:
    return list(
        (
            await session.scalars(
                select(RateRule)
                .where(RateRule.property_id == property_id)
                .order_by(RateRule.kind, RateRule.priority.desc())
            )
        ).all()
    )


async def delete_rule(session: AsyncSession, prop: Property, rule_id: uuid.UUID, actor: Actor) -> None:
    rule = await session.scalar(
        select(RateRule).where(RateRule.id == rule_id, RateRule.property_id == prop.id)
    )
    if rule is None:
        raise RuleNotFound()
    record(
        session,
        actor,
        "rate_rule.deleted",
        "rate_rule",
        rule.id,
        property_id=prop.id,
        before=rule_to_api(rule),
    )
    await session.delete(rule)


# -- promo codes --------------------------------------------------------------------------------------------


def promo_to_api(promo: PromoCode) -> dict[str, Any]:
    return {
        "id": str(promo.id),
        "code": promo.code,
        "kind": promo.kind,
        "property_id": str(promo.property_id) if promo.property_id else None,
        "percent": f"{Decimal(promo.percent_bp) / 100:.2f}" if promo.percent_bp is not None else None,
        "amount": Money(promo.amount_minor, promo.currency).to_api()
        if promo.amount_minor is not None and promo.currency
        else None,
        "valid_from": when(promo.valid_from),
        "valid_until": when(promo.valid_until),
        "max_uses": promo.max_uses,
        "used_count": promo.used_count,
        "is_active": promo.is_active,
    }


async def create_promo(
    session: AsyncSession, prop: Property | None, data: PromoCodeIn, actor: Actor
) -> PromoCode:
    code = data.code.upper()
    clash = select(PromoCode.id).where(func.upper(PromoCode.code) == code)
    clash = clash.where(PromoCode.property_id == prop.id if prop else PromoCode.property_id.is_(None))
    if await session.scalar(clash) is not None:
        raise PromoExists(f"{code} exists")
    currency = None
    amount = None
    if data.kind == "fixed" and data.amount is not None:  # PromoCodeIn requires amount for "fixed"
        currency = prop.currency if prop else check_currency(data.currency or "")
        amount = parse_price(data.amount, currency, "amount")
        if amount <= 0:
            raise PromoInvalid("amount must be positive", code="pricing.promo_amount")
    promo = PromoCode(
        property_id=prop.id if prop else None,
        code=code,
        kind=data.kind,
        percent_bp=int(data.percent * 100) if data.percent is not None else None,
        amount_minor=amount,
        currency=currency,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        max_uses=data.max_uses,
        used_count=0,
        is_active=True,
    )
    session.add(promo)
    await session.flush()
    record(
        session,
        actor,
        "promo_code.created",
        "promo_code",
        promo.id,
        property_id=prop.id if prop else None,
        after=promo_to_api(promo),
    )
    return promo


async def list_promos(session: AsyncSession, property_id: uuid.UUID | None) -> list[PromoCode]:
    cond = PromoCode.property_id == property_id if property_id else PromoCode.property_id.is_(None)
    return list((await session.scalars(select(PromoCode).where(cond).order_by(PromoCode.code))).all())


async def deactivate_promo(
    session: AsyncSession, property_id: uuid.UUID | None, promo_id: uuid.UUID, actor: Actor
) -> None:
    cond = PromoCode.property_id == property_id if property_id else PromoCode.property_id.is_(None)
    promo = await session.scalar(select(PromoCode).where(PromoCode.id == promo_id, cond))
    if promo is None:
        raise PromoNotFound()
    promo.is_active = False
    record(session, actor, "promo_code.deactivated", "promo_code", promo.id, property_id=property_id)
