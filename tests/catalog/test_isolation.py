"""Tenant isolation and roles, for every staff-scoped route: each route whose path names a property or a
booking has a case here naming the action it performs (``identity.permissions.Action``), and the list
is checked against the app's routes, so a new route without a case fails the suite.

For every route: a stranger gets 404, anonymous callers 401 (or 404 where the booker needs no
account), each role at the property what ``ROLE_ACTIONS`` says (allowed, or 403 ``auth.role``), the
booking's own customer what ``BOOKER_ACTIONS`` says (allowed, or 404), platform admins everything.
One world per backend serves every route, so the whole table costs one test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import PropertyRole
from innkeeper.identity.permissions import BOOKER_ACTIONS, Action, permits
from tests.catalog_support import add_member, d, freeze, invite, make_admin, make_hotel, user
from tests.helpers import API, assert_problem, bearer, signup

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
A = Action


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


RESOURCE = {"kind": "professional", "name": "Dr Ada", "hourly_price": "40.00"}
PEAK = {"weekdays": ["fri"], "start_time": "17:00", "end_time": "20:00", "percent": 150}
ADDON = {"code": "projector", "name": "Projector", "price": "10.00", "unit": "per_booking"}
SERVICE = {"code": "SPA", "name": "Massage", "category": "spa", "price": "80.00"}


def closed(day: int) -> dict[str, str]:
    return {"start": f"{d(day)}T09:00", "end": f"{d(day)}T12:00", "kind": "closed"}


@dataclass(frozen=True)
class Case:
    action: Action
    ids: dict[str, str] = field(default_factory=dict)
    json: Any = None
    params: dict[str, str] | None = None
    files: dict[str, Any] | None = None


def integration_cases(p: str, b: str) -> dict[tuple[str, str], Case]:
    """Webhooks, calendars and imports (``property.manage``), a booking's meeting (its booker's too)."""
    none = "00000000-0000-0000-0000-000000000000"
    wh = f"{p}/webhooks/{{webhook_id}}"
    ids = {"webhook_id": none, "delivery_id": none, "calendar_id": none, "import_id": none}
    hook = {"url": "https://hooks.example.test/in", "events": ["booking.created"]}
    return {
        ("POST", f"{p}/webhooks"): Case(A.property_manage, json=hook),
        ("GET", f"{p}/webhooks"): Case(A.property_manage),
        ("GET", wh): Case(A.property_manage, ids=ids),
        ("PATCH", wh): Case(A.property_manage, ids=ids, json={"is_active": False}),
        ("DELETE", wh): Case(A.property_manage, ids=ids),
        ("POST", f"{wh}/rotate-secret"): Case(A.property_manage, ids=ids),
        ("GET", f"{wh}/deliveries"): Case(A.property_manage, ids=ids),
        ("GET", f"{wh}/deliveries/{{delivery_id}}"): Case(A.property_manage, ids=ids),
        ("POST", f"{wh}/deliveries/{{delivery_id}}/retry"): Case(A.property_manage, ids=ids),
        ("POST", f"{p}/calendars"): Case(A.property_manage, json={"resource_id": none}),
        ("GET", f"{p}/calendars"): Case(A.property_manage),
        ("DELETE", f"{p}/calendars/{{calendar_id}}"): Case(A.property_manage, ids=ids),
        ("POST", f"{p}/calendar-imports"): Case(
            A.property_manage, json={"url": "https://cal.example.test/a.ics", "resource_id": none}
        ),
        ("GET", f"{p}/calendar-imports"): Case(A.property_manage),
        ("GET", f"{p}/calendar-imports/{{import_id}}"): Case(A.property_manage, ids=ids),
        ("POST", f"{p}/calendar-imports/{{import_id}}/sync"): Case(A.property_manage, ids=ids),
        ("DELETE", f"{p}/calendar-imports/{{import_id}}"): Case(A.property_manage, ids=ids),
        # (tenant A's booking is a stay: it has no meeting, 404 / 409 past the scope check)
        ("GET", f"{b}/meeting"): Case(A.booking_view),
        ("POST", f"{b}/meeting"): Case(A.booking_change, json={}),
        # (the suite's gateway is the simulated one: 409 past the scope check; no account yet: 404)
        ("POST", f"{p}/connect/onboarding"): Case(A.property_manage),
        ("GET", f"{p}/connect"): Case(A.property_manage),
        ("POST", f"{p}/connect/refresh"): Case(A.property_manage),
        ("GET", f"{p}/connect/payouts"): Case(A.property_manage),
    }


def cases(w: dict[str, Any]) -> dict[tuple[str, str], Case]:
    """(method, route template) → the action it performs and a request for it, in tenant A's world.

    The order is the order of the calls: what changes the world most (cancelling the booking,
    deactivating the property) comes last, so the earlier routes still find what they act on."""
    rt = w["rt"]["id"]
    room = w["rt"]["room_ids"][0]
    walk_in = {
        "room_type_id": rt,
        "checkin": d(10),
        "checkout": d(12),
        "rooms": 1,
        "guests": 1,
        "contact": {"name": "Walk In", "email": "walkin@example.com"},
        "source": "walk_in",
    }
    p = "/properties/{property_id}"
    r = f"{p}/resources"
    res = {"resource_id": w["resource_id"]}
    b = "/bookings/{booking_id}"
    return {
        ("GET", f"{p}/manage"): Case(A.property_view),
        ("PATCH", p): Case(A.property_manage, json={"name": "Renamed"}),
        ("GET", f"{p}/members"): Case(A.members_view),
        ("POST", f"{p}/members"): Case(
            A.members_manage, json={"email": w["member_email"], "role": "manager"}
        ),
        ("DELETE", f"{p}/members/{{user_id}}"): Case(A.members_manage, ids={"user_id": w["member_id"]}),
        ("DELETE", f"{p}/invitations/{{invitation_id}}"): Case(
            A.members_manage, ids={"invitation_id": w["invitation_id"]}
        ),
        ("GET", f"{p}/room-types"): Case(A.rooms_view),
        ("POST", f"{p}/room-types"): Case(
            A.rooms_manage, json={"code": "NEW", "name": "New", "capacity": 2, "base_price": "10.00"}
        ),
        ("PATCH", f"{p}/room-types/{{room_type_id}}"): Case(
            A.rooms_manage, ids={"room_type_id": rt}, json={"name": "Renamed"}
        ),
        ("GET", f"{p}/rooms"): Case(A.rooms_view),
        ("POST", f"{p}/rooms"): Case(A.rooms_manage, json={"room_type_id": rt, "number": "X-1"}),
        ("PATCH", f"{p}/rooms/{{room_id}}"): Case(
            A.rooms_housekeeping, ids={"room_id": w["rt"]["room_ids"][1]}, json={"housekeeping": "dirty"}
        ),
        ("POST", f"{p}/images"): Case(A.property_manage, files={"file": ("a.png", PNG, "image/png")}),
        ("GET", f"{p}/images"): Case(A.property_view),
        ("DELETE", f"{p}/images/{{image_id}}"): Case(A.property_manage, ids={"image_id": w["image_id"]}),
        ("POST", f"{p}/room-types/{{room_type_id}}/images"): Case(
            A.rooms_manage, ids={"room_type_id": rt}, files={"file": ("a.png", PNG, "image/png")}
        ),
        ("GET", f"{p}/room-types/{{room_type_id}}/images"): Case(A.rooms_view, ids={"room_type_id": rt}),
        ("GET", f"{p}/inventory"): Case(A.inventory_view, params={"room_type_id": rt}),
        ("PUT", f"{p}/inventory"): Case(
            A.inventory_manage, json={"room_type_id": rt, "from": d(100), "to": d(101), "closed": True}
        ),
        ("GET", f"{p}/rate-rules"): Case(A.rates_manage),
        ("POST", f"{p}/rate-rules"): Case(
            A.rates_manage,
            json={
                "kind": "weekday",
                "name": "Weekend",
                "weekdays": ["sat"],
                "factor": "1.2",
                "room_type_id": rt,
            },
        ),
        ("DELETE", f"{p}/rate-rules/{{rule_id}}"): Case(A.rates_manage, ids={"rule_id": w["rule_id"]}),
        ("GET", f"{p}/promo-codes"): Case(A.rates_manage),
        ("POST", f"{p}/promo-codes"): Case(
            A.rates_manage, json={"code": "STEAL", "kind": "percent", "percent": "10"}
        ),
        ("DELETE", f"{p}/promo-codes/{{promo_id}}"): Case(A.rates_manage, ids={"promo_id": w["promo_id"]}),
        ("GET", f"{p}/reports/payments"): Case(A.reports_view),
        ("GET", f"{p}/audit"): Case(A.audit_view),
        ("GET", f"{p}/dashboard"): Case(A.reports_view),
        ("GET", f"{p}/arrivals"): Case(A.booking_view),
        ("GET", f"{p}/departures"): Case(A.booking_view),
        ("GET", f"{p}/in-house"): Case(A.booking_view),
        **{
            ("GET", f"{p}/reports/{name}"): Case(A.reports_view, params={"from": d(0), "to": d(30)})
            for name in ("occupancy", "revenue", "bookings", "utilization", "customers")
        },
        # hourly resources (tenant A's is linked to the professional: a professional's schedule actions
        # reach only their own resource)
        ("POST", r): Case(A.resources_manage, json=RESOURCE),
        ("GET", r): Case(A.schedule_view),
        ("GET", f"{r}/{{resource_id}}"): Case(A.schedule_view, ids=res),
        ("PATCH", f"{r}/{{resource_id}}"): Case(A.resources_manage, ids=res, json={"name": "Renamed"}),
        ("POST", f"{r}/{{resource_id}}/addons"): Case(
            A.resources_manage, ids=res, json=ADDON | {"code": "mic"}
        ),
        ("GET", f"{r}/{{resource_id}}/addons"): Case(A.schedule_view, ids=res),
        ("DELETE", f"{r}/{{resource_id}}/addons/{{addon_id}}"): Case(
            A.resources_manage, ids=res | {"addon_id": w["addon_id"]}
        ),
        ("PUT", f"{r}/{{resource_id}}/availability"): Case(
            A.schedule_manage, ids=res, json={"windows": [{"weekday": 0, "start": "09:00", "end": "17:00"}]}
        ),
        ("GET", f"{r}/{{resource_id}}/availability"): Case(A.schedule_view, ids=res),
        ("POST", f"{r}/{{resource_id}}/exceptions"): Case(A.schedule_manage, ids=res, json=closed(21)),
        ("GET", f"{r}/{{resource_id}}/exceptions"): Case(A.schedule_view, ids=res),
        ("DELETE", f"{r}/{{resource_id}}/exceptions/{{exception_id}}"): Case(
            A.schedule_manage, ids=res | {"exception_id": w["exception_id"]}
        ),
        ("GET", f"{p}/schedule"): Case(A.schedule_view),
        # CMS pages and the property's wording of its guests' messages (content/); the names in the path
        # stay unfilled: whoever may pass the scope check then meets a 422 or 404 about the name
        ("PUT", f"{p}/pages/{{slug}}"): Case(
            A.property_manage, json={"title": "About", "body_html": "<p>Hi</p>"}
        ),
        ("DELETE", f"{p}/pages/{{slug}}"): Case(A.property_manage),
        ("GET", f"{p}/message-templates"): Case(A.property_manage),
        ("PUT", f"{p}/message-templates/{{template}}/{{locale}}"): Case(
            A.property_manage, json={"subject": "Hi"}
        ),
        ("DELETE", f"{p}/message-templates/{{template}}/{{locale}}"): Case(A.property_manage),
        ("GET", f"{p}/manage/reviews"): Case(A.reviews_moderate),
        ("GET", f"{r}/{{resource_id}}/rates"): Case(A.rates_manage, ids=res),
        ("POST", f"{r}/{{resource_id}}/rates"): Case(
            A.rates_manage, ids=res, json=PEAK | {"weekdays": ["sat"]}
        ),
        ("DELETE", f"{r}/{{resource_id}}/rates/{{rate_id}}"): Case(
            A.rates_manage, ids=res | {"rate_id": w["rate_id"]}
        ),
        ("POST", f"{p}/bookings"): Case(A.booking_create, json=walk_in),
        # services (extras): the catalog, the order queue, orders on the booking
        ("POST", f"{p}/services"): Case(A.services_manage, json=SERVICE | {"code": "CAB"}),
        ("GET", f"{p}/services/{{service_id}}"): Case(A.service_orders, ids={"service_id": w["service_id"]}),
        ("PATCH", f"{p}/services/{{service_id}}"): Case(
            A.services_manage, ids={"service_id": w["service_id"]}, json={"name": "Renamed"}
        ),
        ("GET", f"{p}/service-orders"): Case(A.service_orders),
        ("POST", f"{b}/service-orders"): Case(A.booking_change, json={"service_code": "SPA"}),
        ("GET", f"{b}/service-orders"): Case(A.booking_view),
        # integrations (children that do not exist: whoever passes the scope check gets their 404)
        **integration_cases(p, b),
        # the booking of a customer at tenant A's property
        ("GET", b): Case(A.booking_view),
        ("GET", f"{b}/history"): Case(A.booking_view),
        ("GET", f"{b}/folio"): Case(A.booking_view),
        ("GET", f"{b}/invoice"): Case(A.booking_view),
        ("GET", f"{b}/invoice.pdf"): Case(A.booking_view),
        ("GET", f"{b}/rooms"): Case(A.booking_view),
        # seeing the booking is the gate; then only its booker may review it (409 for staff, and
        # before check-out)
        ("POST", f"{b}/review"): Case(A.booking_view, json={"rating": 5, "body": "Lovely"}),
        ("PUT", f"{b}/guests"): Case(A.booking_change, json=[{"name": "Ann Guest"}]),
        ("POST", f"{b}/payments"): Case(A.booking_payment, json={"method": "card"}),
        ("POST", f"{b}/modify"): Case(A.booking_change, json={"checkout": d(5)}),
        # (tenant A's booking is a stay: whoever may change it gets past the scope check to a 422)
        ("POST", f"{b}/reschedule"): Case(
            A.booking_change, json={"start": f"{d(3)}T10:00:00", "end": f"{d(3)}T11:00:00"}
        ),
        ("POST", f"{b}/confirm"): Case(A.booking_confirm),
        ("POST", f"{b}/assign-room"): Case(A.booking_check_in, json={"room_id": room}),
        ("POST", f"{b}/rooms/{{room_id}}/move"): Case(
            A.booking_check_in, ids={"room_id": room}, json={"room_id": w["rt"]["room_ids"][1]}
        ),
        ("POST", f"{b}/check-in"): Case(A.booking_check_in),
        ("POST", f"{b}/check-out"): Case(A.booking_check_in),
        ("POST", f"{b}/invoice"): Case(A.booking_invoice),
        ("POST", f"{b}/invoice/credit-note"): Case(A.booking_invoice),
        ("POST", f"{b}/cancel"): Case(A.booking_change),
        # deletions (the desk's walk-in holds still need the room type and the property: 409)
        ("DELETE", f"{p}/rooms/{{room_id}}"): Case(A.rooms_manage, ids={"room_id": w["rt"]["room_ids"][1]}),
        ("DELETE", f"{p}/room-types/{{room_type_id}}"): Case(A.rooms_manage, ids={"room_type_id": rt}),
        ("POST", f"{p}/deactivate"): Case(A.property_manage),
        ("POST", f"{p}/activate"): Case(A.property_manage),
        ("DELETE", p): Case(A.property_manage),
    }


#: the ids of tenant A's children that ``cases`` names
IDS = ("member_id", "member_email", "invitation_id", "image_id", "rule_id", "promo_id")
IDS += ("resource_id", "addon_id", "exception_id", "rate_id")
IDS += ("service_id",)


def scoped_routes(app: Any) -> set[tuple[str, str]]:
    """Every route whose path names a property by id or a booking."""
    out = set()
    for path, methods in app.openapi()["paths"].items():
        if "{property_id}" in path or "{booking_id}" in path:
            out |= {(m.upper(), path.removeprefix(API)) for m in methods}
    return out


async def tenant(client: httpx.AsyncClient) -> dict[str, Any]:
    """A hotel with a member to remove, a pending invitation, an image, a rate rule and a promo code."""
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    pid = prop["id"]
    member = await signup(client)
    await add_member(client, owner, pid, member, "housekeeping")
    pending = await invite(client, owner, pid, "newcomer@example.com", "front_desk")
    image = await client.post(
        f"{API}/properties/{pid}/images", headers=owner, files={"file": ("a.png", PNG, "image/png")}
    )
    assert image.status_code == 201, image.text
    rule = await client.post(
        f"{API}/properties/{pid}/rate-rules",
        headers=owner,
        json={"kind": "weekday", "name": "Fri", "weekdays": ["fri"], "factor": "1.1"},
    )
    assert rule.status_code == 201, rule.text
    promo = await client.post(
        f"{API}/properties/{pid}/promo-codes",
        headers=owner,
        json={"code": "HELLO", "kind": "percent", "percent": "5"},
    )
    assert promo.status_code == 201, promo.text
    resource = await client.post(f"{API}/properties/{pid}/resources", headers=owner, json=RESOURCE)
    assert resource.status_code == 201, resource.text
    rid = resource.json()["id"]
    addon = await client.post(f"{API}/properties/{pid}/resources/{rid}/addons", headers=owner, json=ADDON)
    assert addon.status_code == 201, addon.text
    rate = await client.post(f"{API}/properties/{pid}/resources/{rid}/rates", headers=owner, json=PEAK)
    assert rate.status_code == 201, rate.text
    off = await client.post(
        f"{API}/properties/{pid}/resources/{rid}/exceptions", headers=owner, json=closed(20)
    )
    assert off.status_code == 201, off.text
    service = await client.post(f"{API}/properties/{pid}/services", headers=owner, json=SERVICE)
    assert service.status_code == 201, service.text
    return {
        "owner": owner,
        "prop": prop,
        "rt": rt,
        "member_id": member["user"]["id"],
        "member_email": member["user"]["email"],
        "invitation_id": pending["id"],
        "image_id": image.json()["id"],
        "rule_id": rule.json()["id"],
        "promo_id": promo.json()["id"],
        "resource_id": rid,
        "addon_id": addon.json()["id"],
        "exception_id": off.json()["id"],
        "rate_id": rate.json()["id"],
        "service_id": service.json()["id"],
    }


async def book(client: httpx.AsyncClient, headers: dict[str, str], w: dict[str, Any], start: int) -> str:
    r = await client.post(
        f"{API}/bookings",
        headers=headers,
        json={"room_type_id": w["rt"]["id"], "checkin": d(start), "checkout": d(start + 2), "guests": 2},
    )
    assert r.status_code == 201, r.text
    booking_id: str = r.json()["id"]
    return booking_id


async def world(client: httpx.AsyncClient, ctx: AppContext) -> dict[str, Any]:
    """Tenant A with a member of every role and a customer's booking; a stranger (tenant B's owner)."""
    w = await tenant(client)
    w["callers"] = {}
    for role in PropertyRole:
        if role == PropertyRole.owner:
            w["callers"][role.value] = w["owner"]
            continue
        tokens = await signup(client)
        await add_member(client, w["owner"], w["prop"]["id"], tokens, role.value)
        w["callers"][role.value] = bearer(tokens)
        if role == PropertyRole.professional:  # the resource is theirs: its schedule is theirs to keep
            linked = await client.patch(
                f"{API}/properties/{w['prop']['id']}/resources/{w['resource_id']}",
                headers=w["owner"],
                json={"user_email": tokens["user"]["email"]},
            )
            assert linked.status_code == 200, linked.text
    w["booker"] = await user(client)
    w["booking_id"] = await book(client, w["booker"], w, start=2)
    w["stranger"] = (await tenant(client))["owner"]
    w["admin"] = await make_admin(ctx, client)
    return w


async def call(
    client: httpx.AsyncClient,
    method: str,
    template: str,
    w: dict[str, Any],
    case: Case,
    headers: dict[str, str] | None,
    property_id: str | None = None,
) -> httpx.Response:
    path = template.replace("{property_id}", property_id or w["prop"]["id"])
    path = path.replace("{booking_id}", w.get("booking_id", "x"))
    for key, value in case.ids.items():
        path = path.replace("{" + key + "}", value)
    return await client.request(
        method, API + path, headers=headers, json=case.json, params=case.params, files=case.files
    )


def outcome(r: httpx.Response) -> str:
    """What the scoping answered: 401, 403 (the role may not), 404 (not theirs), or allowed (whatever
    the route itself then answered: 2xx, or a 4xx about the state or the input)."""
    code = r.json().get("code") if r.headers.get("content-type", "").endswith("json") else None
    if r.status_code == 401:
        return "401"
    if r.status_code == 403 and code == "auth.role":
        return "403"
    if r.status_code == 404 and code in ("property.not_found", "booking.not_found"):
        return "404"
    return "allowed" if r.status_code < 500 else f"{r.status_code}"


def expected(who: str, template: str, action: Action) -> str:
    on_booking = "{booking_id}" in template
    if who == "admin":
        return "allowed"
    if who == "stranger":
        return "404"
    if who == "anonymous":
        return "404" if on_booking and action in BOOKER_ACTIONS else "401"
    if who == "booker":
        return "allowed" if action in BOOKER_ACTIONS else "404"
    return "allowed" if permits(who, action) else "403"


async def audit_count(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_every_scoped_route_has_a_case(app: Any) -> None:
    fake = {
        "rt": {"id": "x", "room_ids": ["x", "y"]},
        **dict.fromkeys(IDS, "x"),
    }
    assert scoped_routes(app) == set(cases(fake)), "add the new route to cases(), with the action it performs"


async def test_every_scoped_route_answers_each_caller_per_the_role_table(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    w = await world(client, ctx)
    table = cases(w)
    callers: dict[str, dict[str, str] | None] = {"stranger": w["stranger"], "anonymous": None}
    callers.update(w["callers"])
    callers |= {"booker": w["booker"], "admin": w["admin"]}
    wrong: list[tuple[str, str, str, str, str]] = []

    async def check(who: str, method: str, template: str, case: Case) -> None:
        if who == "booker" and "{booking_id}" not in template:
            return
        r = await call(client, method, template, w, case, callers[who])
        want, got = expected(who, template, case.action), outcome(r)
        if want != got:
            wrong.append((who, method, template, f"expected {want}, got {got}", r.text[:200]))

    # first everyone who may not: nothing they send changes anything
    before = await audit_count(ctx)
    for (method, template), case in table.items():
        for who in callers:
            if expected(who, template, case.action) != "allowed":
                await check(who, method, template, case)
    assert await audit_count(ctx) == before
    # then everyone who may, route by route in the table's order
    for (method, template), case in table.items():
        for who in callers:
            if expected(who, template, case.action) == "allowed":
                await check(who, method, template, case)
    assert not wrong, "\n".join(map(str, wrong))


async def test_housekeepers_see_no_bookings_of_their_property_but_their_own(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    w = await tenant(client)
    pid = w["prop"]["id"]
    housekeeper, desk = await signup(client), await signup(client)
    await add_member(client, w["owner"], pid, housekeeper, "housekeeping")
    await add_member(client, w["owner"], pid, desk, "front_desk")
    guests_booking = await book(client, await user(client), w, start=2)
    own = await book(client, bearer(housekeeper), w, start=5)  # on holiday at their own hotel

    def listed(r: httpx.Response) -> set[str]:
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    params = {"property_id": pid}
    assert listed(await client.get(f"{API}/bookings", headers=bearer(housekeeper), params=params)) == {own}
    assert listed(await client.get(f"{API}/bookings", headers=bearer(desk), params=params)) == {
        own,
        guests_booking,
    }
    assert_problem(
        await client.get(f"{API}/bookings/{guests_booking}", headers=bearer(housekeeper)), 403, "auth.role"
    )
    # as a customer the housekeeper keeps their own booking: see it, change it, pay, cancel...
    assert (await client.get(f"{API}/bookings/{own}", headers=bearer(housekeeper))).status_code == 200
    # ...but not the desk's work on it
    assert_problem(
        await client.post(f"{API}/bookings/{own}/check-in", headers=bearer(housekeeper)), 403, "auth.role"
    )
    cancelled = await client.post(f"{API}/bookings/{own}/cancel", headers=bearer(housekeeper))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text


async def test_another_tenants_child_resource_is_404_through_my_own_property(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    a = await tenant(client)
    b = await tenant(client)
    before = await audit_count(ctx)
    checked = 0
    for (method, template), case in cases(a).items():
        if "{property_id}" not in template:
            continue
        # a child named in the path, the body or the query (report date ranges name none)
        child = bool(case.ids) or "room_type_id" in (case.json or {}) or "room_type_id" in (case.params or {})
        if not child:
            continue
        # B is owner of its own property, and names A's child resource through it
        r = await call(client, method, template, a, case, b["owner"], property_id=b["prop"]["id"])
        assert r.status_code == 404, (method, template, r.text)
        checked += 1
    # +4: a room type's images, list and upload; deleting a room, a room type. +11: the integrations'
    # webhooks, deliveries, calendars and imports by id. +2: a service, read and changed
    assert checked == 25 + 4 + 11 + 2
    assert await audit_count(ctx) == before
    # A's data is untouched
    rooms = (await client.get(f"{API}/properties/{a['prop']['id']}/rooms", headers=a["owner"])).json()[
        "items"
    ]
    assert all(room["status"] == "available" and room["housekeeping"] == "clean" for room in rooms)
    members = (await client.get(f"{API}/properties/{a['prop']['id']}/members", headers=a["owner"])).json()
    # the owner, the housekeeper, and the invitation still pending
    assert [m["status"] for m in members["items"]] == ["active", "active", "invited"]


async def test_housekeeping_sets_the_housekeeping_status_but_not_the_room_in_or_out_of_service(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    """API.md: housekeeping may change rooms' housekeeping status only; taking a room out of service
    moves inventory, which is the owners' and managers' call."""
    w = await tenant(client)
    pid = w["prop"]["id"]
    housekeeper, manager = await signup(client), await signup(client)
    await add_member(client, w["owner"], pid, housekeeper, "housekeeping")
    await add_member(client, w["owner"], pid, manager, "manager")
    url = f"{API}/properties/{pid}/rooms/{w['rt']['room_ids'][0]}"
    cleaned = await client.patch(url, headers=bearer(housekeeper), json={"housekeeping": "inspected"})
    assert cleaned.status_code == 200 and cleaned.json()["housekeeping"] == "inspected", cleaned.text
    for change in ({"status": "out_of_order"}, {"housekeeping": "dirty", "status": "out_of_order"}):
        assert_problem(await client.patch(url, headers=bearer(housekeeper), json=change), 403, "auth.role")
    room = await client.patch(url, headers=bearer(manager), json={"status": "out_of_order"})
    assert room.status_code == 200 and room.json()["status"] == "out_of_order", room.text
    assert room.json()["housekeeping"] == "inspected"  # the refused changes changed nothing
