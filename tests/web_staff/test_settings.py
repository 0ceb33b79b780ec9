"""Property settings and policies in the console: saved through ``catalog.service.update_property``
(the API's PATCH use case) with the staff member as the audit actor; bad values re-render the form with
the field's message and change nothing; only ``property.manage`` sees or posts the page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from tests.catalog_support import freeze
from tests.helpers import API
from tests.web_staff.support import browser_for, get, post, staffed_hotel, token_of


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


async def audit_rows(ctx: AppContext, action: str) -> list[AuditEntry]:
    async with ctx.db.unit_of_work() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def user_id(ctx: AppContext, email: str) -> Any:
    async with ctx.db.unit_of_work() as session:
        return await session.scalar(select(User.id).where(User.email == email))


FORM = {
    "payment_mode": "deposit",
    "deposit_percent": "30",
    "cancel_preset": "hall_tiers",
    "free_until_hours": "48",
    "tiers": "72:100\n24:50",
    "refund_destination": "wallet",
    "check_in_time": "15:00",
    "check_out_time": "11:30",
    "contact_email": "desk@example.com",
    "contact_phone": "+351 912 345 678",
}


async def test_settings_saved_with_audit_and_errors_rerendered(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("manager",))
    base = f"/staff/p/{h['pid']}"
    manager = await browser_for(app, h["emails"]["manager"], "198.51.100.40")
    form = await get(manager, f"{base}/settings")
    assert form.status_code == 200 and 'name="cancel_preset"' in form.text
    assert f'href="{base}/settings"' in form.text  # in the navigation
    token = token_of(form.text)

    r = await post(manager, f"{base}/settings", token, **FORM)
    assert r.status_code == 303 and r.headers["location"] == f"{base}/settings?done=saved"
    prop = (await client.get(f"{API}/properties/{h['pid']}/manage", headers=h["owner"])).json()
    assert prop["payment_policy"] == {"mode": "deposit", "deposit_percent": 30}
    assert prop["cancellation_policy"]["preset"] == "hall_tiers"
    assert prop["cancellation_policy"]["free_until_hours"] == 48
    assert prop["cancellation_policy"]["tiers"] == [
        {"hours_before": 72, "refund_percent": 100},
        {"hours_before": 24, "refund_percent": 50},
    ]
    assert prop["refund_destination"] == "wallet"
    assert (prop["check_in_time"], prop["check_out_time"]) == ("15:00", "11:30")
    assert prop["contact_email"] == "desk@example.com" and prop["contact_phone"]
    rows = await audit_rows(ctx, "property.updated")
    assert len(rows) == 1 and rows[0].actor_user_id == await user_id(ctx, h["emails"]["manager"])
    assert rows[0].after["refund_destination"] == "wallet"
    page = await get(manager, f"{base}/settings", done="saved")
    assert 'role="status"' in page.text and "72:100" in page.text and 'value="11:30"' in page.text

    bad = {**FORM, "payment_mode": "deposit", "deposit_percent": "", "contact_email": "nope"}
    r = await post(manager, f"{base}/settings", token, **bad)
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert 'id="e-contact_email"' in r.text and 'id="e-deposit_percent"' in r.text
    assert 'value="nope"' in r.text  # what was typed stays on the form
    r = await post(manager, f"{base}/settings", token, **{**FORM, "tiers": "72 hours"})
    assert r.status_code == 422 and 'id="e-tiers"' in r.text
    r = await post(manager, f"{base}/settings", token, **{**FORM, "tiers": "72:150"})
    assert r.status_code == 422 and 'id="e-tiers"' in r.text
    assert len(await audit_rows(ctx, "property.updated")) == 1  # refused saves changed nothing
    after = (await client.get(f"{API}/properties/{h['pid']}/manage", headers=h["owner"])).json()
    assert after["contact_email"] == "desk@example.com" and after["payment_policy"]["deposit_percent"] == 30


async def test_settings_refused_to_other_roles_and_without_csrf(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("front_desk",))
    base = f"/staff/p/{h['pid']}"
    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.41")
    desk_page = await get(desk, f"{base}/desk")
    assert f"{base}/settings" not in desk_page.text  # not offered
    assert (await get(desk, f"{base}/settings")).status_code == 403
    r = await post(desk, f"{base}/settings", token_of(desk_page.text), **FORM)
    assert r.status_code == 403
    stranger = await browser_for(app, h["stranger"], "198.51.100.42")
    assert (await get(stranger, f"{base}/settings")).status_code == 404
    owner = await browser_for(app, h["emails"]["owner"], "198.51.100.43")
    assert (await post(owner, f"{base}/settings", None, **FORM)).status_code == 403
    assert (await post(owner, f"{base}/settings", "forged", **FORM)).status_code == 403
    assert await audit_rows(ctx, "property.updated") == []


async def test_rate_rules_and_promo_codes(client: httpx.AsyncClient, app: Any, ctx: AppContext) -> None:
    h = await staffed_hotel(client, ("manager", "front_desk"))
    base = f"/staff/p/{h['pid']}"
    manager = await browser_for(app, h["emails"]["manager"], "198.51.100.44")
    page = await get(manager, f"{base}/pricing")
    assert page.status_code == 200 and f'href="{base}/pricing"' in page.text
    token = token_of(page.text)

    r = await post(
        manager,
        f"{base}/rate-rules",
        token,
        kind="weekday",
        name="Weekend",
        room_type_id=h["rt"]["id"],
        wd_fri="1",
        wd_sat="1",
        factor="1.2",
    )
    assert r.status_code == 303, r.text[:2000]
    rules = (await client.get(f"{API}/properties/{h['pid']}/rate-rules", headers=h["owner"])).json()
    assert rules["total"] == 1 and rules["items"][0]["weekdays"] == ["fri", "sat"]
    assert rules["items"][0]["factor"] == "1.2"
    created = await audit_rows(ctx, "rate_rule.created")
    assert created[0].actor_user_id == await user_id(ctx, h["emails"]["manager"])
    # a weekday rule without weekdays: the API's sentence, nothing stored
    r = await post(manager, f"{base}/rate-rules", token, kind="weekday", name="Oops", factor="1.1")
    assert r.status_code == 422 and "a weekday rule needs weekdays" in r.text and 'value="Oops"' in r.text
    r = await post(manager, f"{base}/rate-rules", token, kind="weekday", name="X", wd_mon="1", factor="99")
    assert r.status_code == 422 and 'id="e-rule-factor"' in r.text
    assert len(await audit_rows(ctx, "rate_rule.created")) == 1

    rule_id = rules["items"][0]["id"]
    assert (await post(manager, f"{base}/rate-rules/{rule_id}/delete", token)).status_code == 303
    assert len(await audit_rows(ctx, "rate_rule.deleted")) == 1
    assert (await post(manager, f"{base}/rate-rules/{rule_id}/delete", token)).status_code == 404

    r = await post(
        manager, f"{base}/promo-codes", token, code="summer10", kind="percent", value="10", max_uses="5"
    )
    assert r.status_code == 303
    r = await post(manager, f"{base}/promo-codes", token, code="SUMMER10", kind="percent", value="5")
    assert r.status_code == 409 and 'role="alert"' in r.text
    r = await post(manager, f"{base}/promo-codes", token, code="FLAT", kind="fixed", value="")
    assert r.status_code == 422
    promos = (await client.get(f"{API}/properties/{h['pid']}/promo-codes", headers=h["owner"])).json()
    assert promos["total"] == 1 and promos["items"][0]["code"] == "SUMMER10"
    page = await get(manager, f"{base}/pricing")
    assert "SUMMER10" in page.text and "Deactivate" in page.text
    promo_id = promos["items"][0]["id"]
    assert (await post(manager, f"{base}/promo-codes/{promo_id}/deactivate", token)).status_code == 303
    promos = (await client.get(f"{API}/properties/{h['pid']}/promo-codes", headers=h["owner"])).json()
    assert promos["items"][0]["is_active"] is False
    assert (await audit_rows(ctx, "promo_code.deactivated"))[0].actor_user_id is not None

    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.45")
    desk_page = await get(desk, f"{base}/desk")
    assert f"{base}/pricing" not in desk_page.text
    assert (await get(desk, f"{base}/pricing")).status_code == 403
    desk_token = token_of(desk_page.text)
    r = await post(desk, f"{base}/promo-codes", desk_token, code="SNEAKY", kind="percent", value="50")
    assert r.status_code == 403
    r = await post(desk, f"{base}/rate-rules", desk_token, kind="weekday", name="S", wd_mon="1", factor="0.1")
    assert r.status_code == 403
    assert (
        await post(manager, f"{base}/promo-codes", None, code="NOCSRF", kind="percent", value="5")
    ).status_code == 403
    promos = (await client.get(f"{API}/properties/{h['pid']}/promo-codes", headers=h["owner"])).json()
    assert promos["total"] == 1


async def test_cms_pages_edited_sanitized_and_refused(
    client: httpx.AsyncClient, app: Any, ctx: AppContext
) -> None:
    h = await staffed_hotel(client, ("manager", "front_desk"))
    base = f"/staff/p/{h['pid']}"
    manager = await browser_for(app, h["emails"]["manager"], "198.51.100.46")
    listing = await get(manager, f"{base}/pages")
    assert listing.status_code == 200 and f'href="{base}/pages/about"' in listing.text
    token = token_of(listing.text)
    blank = await get(manager, f"{base}/pages/about")
    assert blank.status_code == 200 and 'name="body_html"' in blank.text
    r = await post(
        manager,
        f"{base}/pages/about",
        token,
        title="About us",
        body_html='<p>Hello</p><script>alert(1)</script><img src=x onerror="alert(2)">',
        published="1",
    )
    assert r.status_code == 303
    listing = await get(manager, f"{base}/pages")
    assert "About us" in listing.text and "published" in listing.text
    edit = await get(manager, f"{base}/pages/about")
    assert "&lt;p&gt;Hello&lt;/p&gt;" in edit.text and "script" not in edit.text.split('name="body_html"')[1]
    assert "onerror" not in edit.text
    rows = await audit_rows(ctx, "page.created")
    assert rows[0].actor_user_id == await user_id(ctx, h["emails"]["manager"]) and rows[0].after["sanitized"]
    # unpublish; an empty title is refused with the field's message and changes nothing
    assert (
        await post(manager, f"{base}/pages/about", token, title="About", body_html="<p>x</p>")
    ).status_code == 303
    r = await post(manager, f"{base}/pages/about", token, title="", body_html="<p>y</p>", published="1")
    assert r.status_code == 422 and 'id="e-title"' in r.text
    assert len(await audit_rows(ctx, "page.updated")) == 1
    assert (await get(manager, f"{base}/pages/Bad_Slug")).status_code == 404

    desk = await browser_for(app, h["emails"]["front_desk"], "198.51.100.47")
    desk_page = await get(desk, f"{base}/desk")
    assert f"{base}/pages" not in desk_page.text
    assert (await get(desk, f"{base}/pages")).status_code == 403
    r = await post(desk, f"{base}/pages/about", token_of(desk_page.text), title="Hacked", body_html="x")
    assert r.status_code == 403
    assert len(await audit_rows(ctx, "page.updated")) == 1
