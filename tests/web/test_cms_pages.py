"""CMS pages on the site: a property's published pages are linked from its page and shown at
``/p/{slug}/pages/{page}`` as sanitized when saved; drafts are 404 to readers and shown to its managers;
the platform's pages are at ``/pages/{page}``; malformed addresses are friendly 404 pages."""

from __future__ import annotations

import httpx

from innkeeper.context import AppContext
from tests.catalog_support import make_admin, make_hotel, user
from tests.helpers import API
from tests.web.support import get, post_form, token_of


async def _put(client: httpx.AsyncClient, url: str, headers: dict[str, str], **body: object) -> None:
    r = await client.put(f"{API}{url}", json=body, headers=headers)
    assert r.status_code in (200, 201), r.text


async def test_property_pages_are_linked_shown_sanitized_and_drafts_hidden(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop, _ = await make_hotel(client, owner, name="Casa Paginas", slug="casa-paginas")
    base = f"/properties/{prop['id']}/pages"
    await _put(
        client,
        f"{base}/house-rules",
        owner,
        title="House rules",
        body_html='<p>Quiet after <b>22:00</b>.</p><script>alert("x")</script><img src=x onerror="alert(1)">',
        published=True,
    )
    await _put(client, f"{base}/secret-plans", owner, title="Secret plans", body_html="<p>soon</p>")

    page = await get(client, "/p/casa-paginas")
    assert page.status_code == 200
    assert 'href="/p/casa-paginas/pages/house-rules"' in page.text and "House rules" in page.text
    assert "secret-plans" not in page.text  # a draft is not linked

    shown = await get(client, "/p/casa-paginas/pages/house-rules")
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
    assert "Quiet after <b>22:00</b>." in shown.text
    assert "<script>alert" not in shown.text and "onerror" not in shown.text
    assert 'href="/p/casa-paginas"' in shown.text  # back to the property

    # a draft: 404 to a reader, shown (marked) to the property's manager signed in on the site
    assert (await get(client, "/p/casa-paginas/pages/secret-plans")).status_code == 404
    email = (await client.get(f"{API}/users/me", headers=owner)).json()["email"]
    login = await get(client, "/login")
    await post_form(client, "/login", token_of(login.text), email=email, password="correct horse battery")
    draft = await get(client, "/p/casa-paginas/pages/secret-plans")
    assert draft.status_code == 200 and "Draft: only editors see this page" in draft.text


async def test_platform_pages_and_bad_addresses(client: httpx.AsyncClient, ctx: AppContext) -> None:
    admin = await make_admin(ctx, client)
    await _put(
        client, "/pages/terms", admin, title="Terms of use", body_html="<p>Be kind.</p>", published=True
    )
    page = await get(client, "/pages/terms")
    assert page.status_code == 200 and "Be kind." in page.text and "<title>Terms of use" in page.text
    for url in ("/pages/nope", "/pages/Bad_Slug", "/p/no-such-hotel/pages/terms", "/p/x/pages/" + "a" * 90):
        missing = await get(client, url)
        assert missing.status_code == 404, url
        assert missing.headers["content-type"].startswith("text/html")  # the friendly page, not JSON
