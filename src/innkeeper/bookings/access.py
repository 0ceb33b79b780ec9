"""Who may see or change a booking — the one place bookings are scoped (invariant 7).

A customer sees their own bookings, a guest without an account the one their ``guest_token`` opens,
staff the bookings of their properties, platform admins all. Anything else is 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking
from innkeeper.identity.models import PropertyMembership, PropertyRole, User
from innkeeper.kit.errors import Forbidden
from innkeeper.kit.security import constant_time_equal, hash_token


@dataclass(frozen=True)
class Caller:
    user: User | None
    guest_token: str | None = None


async def _role(session: AsyncSession, user: User, property_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(PropertyMembership.role).where(
            PropertyMembership.property_id == property_id, PropertyMembership.user_id == user.id
        )
    )


async def load(
    session: AsyncSession,
    booking_id: uuid.UUID,
    caller: Caller,
    *,
    lock: bool = False,
    staff_roles: tuple[PropertyRole, ...] | None = None,
) -> Booking:
    """The booking if ``caller`` may see it (locked ``FOR UPDATE`` when ``lock``), else 404.

    ``staff_roles``: the action is staff-only; members with another role get 403."""
    stmt = select(Booking).where(Booking.id == booking_id)
    if lock:
        stmt = stmt.with_for_update()
    booking = await session.scalar(stmt)
    if booking is None:
        raise BookingNotFound()
    user = caller.user
    if user is not None and user.is_platform_admin:
        return booking
    role = await _role(session, user, booking.property_id) if user is not None else None
    if staff_roles is not None:
        if role is None:
            raise BookingNotFound()
        if role not in {r.value for r in staff_roles}:
            raise Forbidden("Your role at this property does not allow this", code="auth.role")
        return booking
    if role is not None or (user is not None and booking.user_id == user.id):
        return booking
    if (
        caller.guest_token
        and booking.guest_token_hash
        and constant_time_equal(booking.guest_token_hash, hash_token(caller.guest_token))
    ):
        return booking
    raise BookingNotFound()


def visible_to(user: User) -> Select[Any]:
    """Bookings a signed-in user may list: their own and those of properties they work at."""
    stmt = select(Booking)
    if user.is_platform_admin:
        return stmt
    staff_of = select(PropertyMembership.property_id).where(PropertyMembership.user_id == user.id)
    return stmt.where(or_(Booking.user_id == user.id, Booking.property_id.in_(staff_of)))
