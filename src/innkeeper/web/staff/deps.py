"""What every staff page starts from: the signed-in member, the property they work at, and what their
role there lets them do (``identity.permissions``: the same table the API reads).

* :class:`StaffRoute` is the route class of the console: the web's :class:`WebRoute` (one transaction,
  errors as pages), and a page that needs a signed-in user sends a browser that has none to
  ``/login?next=…`` instead of showing a 401 page (htmx requests get ``HX-Redirect``).
* :func:`staff_at` loads the property for the signed-in user and refuses it exactly as the API does:
  404 for a non-member, 403 for a member whose role may not do the page's action. The template gets
  ``staff.can("booking.create")`` and shows only what the member may do; the server checks again on
  every post, whatever the page offered.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.catalog.models import Property
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import require_action
from innkeeper.identity.models import PropertyRole, User
from innkeeper.identity.permissions import ROLE_ACTIONS, Action, role_at
from innkeeper.kit.errors import Unauthorized
from innkeeper.web import session as web_session
from innkeeper.web.errors import WebRoute
from innkeeper.web.pages import redirect, render
from innkeeper.web.session import WebAuth


class SignInNeeded(Unauthorized):
    code = "web.sign_in"
    title = "Sign in"


class StaffRoute(WebRoute):
    """A console page: a 401 (no browser session) becomes the way to the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def run(request: Request) -> Response:
            response = await inner(request)
            if response.status_code != 401:
                return response
            target = "/login?next=" + quote(
                request.url.path if request.method == "GET" else "/staff", safe=""
            )
            if "hx-request" in request.headers:
                return Response(status_code=204, headers={"HX-Redirect": target})
            return redirect(target)

        return run


#: the console's sections: (action needed to see it, path under the property, label)
SECTIONS: tuple[tuple[Action, str, str], ...] = (
    (Action.reports_view, "", "Dashboard"),
    (Action.booking_view, "/desk", "Front desk"),
    (Action.booking_view, "/bookings", "Bookings"),
    (Action.rooms_housekeeping, "/housekeeping", "Housekeeping"),
    (Action.rooms_view, "/rack", "Room rack"),
    (Action.inventory_view, "/rates", "Rates"),
    (Action.rates_manage, "/pricing", "Rate rules and promos"),
    (Action.schedule_view, "/schedule", "Schedule"),
    (Action.service_orders, "/orders", "Service orders"),
    (Action.reviews_moderate, "/reviews", "Reviews"),
    (Action.support_answer, "/tickets", "Tickets"),
    (Action.reports_view, "/reports", "Reports"),
    (Action.members_view, "/members", "Members"),
    (Action.property_manage, "/settings", "Settings"),
    (Action.property_manage, "/pages", "Pages"),
)


@dataclass(frozen=True)
class Staff:
    """The signed-in member at one property, and what they may do there."""

    auth: WebAuth
    prop: Property
    role: str | None  # None: a platform administrator who is not a member
    actions: frozenset[Action]

    @property
    def user(self) -> User:
        return self.auth.user

    @property
    def base(self) -> str:
        return f"/staff/p/{self.prop.id}"

    def can(self, action: str | Action) -> bool:
        return Action(action) in self.actions

    def sections(self) -> list[tuple[str, str]]:
        return [(self.base + path, label) for action, path, label in SECTIONS if action in self.actions]

    def home(self) -> str | None:
        """The first section the member may see (a housekeeper lands on the housekeeping board)."""
        found = self.sections()
        return found[0][0] if found else None


async def signed_in(request: Request, session: AsyncSession) -> WebAuth:
    auth = await web_session.current(request, session)
    if auth is None:
        raise SignInNeeded("Sign in to use the staff console")
    return auth


def actions_of(user: User, role: str | None) -> frozenset[Action]:
    if user.is_platform_admin:
        return frozenset(Action)
    try:
        return ROLE_ACTIONS.get(PropertyRole(role), frozenset()) if role else frozenset()
    except ValueError:
        return frozenset()


async def staff_at(
    request: Request, session: AsyncSession, property_id: uuid.UUID, action: Action = Action.property_view
) -> Staff:
    """The member at the property if they may do ``action`` there (404 for a stranger, 403 for a role
    that may not: ``identity.deps.require_action``, as every API route)."""
    auth = await signed_in(request, session)
    await require_action(session, auth.user, property_id, action)
    prop = await get_property(session, property_id)
    role = await role_at(session, auth.user.id, property_id)
    return Staff(auth=auth, prop=prop, role=role, actions=actions_of(auth.user, role))


def actor(request: Request, staff: Staff) -> Actor:
    """The staff member as the audit rows' actor (the same rows the API writes)."""
    return web_session.actor(request, staff.auth)


def page(
    request: Request, staff: Staff, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(request, template, {"staff": staff, "prop": staff.prop, **context}, status=status)
