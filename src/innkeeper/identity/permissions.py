"""Who may do what at a property: the one table of roles and actions (``shared/API.md``, "Roles at a
property"). Routes never name roles: a property route depends on ``identity.deps.property_action`` and
a booking route asks ``bookings.access.load(..., action=...)``, both of which read this table.

Platform administrators may do everything everywhere; they are not in the table. A signed-in user
with no role at the property gets 404 (the property, or its booking, does not exist for them); a
member whose role lacks the action gets 403.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.identity.models import PropertyMembership, PropertyRole


class Action(StrEnum):
    # the property itself
    property_view = "property.view"  # the staff view of the property and its images
    property_manage = "property.manage"  # settings, policies, activation, images
    members_view = "members.view"
    members_manage = "members.manage"  # add and remove members
    # rooms and what is sold
    rooms_view = "rooms.view"  # the rooms list and the room types it refers to
    rooms_housekeeping = "rooms.housekeeping"  # mark a room clean/dirty/inspected
    rooms_manage = "rooms.manage"  # create rooms and room types, take rooms in and out of service
    inventory_view = "inventory.view"
    inventory_manage = "inventory.manage"  # prices, closures and restrictions per night
    rates_manage = "rates.manage"  # rate rules and promo codes
    reports_view = "reports.view"
    # bookings of the property
    booking_view = "booking.view"  # a booking, its history, folio, invoice and rooms; the list
    booking_create = "booking.create"  # a booking taken at the desk
    booking_change = "booking.change"  # guests, modify, cancel
    booking_payment = "booking.payment"  # start a payment for the booking
    booking_confirm = "booking.confirm"  # confirm a pay-at-property booking without payment
    booking_check_in = "booking.check_in"  # check in and out, assign and move rooms
    booking_invoice = "booking.invoice"  # issue an invoice, credit it
    # hourly resources (halls, meeting rooms, professionals)
    resources_manage = "resources.manage"  # create and change resources and their add-ons
    schedule_view = "schedule.view"  # resources, their windows, exceptions and the day's schedule
    schedule_manage = "schedule.manage"  # weekly windows and exceptions of a resource
    # engagement
    reviews_moderate = "reviews.moderate"
    # the property's audit log (owner and manager: not in any other role's set)
    audit_view = "audit.view"
    support_answer = "support.answer"  # read and answer the support tickets about the property
    # services (extras): the catalog, and the orders placed on bookings
    services_manage = "services.manage"  # create and change the service catalog
    service_orders = "service_orders.handle"  # the order queue; accept, start, deliver, reject, cancel


_FRONT_DESK = frozenset(
    {
        Action.property_view,
        Action.rooms_view,
        Action.rooms_housekeeping,
        Action.inventory_view,
        Action.reports_view,
        Action.booking_view,
        Action.booking_create,
        Action.booking_change,
        Action.booking_payment,
        Action.booking_confirm,
        Action.booking_check_in,
        Action.booking_invoice,
        Action.schedule_view,
        Action.service_orders,
        Action.support_answer,
    }
)

#: What each role at a property may do there.
ROLE_ACTIONS: dict[PropertyRole, frozenset[Action]] = {
    PropertyRole.owner: frozenset(Action),
    PropertyRole.manager: frozenset(Action),
    PropertyRole.front_desk: _FRONT_DESK,
    # the rooms list and housekeeping status only; property.view because every console page starts
    # from the property the member works at
    PropertyRole.housekeeping: frozenset(
        {Action.property_view, Action.rooms_view, Action.rooms_housekeeping}
    ),
    PropertyRole.moderator: frozenset({Action.property_view, Action.reviews_moderate}),
    # their own resource only: ``catalog.resources.resource_for`` narrows these to resources linked to
    # the member's account (OWN_RESOURCE_ROLES)
    PropertyRole.professional: frozenset(
        {Action.property_view, Action.schedule_view, Action.schedule_manage}
    ),
}

#: Roles whose schedule actions reach only the resources linked to their own account.
OWN_RESOURCE_ROLES = frozenset({PropertyRole.professional})
#: What such a member may do with the bookings of their own resource: see them, nothing else.
OWN_RESOURCE_BOOKING_ACTIONS = frozenset({Action.booking_view})

#: What the booking's own customer (or whoever holds its ``guest_token``) may do with it, whatever
#: their role at the property: a housekeeper's own holiday booking is theirs to see and change.
BOOKER_ACTIONS = frozenset({Action.booking_view, Action.booking_change, Action.booking_payment})


def permits(role: str | PropertyRole, action: Action) -> bool:
    """Whether a member with ``role`` may do ``action`` (an unknown role may do nothing)."""
    try:
        known = PropertyRole(role)
    except ValueError:
        return False
    return action in ROLE_ACTIONS.get(known, frozenset())


def roles_for(action: Action) -> frozenset[PropertyRole]:
    """The roles that may do ``action`` (to scope a list query to those properties)."""
    return frozenset(role for role, actions in ROLE_ACTIONS.items() if action in actions)


async def role_at(session: AsyncSession, user_id: uuid.UUID, property_id: uuid.UUID) -> str | None:
    """The user's role at the property, or ``None`` when they are not a member."""
    return await session.scalar(
        select(PropertyMembership.role).where(
            PropertyMembership.property_id == property_id, PropertyMembership.user_id == user_id
        )
    )
