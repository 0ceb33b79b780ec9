"""Resources and add-ons: staff create and change them (money in the property's currency), professionals
reach only their own resource, and the public sees active resources of active properties."""

from __future__ import annotations

from typing import Any

import httpx

from tests.catalog_support import add_member, freeze, user
from tests.helpers import API, assert_problem, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows, venue


async def test_create_read_and_change_a_resource(client: httpx.AsyncClient) -> None:
    freeze()
    owner, prop = await venue(client)
    base = f"{API}/properties/{prop['id']}/resources"
    hall = await add_resource(
        client,
        owner,
        prop["id"],
        hourly_price={"amount": "120.50", "currency": "EUR"},
        category="conference",
        amenities=["Projector", "wifi"],
        max_duration_minutes=480,
        buffer_after_minutes=30,
    )
    assert hall["hourly_price"] == {"amount": "120.50", "currency": "EUR"}
    assert (hall["kind"], hall["category"], hall["amenities"]) == (
        "hall",
        "conference",
        ["projector", "wifi"],
    )
    assert (hall["min_duration_minutes"], hall["slot_step_minutes"], hall["horizon_days"]) == (60, 30, 180)
    assert hall["modes"] == ["on_site"] and hall["is_active"] and hall["user_id"] is None
    room = await add_resource(
        client, owner, prop["id"], kind="meeting_room", name="Room 1", hourly_price="40"
    )
    assert room["hourly_price"] == {"amount": "40.00", "currency": "EUR"}

    listed = (await client.get(base, headers=owner)).json()
    assert [r["name"] for r in listed["items"]] == ["Hall A", "Room 1"] and listed["total"] == 2
    r = await client.patch(
        f"{base}/{hall['id']}",
        headers=owner,
        json={"name": "Grand Hall", "hourly_price": "150.00", "max_duration_minutes": None, "capacity": 200},
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["name"], changed["hourly_price"]["amount"], changed["max_duration_minutes"]) == (
        "Grand Hall",
        "150.00",
        None,
    )
    assert (changed["capacity"], changed["buffer_after_minutes"]) == (200, 30)  # the rest unchanged
    assert (await client.get(f"{base}/{hall['id']}", headers=owner)).json() == changed


async def test_bad_resources_are_refused(client: httpx.AsyncClient) -> None:
    freeze()
    owner, prop = await venue(client)
    base = f"{API}/properties/{prop['id']}/resources"
    good = {"kind": "hall", "name": "Hall", "hourly_price": "100.00"}
    cases: list[tuple[dict[str, Any], str | None, str]] = [
        ({"hourly_price": {"amount": "100.00", "currency": "USD"}}, "money.currency", "hourly_price"),
        ({"hourly_price": "-1.00"}, "money.negative", "hourly_price"),
        ({"hourly_price": "1.001"}, "money.precision", "hourly_price"),
        ({"min_duration_minutes": 45}, "resource.invalid", "min_duration_minutes"),
        ({"max_duration_minutes": 30}, "resource.invalid", "max_duration_minutes"),
        ({"travel": {"base_fee": "10.00", "per_km": "1.00", "max_km": 20}}, "resource.invalid", "travel"),
        ({"kind": "room"}, None, "kind"),
        ({"capacity": 0}, None, "capacity"),
        ({"slot_step_minutes": 0}, None, "slot_step_minutes"),
        ({"latitude": 38.7}, "resource.invalid", "latitude"),
    ]
    for change, code, field in cases:
        body = assert_problem(await client.post(base, headers=owner, json={**good, **change}), 422, code)
        assert body["errors"][0]["field"].endswith(field), (change, body)
    hall = await add_resource(client, owner, prop["id"])
    for patch in ({"name": None}, {"slot_step_minutes": 45}, {"hourly_price": None}):
        assert_problem(await client.patch(f"{base}/{hall['id']}", headers=owner, json=patch), 422)
    assert (await client.get(f"{base}/{hall['id']}", headers=owner)).json()["slot_step_minutes"] == 30
    assert (await client.get(base, headers=owner)).json()["total"] == 1


async def test_addons(client: httpx.AsyncClient) -> None:
    freeze()
    owner, prop = await venue(client)
    hall = await add_resource(client, owner, prop["id"])
    base = f"{API}/properties/{prop['id']}/resources/{hall['id']}/addons"
    projector = {"code": "projector", "name": "Projector", "price": "25.00", "unit": "per_booking"}
    r = await client.post(base, headers=owner, json=projector)
    assert r.status_code == 201, r.text
    assert r.json()["price"] == {"amount": "25.00", "currency": "EUR"}
    catering = {
        "code": "catering",
        "name": "Lunch",
        "price": {"amount": "18.00", "currency": "EUR"},
        "unit": "per_person",
    }
    assert (await client.post(base, headers=owner, json=catering)).status_code == 201
    assert_problem(await client.post(base, headers=owner, json=projector), 409, "addon.code_taken")
    assert_problem(
        await client.post(base, headers=owner, json={**projector, "code": "x", "unit": "per_day"}), 422
    )
    assert_problem(await client.post(base, headers=owner, json={**projector, "code": "Bad Code"}), 422)
    listed = (await client.get(base, headers=owner)).json()
    assert [a["code"] for a in listed["items"]] == ["catering", "projector"]
    r = await client.delete(f"{base}/{listed['items'][1]['id']}", headers=owner)
    assert r.status_code == 204
    assert_problem(
        await client.delete(f"{base}/{listed['items'][1]['id']}", headers=owner), 404, "addon.not_found"
    )
    public = (await client.get(f"{API}/resources/{hall['id']}")).json()
    assert [a["code"] for a in public["addons"]] == ["catering"]


async def test_public_view_shows_active_resources_of_active_properties(client: httpx.AsyncClient) -> None:
    freeze()
    owner, prop = await venue(client, kind="practice")
    pro = await add_resource(
        client,
        owner,
        prop["id"],
        kind="professional",
        name="Dr Ana",
        category="physiotherapy",
        capacity=1,
        travel={"base_fee": "15.00", "per_km": {"amount": "0.80", "currency": "EUR"}, "max_km": "25"},
        online=True,
    )
    url = f"{API}/resources/{pro['id']}"
    view = (await client.get(url)).json()
    assert view["travel"] == {
        "base_fee": {"amount": "15.00", "currency": "EUR"},
        "per_km": {"amount": "0.80", "currency": "EUR"},
        "max_km": "25",
    }
    assert view["modes"] == ["on_site", "travel", "online"] and view["online"] is True
    assert (view["property"]["id"], view["property"]["timezone"]) == (prop["id"], "Europe/Lisbon")
    assert "user_id" not in view and "is_active" not in view
    staff = f"{API}/properties/{prop['id']}/resources/{pro['id']}"
    assert (await client.patch(staff, headers=owner, json={"is_active": False})).status_code == 200
    assert_problem(await client.get(url), 404, "resource.not_found")
    assert_problem(await client.get(f"{url}/slots"), 404, "resource.not_found")
    assert (await client.patch(staff, headers=owner, json={"is_active": True})).status_code == 200
    assert (await client.get(url)).status_code == 200
    assert (await client.post(f"{API}/properties/{prop['id']}/deactivate", headers=owner)).status_code == 200
    assert_problem(await client.get(url), 404, "resource.not_found")
    assert_problem(await client.get(f"{API}/resources/{prop['id']}"), 404, "resource.not_found")


async def test_professionals_reach_only_their_own_resource(client: httpx.AsyncClient) -> None:
    freeze()
    owner, prop = await venue(client, kind="practice")
    pid = prop["id"]
    ana_tokens, desk_tokens, stranger = await signup(client), await signup(client), await user(client)
    ana, desk = bearer(ana_tokens), bearer(desk_tokens)
    base = f"{API}/properties/{pid}/resources"
    mine = await add_resource(client, owner, pid, kind="professional", name="Ana")
    other = await add_resource(client, owner, pid, kind="professional", name="Bruno")
    link = {"user_email": ana_tokens["user"]["email"]}
    # not (yet) a professional here: refused, the same whether or not the address has an account
    for email in (ana_tokens["user"]["email"], "nobody@example.com"):
        body = assert_problem(
            await client.patch(f"{base}/{mine['id']}", headers=owner, json={"user_email": email}),
            422,
            "resource.user_not_professional",
        )
        assert body["errors"][0]["field"] == "user_email"
    await add_member(client, owner, pid, ana_tokens, "professional")
    await add_member(client, owner, pid, desk_tokens, "front_desk")
    assert_problem(
        await client.patch(
            f"{base}/{mine['id']}", headers=owner, json={"user_email": desk_tokens["user"]["email"]}
        ),
        422,
        "resource.user_not_professional",
    )
    linked = (await client.patch(f"{base}/{mine['id']}", headers=owner, json=link)).json()
    assert (linked["user_id"], linked["user_email"]) == (
        ana_tokens["user"]["id"],
        ana_tokens["user"]["email"],
    )
    hall = await add_resource(client, owner, pid, name="Room")
    assert_problem(
        await client.patch(f"{base}/{hall['id']}", headers=owner, json=link), 422, "resource.invalid"
    )

    # Ana: her own resource's windows, exceptions and schedule; nothing else
    assert [r["name"] for r in (await client.get(base, headers=ana)).json()["items"]] == ["Ana"]
    assert (await client.get(f"{base}/{mine['id']}", headers=ana)).status_code == 200
    r = await set_windows(client, ana, pid, mine["id"], every_day("09:00", "17:00"))
    assert r.status_code == 200, r.text
    exception = {"start": "2030-03-12T09:00:00+00:00", "end": "2030-03-12T12:00:00+00:00", "kind": "closed"}
    assert (
        await client.post(f"{base}/{mine['id']}/exceptions", headers=ana, json=exception)
    ).status_code == 201
    schedule = (
        await client.get(f"{API}/properties/{pid}/schedule", headers=ana, params={"date": "2030-03-12"})
    ).json()
    assert [i["resource"]["name"] for i in schedule["items"]] == ["Ana"]
    assert schedule["items"][0]["open"] == [
        {"start": "2030-03-12T12:00:00+00:00", "end": "2030-03-12T17:00:00+00:00"}
    ]
    for response in (
        await client.get(f"{base}/{other['id']}", headers=ana),
        await set_windows(client, ana, pid, other["id"], every_day("09:00", "17:00")),
        await client.post(f"{base}/{other['id']}/exceptions", headers=ana, json=exception),
        await client.patch(f"{base}/{mine['id']}", headers=ana, json={"hourly_price": "1.00"}),
        await client.post(
            f"{base}/{mine['id']}/addons",
            headers=ana,
            json={"code": "x", "name": "X", "price": "1", "unit": "per_booking"},
        ),
        await client.post(base, headers=ana, json={"kind": "hall", "name": "Mine", "hourly_price": "1.00"}),
    ):
        assert_problem(response, 403, "auth.role")

    # the front desk reads every resource and the schedule, changes nothing; a stranger sees nothing
    assert (await client.get(base, headers=desk)).json()["total"] == 3
    assert len((await client.get(f"{API}/properties/{pid}/schedule", headers=desk)).json()["items"]) == 3
    assert_problem(
        await set_windows(client, desk, pid, mine["id"], every_day("09:00", "17:00")), 403, "auth.role"
    )
    assert_problem(
        await client.post(base, headers=desk, json={"kind": "hall", "name": "X", "hourly_price": "1"}), 403
    )
    for response in (
        await client.get(base, headers=stranger),
        await client.get(f"{base}/{mine['id']}", headers=stranger),
        await set_windows(client, stranger, pid, mine["id"], every_day("09:00", "17:00")),
        await client.get(f"{API}/properties/{pid}/schedule", headers=stranger),
    ):
        assert_problem(response, 404, "property.not_found")
    # another property's resource under this property's path is not found
    owner2, prop2 = await venue(client)
    theirs = await add_resource(client, owner2, prop2["id"])
    assert_problem(await client.get(f"{base}/{theirs['id']}", headers=owner), 404, "resource.not_found")
    assert_problem(
        await client.patch(f"{base}/{theirs['id']}", headers=owner, json={"name": "Taken"}),
        404,
        "resource.not_found",
    )
