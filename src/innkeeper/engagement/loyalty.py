"""Loyalty: points earned for finished stays and slots, reversed for refunds, redeemed as wallet credit.

Rules:

* The ledger (``loyalty_entries``) is append-only; an account's ``points`` moves only together with a
  ledger row, by a conditional UPDATE (``… WHERE points + :delta >= 0``) that PostgreSQL re-checks
  against the committed balance when two requests race for the row, and a CHECK backs it: points never
  go below zero, whatever runs in parallel.
* A booking earns once (at ``checked_out``, or ``completed`` for a slot), ``POINTS_PER_UNIT`` per whole
  currency unit of what was paid for it (the folio's payments less its refunds).
* A refund of a booking that earned takes back the points of the refunded amount, at most what the
  booking earned, and at most what the account still holds (points already redeemed were turned into
  wallet credit, which stays).
* The tier is set from the points earned (less reversals) over the last 12 months, each time points
  are earned or reversed; pricing reads ``User.loyalty_tier`` for its loyalty discount.
* Redeeming turns points into wallet credit at the published rate (``loyalty_point_value_minor`` of
  ``loyalty_redeem_currency`` per point).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.billing import folio, wallet
from innkeeper.billing.models import EntryKind
from innkeeper.bookings.models import Booking
from innkeeper.engagement.errors import InsufficientPoints
from innkeeper.engagement.models import LoyaltyAccount, LoyaltyEntry, LoyaltyKind
from innkeeper.identity.models import User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import insert_for
from innkeeper.kit.ids import new_id
from innkeeper.kit.money import Money, exponent

#: points per whole currency unit paid
POINTS_PER_UNIT = 1
#: the tiers, lowest first, with the points earned over ``TIER_WINDOW`` that reach each
TIERS: tuple[tuple[str, int], ...] = (("bronze", 0), ("silver", 1_000), ("gold", 5_000), ("platinum", 15_000))
TIER_WINDOW = timedelta(days=365)
#: ``User.loyalty_tier`` of someone who never earned a point
NO_TIER = "standard"


def points_for(minor: int, currency: str) -> int:
    """Points for an amount: whole currency units (rounded down) times ``POINTS_PER_UNIT``."""
    return max(0, minor // 10 ** exponent(currency)) * POINTS_PER_UNIT


def tier_for(points: int) -> str:
    reached = [name for name, floor in TIERS if points >= floor]
    return reached[-1] if reached else TIERS[0][0]


def next_tier(points: int) -> tuple[str, int] | None:
    """The next tier up and the points still missing, or None at the top."""
    for name, floor in TIERS:
        if points < floor:
            return name, floor - points
    return None


async def _ensure_account(session: AsyncSession, user_id: uuid.UUID) -> None:
    stmt = insert_for(session, LoyaltyAccount).values(user_id=user_id, points=0, updated_at=utcnow())
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id"]))


async def _move(session: AsyncSession, user_id: uuid.UUID, delta: int) -> bool:
    """Add ``delta`` to the balance unless that takes it below zero; whether it moved."""
    result = await session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.user_id == user_id, LoyaltyAccount.points + delta >= 0)
        .values(points=LoyaltyAccount.points + delta, updated_at=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def balance(session: AsyncSession, user_id: uuid.UUID) -> int:
    points = await session.scalar(select(LoyaltyAccount.points).where(LoyaltyAccount.user_id == user_id))
    return int(points or 0)


async def earned_in_window(session: AsyncSession, user_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
            LoyaltyEntry.user_id == user_id,
            LoyaltyEntry.kind.in_([LoyaltyKind.earn.value, LoyaltyKind.reversal.value]),
            LoyaltyEntry.created_at >= utcnow() - TIER_WINDOW,
        )
    )
    return max(0, int(total or 0))


async def recompute_tier(session: AsyncSession, user_id: uuid.UUID, actor: Actor) -> str:
    """Set the user's tier from the last 12 months' earnings (audited when it changes)."""
    tier = tier_for(await earned_in_window(session, user_id))
    user = await session.get(User, user_id)
    if user is not None and user.loyalty_tier != tier:
        record(
            session,
            actor,
            "loyalty.tier_changed",
            "user",
            user_id,
            before={"tier": user.loyalty_tier},
            after={"tier": tier},
        )
        user.loyalty_tier = tier
    return tier


def _entry(user_id: uuid.UUID, kind: LoyaltyKind, points: int, **extra: Any) -> LoyaltyEntry:
    return LoyaltyEntry(
        id=new_id(), user_id=user_id, kind=kind.value, points=points, created_at=utcnow(), **extra
    )


async def earn_for_booking(session: AsyncSession, booking: Booking, actor: Actor) -> LoyaltyEntry | None:
    """Points for a finished booking's payments, once (a booking without an account earns nothing)."""
    if booking.user_id is None:
        return None
    done = await session.scalar(
        select(LoyaltyEntry.id).where(
            LoyaltyEntry.booking_id == booking.id, LoyaltyEntry.kind == LoyaltyKind.earn.value
        )
    )
    if done is not None:
        return None
    points = points_for((await folio.totals(session, booking)).paid, booking.currency)
    if points <= 0:
        return None
    await _ensure_account(session, booking.user_id)
    await _move(session, booking.user_id, points)
    entry = _entry(booking.user_id, LoyaltyKind.earn, points, booking_id=booking.id, memo=booking.reference)
    session.add(entry)
    await session.flush()
    record(
        session,
        actor,
        "loyalty.earned",
        "loyalty_entry",
        entry.id,
        property_id=booking.property_id,
        after={"user_id": str(booking.user_id), "points": points, "booking_id": str(booking.id)},
    )
    await recompute_tier(session, booking.user_id, actor)
    return entry


async def reverse_for_refund(
    session: AsyncSession, booking_id: uuid.UUID, refund_id: uuid.UUID, refunded: Money, actor: Actor
) -> LoyaltyEntry | None:
    """Take back the points of a refunded amount of a booking that earned (once per refund)."""
    earned = await session.scalar(
        select(LoyaltyEntry).where(
            LoyaltyEntry.booking_id == booking_id, LoyaltyEntry.kind == LoyaltyKind.earn.value
        )
    )
    if earned is None:
        return None  # not finished yet: the refund lowers what it will earn instead
    seen = await session.scalar(
        select(LoyaltyEntry.id).where(
            LoyaltyEntry.refund_id == refund_id, LoyaltyEntry.kind == LoyaltyKind.reversal.value
        )
    )
    if seen is not None:
        return None
    reversed_before = -int(
        await session.scalar(
            select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
                LoyaltyEntry.booking_id == booking_id, LoyaltyEntry.kind == LoyaltyKind.reversal.value
            )
        )
        or 0
    )
    account = await session.scalar(
        select(LoyaltyAccount).where(LoyaltyAccount.user_id == earned.user_id).with_for_update()
    )
    held = account.points if account is not None else 0
    take = min(points_for(refunded.minor, refunded.currency), earned.points - reversed_before, held)
    if take <= 0:
        return None
    await _move(session, earned.user_id, -take)
    entry = _entry(
        earned.user_id,
        LoyaltyKind.reversal,
        -take,
        booking_id=booking_id,
        refund_id=refund_id,
        memo=earned.memo,
    )
    session.add(entry)
    await session.flush()
    record(
        session,
        actor,
        "loyalty.reversed",
        "loyalty_entry",
        entry.id,
        after={"user_id": str(earned.user_id), "points": -take, "refund_id": str(refund_id)},
    )
    await recompute_tier(session, earned.user_id, actor)
    return entry


async def redeem(
    session: AsyncSession, settings: Any, user: User, points: int, actor: Actor
) -> tuple[LoyaltyEntry, int]:
    """Turn ``points`` into wallet credit; 409 ``loyalty.insufficient_points`` (nothing written) when
    the balance is lower. Returns the ledger entry and the balance after."""
    credit = Money(points * settings.loyalty_point_value_minor, settings.loyalty_redeem_currency)
    # the wallet's row first, as a refund into the wallet takes it before its points are reversed:
    # the same order everywhere, so the two never deadlock
    await wallet.account(session, user.id, credit.currency, lock=True)
    if not await _move(session, user.id, -points):
        raise InsufficientPoints(f"You hold fewer than {points} points")
    entry = _entry(
        user.id,
        LoyaltyKind.redeem,
        -points,
        credit_minor=credit.minor,
        currency=credit.currency,
        memo="Redeemed as wallet credit",
    )
    session.add(entry)
    await session.flush()
    made = await wallet.post(
        session,
        actor,
        user_id=user.id,
        amount=credit,
        kind=EntryKind.credit,
        reference=("loyalty_redemption", entry.id),
        memo=f"{points} loyalty points",
    )
    entry.wallet_entry_id = made.id
    record(
        session,
        actor,
        "loyalty.redeemed",
        "loyalty_entry",
        entry.id,
        after={"user_id": str(user.id), "points": -points, "credit": credit.to_api()},
    )
    return entry, await balance(session, user.id)


async def ledger(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[LoyaltyEntry], int]:
    base = select(LoyaltyEntry).where(LoyaltyEntry.user_id == user_id)
    total = int(await session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = await session.scalars(
        base.order_by(LoyaltyEntry.created_at.desc(), LoyaltyEntry.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.all()), total


def entry_to_api(e: LoyaltyEntry) -> dict[str, Any]:
    return {
        "id": str(e.id),
        "kind": e.kind,
        "points": e.points,
        "booking_id": str(e.booking_id) if e.booking_id else None,
        "credit": Money(e.credit_minor, e.currency).to_api() if e.credit_minor and e.currency else None,
        "memo": e.memo,
        "created_at": e.created_at.isoformat(),
    }


async def summary(
    session: AsyncSession, settings: Any, user: User, *, limit: int, offset: int
) -> dict[str, Any]:
    """``GET /users/me/loyalty``: tier, balance, progress to the next tier, the published rate, a page
    of the ledger (newest first)."""
    window = await earned_in_window(session, user.id)
    upcoming = next_tier(window)
    entries, total = await ledger(session, user.id, limit=limit, offset=offset)
    return {
        "tier": user.loyalty_tier,
        "points": await balance(session, user.id),
        "points_12_months": window,
        "next_tier": upcoming[0] if upcoming else None,
        "points_to_next_tier": upcoming[1] if upcoming else None,
        "redeem_rate": {
            "points": 1,
            "value": Money(settings.loyalty_point_value_minor, settings.loyalty_redeem_currency).to_api(),
        },
        "items": [entry_to_api(e) for e in entries],
        "total": total,
    }
