"""Who may see or change a booking — the one place bookings are scoped (invariant 7).

Every booking route names the :class:`~innkeeper.identity.permissions.Action` it performs. The
booking's own customer (or the guest holding its ``guest_token``) may do the booker's actions
(``BOOKER_ACTIONS``: view, change, pay); staff of the booking's property may do what their role allows
(``ROLE_ACTIONS``) and get 403 for the rest; platform admins may do everything. Anyone else gets 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking
from innkeeper.catalog.models import Resource
from innkeeper.identity.models import PropertyMembership, User
from innkeeper.identity.permissions import (
    BOOKER_ACTIONS,
    OWN_RESOURCE_BOOKING_ACTIONS,
    OWN_RESOURCE_ROLES,
    Action,
    permits,
    role_at,
    roles_for,
)
from innkeeper.kit.errors import Forbidden
from innkeeper.kit.security import constant_time_equal, hash_token


@dataclass(frozen=True)
class Caller:
    user: User | None
    guest_token: str | None = None


def _is_booker(booking: Booking, caller: Caller) -> bool:
    if caller.user is not None and booking.user_id == caller.user.id:
        return True
    return bool(
        caller.guest_token
        and booking.guest_token_hash
        and constant_time_equal(booking.guest_token_hash, hash_token(caller.guest_token))
    )


async def load(
    session: AsyncSession,
    booking_id: uuid.UUID,
    caller: Caller,
    *,
    action: Action,
    lock: bool = False,
) -> Booking:
    """The booking if ``caller`` may do ``action`` with it (locked ``FOR UPDATE`` when ``lock``).

    404 when the caller is neither its booker nor staff of its property (or is its booker and the
    action is staff-only); 403 when they are staff whose role may not do ``action``."""
    stmt = select(Booking).where(Booking.id == booking_id)
    if lock:
        stmt = stmt.with_for_update()
    booking = await session.scalar(stmt)
    if booking is None:
        raise BookingNotFound()
    user = caller.user
    if user is not None and user.is_platform_admin:
        return booking
    if action in BOOKER_ACTIONS and _is_booker(booking, caller):
        return booking
    role = await role_at(session, user.id, booking.property_id) if user is not None else None
    if role is None:
        raise BookingNotFound()
    if user is not None and await _own_resource(session, booking, user, role, action):
        return booking
    if not permits(role, action):
        raise Forbidden("Your role at this property does not allow this", code="auth.role")
    return booking


async def _own_resource(
    session: AsyncSession, booking: Booking, user: User, role: str, action: Action
) -> bool:
    """A professional sees the bookings of the resource linked to their own account."""
    if booking.resource_id is None or role not in OWN_RESOURCE_ROLES:
        return False
    if action not in OWN_RESOURCE_BOOKING_ACTIONS:
        return False
    owner = await session.scalar(select(Resource.user_id).where(Resource.id == booking.resource_id))
    return owner == user.id


def visible_to(user: User) -> Select[Any]:
    """Bookings a signed-in user may list: their own, and those of the properties where their role
    may view bookings."""
    stmt = select(Booking)
    if user.is_platform_admin:
        return stmt
    staff_of = select(PropertyMembership.property_id).where(
        PropertyMembership.user_id == user.id,
        PropertyMembership.role.in_([r.value for r in roles_for(Action.booking_view)]),
    )
    own_resources = (
        select(Resource.id)
        .join(PropertyMembership, PropertyMembership.property_id == Resource.property_id)
        .where(
            Resource.user_id == user.id,
            PropertyMembership.user_id == user.id,
            PropertyMembership.role.in_([r.value for r in OWN_RESOURCE_ROLES]),
        )
    )
    return stmt.where(
        or_(
            Booking.user_id == user.id,
            Booking.property_id.in_(staff_of),
            Booking.resource_id.in_(own_resources),
        )
    )
