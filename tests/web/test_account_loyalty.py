"""Redeeming loyalty points from the account page: the API's use case (``loyalty.redeem``), once per
rendered form however often it is posted, refusals shown on the page with nothing changed."""

from __future__ import annotations

import re
import uuid

import httpx

from innkeeper.context import AppContext
from tests.engagement.test_redeem_race import give_points
from tests.helpers import API, PASSWORD, bearer, signup
from tests.web.support import get, post_form, token_of


async def _signed_in_with_points(client: httpx.AsyncClient, ctx: AppContext, points: int) -> dict[str, str]:
    tokens = await signup(client)
    await give_points(ctx.db, uuid.UUID(tokens["user"]["id"]), points)
    page = await get(client, "/login")
    await post_form(client, "/login", token_of(page.text), email=tokens["user"]["email"], password=PASSWORD)
    return bearer(tokens)


def _form_key(html: str) -> str:
    found = re.search(r'action="/account/loyalty/redeem".*?name="form_key" value="([^"]+)"', html, re.DOTALL)
    assert found, "no redemption form on the account page"
    return found.group(1)


async def _points(client: httpx.AsyncClient, auth: dict[str, str]) -> int:
    return int((await client.get(f"{API}/users/me/loyalty", headers=auth)).json()["points"])


async def test_redeem_once_per_form_and_refusals_change_nothing(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    auth = await _signed_in_with_points(client, ctx, 300)
    page = await get(client, "/account")
    assert page.status_code == 200 and "300 points" in page.text
    token, key = token_of(page.text), _form_key(page.text)

    done = await post_form(client, "/account/loyalty/redeem", token, form_key=key, points="120")
    assert done.status_code == 303 and done.headers["location"] == "/account#loyalty"
    again = await post_form(client, "/account/loyalty/redeem", token, form_key=key, points="120")
    assert again.status_code == 303  # the same form posted twice: redeemed once
    assert await _points(client, auth) == 180
    after = await get(client, "/account")
    assert "180 points" in after.text and "120 loyalty points" in after.text  # the wallet's credit line

    fresh = _form_key(after.text)
    for typed, status in (("500", 409), ("0", 422), ("abc", 422), ("", 422)):
        refused = await post_form(client, "/account/loyalty/redeem", token, form_key=fresh, points=typed)
        assert refused.status_code == status, (typed, refused.status_code)
        assert 'role="alert"' in refused.text and 'aria-invalid="true"' in refused.text
    no_key = await post_form(client, "/account/loyalty/redeem", token, points="10")
    assert no_key.status_code == 422
    assert await _points(client, auth) == 180  # nothing more redeemed


async def test_redeem_needs_a_signed_in_browser_and_the_form_token(client: httpx.AsyncClient) -> None:
    await signup(client)
    page = await get(client, "/login")
    anonymous = await post_form(
        client, "/account/loyalty/redeem", token_of(page.text), form_key="k" * 24, points="1"
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    forged = await client.post(
        "/account/loyalty/redeem", data={"points": "1"}, headers={"Accept": "text/html"}
    )
    assert forged.status_code == 403
