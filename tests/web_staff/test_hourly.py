"""The console's hourly schedule over ASGI: the day view (resources x hours with bookings and exceptions),
weekly windows and exceptions edited through ``inventory.schedule`` (closing booked time refused with the
409's sentence), and a professional who sees and edits only their own resource."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from tests.catalog_support import add_member, create_property, day, freeze
from tests.helpers import API, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows
from tests.web_staff.support import browser_for, get, post, token_of

#: Monday 2030-03-11 in Lisbon (UTC+0 in March)
DAY = day(7)


def at(hour: int) -> str:
    return f"{DAY}T{hour:02d}:00:00+00:00"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def _practice(client: httpx.AsyncClient) -> dict[str, Any]:
    """A practice with two professionals' resources (Ana linked to her account) open 09-17, and a
    front-desk member."""
    owner_tokens = await signup(client)
    owner = bearer(owner_tokens)
    prop = await create_property(client, owner, name="Clinic", kind="practice")
    pid = prop["id"]
    assert (await client.post(f"{API}/properties/{pid}/activate", headers=owner)).status_code == 200
    ana, desk = await signup(client), await signup(client)
    await add_member(client, owner, pid, ana, "professional")
    await add_member(client, owner, pid, desk, "front_desk")
    mine = await add_resource(client, owner, pid, kind="professional", name="Ana", capacity=1)
    other = await add_resource(client, owner, pid, kind="professional", name="Bruno", capacity=1)
    r = await client.patch(
        f"{API}/properties/{pid}/resources/{mine['id']}",
        headers=owner,
        json={"user_email": ana["user"]["email"]},
    )
    assert r.status_code == 200, r.text
    for rid in (mine["id"], other["id"]):
        assert (await set_windows(client, owner, pid, rid, every_day("09:00", "17:00"))).status_code == 200
    return {
        "pid": pid,
        "owner": owner,
        "mine": mine["id"],
        "other": other["id"],
        "owner_id": owner_tokens["user"]["id"],
        "emails": {
            "owner": owner_tokens["user"]["email"],
            "ana": ana["user"]["email"],
            "desk": desk["user"]["email"],
        },
    }


async def _audit(ctx: AppContext, action: str) -> list[AuditEntry]:
    async with ctx.db.unit_of_work(write=False) as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_day_view_windows_and_exceptions(client: httpx.AsyncClient, app: Any, ctx: AppContext) -> None:
    h = await _practice(client)
    base = f"/staff/p/{h['pid']}"
    guest = await signup(client)
    booked = await client.post(
        f"{API}/bookings",
        json={"resource_id": h["mine"], "start": at(10), "end": at(11)},
        headers={**bearer(guest), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert booked.status_code == 201, booked.text
    owner = await browser_for(app, h["emails"]["owner"], "198.51.100.40")

    page = await get(owner, f"{base}/schedule", date=str(DAY))
    assert page.status_code == 200 and 'href="' + base + '/schedule"' in page.text  # in the nav
    assert "Ana" in page.text and "Bruno" in page.text
    # 09..16 shown; Ana's 10:00 hour is booked, Bruno's free
    assert page.text.count('class="hour booked"') == 1 and page.text.count('class="hour free"') == 15
    assert f"/bookings/{booked.json()['id']}" in page.text

    # weekly windows: the API's rules (overlap refused, nothing changed), then saved with an audit row
    res = f"{base}/schedule/{h['mine']}"
    token = token_of((await get(owner, res)).text)
    bad = await post(owner, f"{res}/windows", token, wd_0="09:00-13:00, 12:00-15:00")
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "overlap" in bad.text
    assert (await get(owner, res)).text.count('value="09:00-17:00"') == 7
    r = await post(owner, f"{res}/windows", token, wd_0="09:00-13:00, 14:00-18:00", wd_2="10:00-12:00")
    assert r.status_code == 303 and r.headers["location"].endswith("?done=windows")
    api = await client.get(
        f"{API}/properties/{h['pid']}/resources/{h['mine']}/availability", headers=h["owner"]
    )
    assert [(w["weekday"], w["start"], w["end"]) for w in api.json()["windows"]] == [
        (0, "09:00", "13:00"),
        (0, "14:00", "18:00"),
        (2, "10:00", "12:00"),
    ]
    assert len(await _audit(ctx, "resource.availability_set")) == 3  # two by the API set-up, one here

    # closing time a booking holds: the 409's sentence, nothing added
    closing = {"kind": "closed", "start_date": str(DAY), "start_time": "09:00", "end_time": "12:00"}
    refused = await post(owner, f"{res}/exceptions", token, **closing)
    assert refused.status_code == 409 and "active booking(s) hold this time" in refused.text
    assert 'role="alert"' in refused.text
    backwards = await post(
        owner, f"{res}/exceptions", token, **{**closing, "start_time": "12:00", "end_time": "11:00"}
    )
    assert backwards.status_code == 422
    r = await post(
        owner,
        f"{res}/exceptions",
        token,
        **{**closing, "start_time": "12:00", "end_time": "13:00", "reason": "Dentist"},
    )
    assert r.status_code == 303
    listed = await client.get(
        f"{API}/properties/{h['pid']}/resources/{h['mine']}/exceptions", headers=h["owner"]
    )
    [exception] = listed.json()["items"]
    assert exception["start"].startswith(f"{DAY}T12:00") and exception["reason"] == "Dentist"
    day_page = await get(owner, f"{base}/schedule", date=str(DAY))
    assert "Dentist" in day_page.text and day_page.text.count('class="hour booked"') == 1
    [added] = await _audit(ctx, "resource.exception_added")
    assert str(added.actor_user_id) == h["owner_id"] and added.actor_ip == "198.51.100.40"

    r = await post(owner, f"{res}/exceptions/{exception['id']}/delete", token)
    assert r.status_code == 303
    assert (
        await client.get(f"{API}/properties/{h['pid']}/resources/{h['mine']}/exceptions", headers=h["owner"])
    ).json()["total"] == 0
    assert len(await _audit(ctx, "resource.exception_removed")) == 1
    # without a CSRF token nothing changes
    assert (await post(owner, f"{res}/windows", None, wd_0="")).status_code == 403


async def test_a_professional_sees_and_edits_only_their_own(client: httpx.AsyncClient, app: Any) -> None:
    h = await _practice(client)
    base = f"/staff/p/{h['pid']}"
    ana = await browser_for(app, h["emails"]["ana"], "198.51.100.41")
    home = await get(ana, base)
    assert home.status_code == 303 and home.headers["location"] == f"{base}/schedule"
    page = await get(ana, f"{base}/schedule", date=str(DAY))
    assert page.status_code == 200 and "Ana" in page.text and "Bruno" not in page.text
    assert "/bookings" not in page.text and "/rates" not in page.text
    token = token_of((await get(ana, f"{base}/schedule/{h['mine']}")).text)
    r = await post(ana, f"{base}/schedule/{h['mine']}/windows", token, wd_4="08:00-12:00")
    assert r.status_code == 303
    r = await post(
        ana,
        f"{base}/schedule/{h['mine']}/exceptions",
        token,
        kind="closed",
        start_date=str(DAY + timedelta(days=1)),
        start_time="09:00",
        end_date=str(DAY + timedelta(days=2)),
        end_time="17:00",
    )
    assert r.status_code == 303
    # Bruno's resource: refused to see and to change, whatever is posted
    assert (await get(ana, f"{base}/schedule/{h['other']}")).status_code == 403
    assert (
        await post(ana, f"{base}/schedule/{h['other']}/windows", token, wd_0="09:00-10:00")
    ).status_code == 403
    forced = await post(
        ana,
        f"{base}/schedule/{h['other']}/exceptions",
        token,
        kind="closed",
        start_date=str(DAY),
        start_time="09:00",
        end_time="10:00",
    )
    assert forced.status_code == 403
    api = await client.get(
        f"{API}/properties/{h['pid']}/resources/{h['other']}/availability", headers=h["owner"]
    )
    assert len(api.json()["windows"]) == 7

    # the front desk reads the schedule but is not offered (nor allowed) changes; a stranger gets 404
    desk = await browser_for(app, h["emails"]["desk"], "198.51.100.42")
    res = await get(desk, f"{base}/schedule/{h['mine']}")
    assert res.status_code == 200 and 'action="' not in res.text.replace('action="/logout"', "")
    desk_token = token_of(res.text)
    assert (await post(desk, f"{base}/schedule/{h['mine']}/windows", desk_token, wd_0="")).status_code == 403
    stranger_tokens = await signup(client)
    stranger = await browser_for(app, stranger_tokens["user"]["email"], "198.51.100.43")
    assert (await get(stranger, f"{base}/schedule")).status_code == 404
