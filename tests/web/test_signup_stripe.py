"""The guest site's sign-up page (the API's sign-up use case, then signed in as after /login) and paying a
booking by card with Stripe's Payment Element: the Pay button leads to the card page, which polls until
the job has made the intent, then carries the publishable key and the client secret for Stripe.js (loaded
from js.stripe.com under a policy widened for that page alone); only the payer sees it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from innkeeper.app import build_runner, create_app
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.payments.models import Payment
from tests.catalog_support import NOW, freeze, make_hotel
from tests.helpers import API, PASSWORD, bearer, signup, unique_email, with_settings
from tests.payments.support import live_server
from tests.payments.test_stripe import WHSEC, FakeStripe, post_signed, stripe_event
from tests.web.support import HTML, book_as_guest, get, hotel, post_form, review, token_of

#: per address and minute, shared by the sign-in pages, this page and the API's /auth routes
AUTH_BUDGET = 10
SECRET = re.compile(r'data-client-secret="([^"]+)"')


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"auth_rate_limit": f"{AUTH_BUDGET}/minute", "public_url": "https://inn.example"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    freeze()
    yield


def browser(app: Any) -> httpx.AsyncClient:
    """A browser of its own (its own cookies) on ``app``."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def web_signup(client: httpx.AsyncClient, email: str | None = None, **fields: str) -> httpx.Response:
    page = await get(client, "/signup")
    form = {"full_name": "Ana Sousa", "email": email or unique_email("web"), "password": PASSWORD, **fields}
    return await post_form(client, "/signup", token_of(page.text), **form)


async def count_users(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


# -- sign-up ---------------------------------------------------------------------------------------------


async def test_sign_up_signs_in_and_sends_the_verification_mail(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    login = await get(client, "/login", next="/account/tickets")
    assert 'href="/signup?next=/account/tickets"' in login.text  # linked from the sign-in page
    page = await get(client, "/signup", next="/account/tickets")
    assert page.status_code == 200 and 'name="full_name"' in page.text and 'name="phone"' in page.text
    assert "At least 10 characters." in page.text  # identity.service.MIN_PASSWORD, as the API enforces
    email = unique_email("Web")
    made = await post_form(
        client,
        "/signup",
        token_of(page.text),
        full_name="Ana Sousa",
        email=email.upper(),
        password=PASSWORD,
        phone="+351 912 345 678",
        next="/account/tickets",
    )
    assert made.status_code == 303 and made.headers["location"] == "/account/tickets"
    assert "ik_session=" in made.headers["set-cookie"]
    account = await get(client, "/account")
    assert account.status_code == 200 and 'href="/account">My account' in account.text
    # the API's user: the same normalised e-mail and phone, and the verification e-mail it sends
    await build_runner(ctx).drain()
    [mail] = (await client.get("/dev/outbox.json", params={"to": email.lower()})).json()["items"]
    assert mail["subject"] == "Confirm your e-mail address"
    assert "https://inn.example/account/verify-email" in mail["body"]
    async with ctx.db.unit_of_work(write=False) as session:
        user = await session.scalar(select(User).where(User.email == email.lower()))
    assert user is not None and user.phone == "+351912345678" and user.full_name == "Ana Sousa"
    # signed in, the page sends the visitor on
    again = await get(client, "/signup")
    assert again.status_code == 303 and again.headers["location"] == "/account"


async def test_mistakes_are_messages_and_keep_what_was_typed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    before = await count_users(ctx)
    bad = await web_signup(client, email="not-an-address", full_name="  ", password="Zq9-typed-pw")
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert 'id="e-email"' in bad.text and 'id="e-full_name"' in bad.text
    assert bad.text.count('aria-invalid="true"') == 2
    assert 'value="not-an-address"' in bad.text and "Zq9-typed-pw" not in bad.text  # never the password
    weak = await web_signup(client, email="kept@example.com", password="aaaaaaaaaaaa")
    assert weak.status_code == 422 and 'id="e-password"' in weak.text and "different characters" in weak.text
    assert 'value="kept@example.com"' in weak.text and 'value="Ana Sousa"' in weak.text
    assert "aaaaaaaaaaaa" not in weak.text
    phone = await web_signup(client, phone="12")
    assert phone.status_code == 422 and 'id="e-phone"' in phone.text
    assert await count_users(ctx) == before  # nothing was created
    # in Portuguese, the page's own messages are translated
    client.cookies.set("ik_lang", "pt")
    pt = await web_signup(client, email="x", password=PASSWORD)
    assert pt.status_code == 422 and "Indique um e-mail como nome@example.com" in pt.text


async def test_a_taken_address_is_a_409_with_a_sign_in_link(client: httpx.AsyncClient) -> None:
    taken = (await signup(client))["user"]["email"]
    page = await web_signup(client, email=taken.upper(), next="/account/tickets")
    assert page.status_code == 409
    assert "An account with this e-mail already exists" in page.text
    assert 'href="/login?next=/account/tickets"' in page.text and "Sign in instead" in page.text
    assert f'value="{taken.upper()}"' in page.text and PASSWORD not in page.text
    assert "ik_session=" not in page.headers.get("set-cookie", "")


async def test_sign_up_needs_the_form_token_and_spends_the_auth_budget(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    form = {"full_name": "Ana", "email": unique_email(), "password": PASSWORD}
    refused = await client.post("/signup", data=form, headers=HTML)
    assert refused.status_code == 403 and await count_users(ctx) == 0
    page = await get(client, "/signup")
    for _ in range(AUTH_BUDGET):
        assert (await post_form(client, "/signup", token_of(page.text), email="x")).status_code == 422
    limited = await post_form(client, "/signup", token_of(page.text), **form)
    assert limited.status_code == 429 and 'role="alert"' in limited.text
    # one budget with the API's /auth routes (the same counter)
    api = await client.post(f"{API}/auth/signup", json={**form, "full_name": "Ana"})
    assert api.status_code == 429
    assert await count_users(ctx) == 0


async def test_the_review_page_offers_sign_up(client: httpx.AsyncClient) -> None:
    _, rt = await hotel(client)
    page = await review(client, rt)
    assert page.status_code == 200 and 'href="/signup?next=%2Fbook%2Fstay%3F' in page.text


# -- card payments with Stripe ---------------------------------------------------------------------------


@asynccontextmanager
async def stripe_site(settings: Settings, **changes: Any) -> AsyncIterator[tuple[Any, FakeStripe]]:
    """The app with Stripe as its provider, talking to a local fake of api.stripe.com."""
    fake = FakeStripe()
    async with live_server(fake.app()) as base:
        stripe = {
            "payment_provider": "stripe",
            "stripe_secret_key": "sk_test_fake",
            "stripe_publishable_key": "pk_test_fake",
            "stripe_webhook_secret": WHSEC,
            "stripe_api_base": base,
            "stripe_max_network_retries": 0,
        }
        app = create_app(with_settings(settings, **{**stripe, **changes}))
        async with app.router.lifespan_context(app):
            yield app, fake


@pytest.fixture
async def stripe_app(settings: Settings) -> AsyncIterator[tuple[Any, FakeStripe]]:
    async with stripe_site(settings) as made:
        yield made


async def pay(client: httpx.AsyncClient, booking_url: str) -> httpx.Response:
    page = await get(client, booking_url)
    return await post_form(client, f"{booking_url}/pay", token_of(page.text))


async def test_pay_with_stripe_polls_then_mounts_the_payment_element(
    stripe_app: tuple[Any, FakeStripe],
) -> None:
    app, fake = stripe_app
    ctx: AppContext = app.state.ctx
    async with browser(app) as client:
        _, rt = await hotel(client)
        booking_url = (await book_as_guest(client, rt)).headers["location"]
        paid = await pay(client, booking_url)
        assert paid.status_code == 303
        card_url = paid.headers["location"]
        assert re.fullmatch(rf"{booking_url}/pay/[0-9a-f-]{{36}}", card_url)
        # the intent is made by a job after the commit: until then the page polls itself
        preparing = await get(client, card_url)
        assert preparing.status_code == 200 and fake.requests == []
        assert "Preparing the payment" in preparing.text and 'hx-trigger="every 1s"' in preparing.text
        assert 'hx-get="' + card_url + '"' in preparing.text and 'hx-select="#stripe-pay"' in preparing.text
        assert "data-client-secret" not in preparing.text
        await build_runner(ctx).drain()
        ready = await get(client, card_url)
        payment = await _payment(ctx, card_url)
        assert payment.client_secret and payment.client_secret.endswith("_secret_abc")
        assert SECRET.findall(ready.text) == [payment.client_secret]
        assert 'data-publishable-key="pk_test_fake"' in ready.text and "hx-trigger" not in ready.text
        assert '<script src="https://js.stripe.com/v3"></script>' in ready.text
        assert '<script src="/static/stripe-pay.js" defer></script>' in ready.text
        assert f'data-return-url="{card_url}/return"' in ready.text
        assert ready.headers["cache-control"] == "no-store"
        policy = ready.headers["content-security-policy"]
        assert "script-src 'self' https://js.stripe.com" in policy and "https://hooks.stripe.com" in policy
        assert "connect-src 'self' https://api.stripe.com" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        # every other page keeps the strict policy, and no other page shows the secret
        for other in ("/", booking_url, f"{booking_url}/status"):
            answer = await get(client, other)
            assert answer.status_code == 200
            assert "stripe.com" not in answer.headers["content-security-policy"], other
            assert payment.client_secret not in answer.text and "js.stripe.com" not in answer.text, other
        # Stripe's way back (the secret in its query) goes straight on to the booking page
        back = await client.get(
            f"{card_url}/return",
            params={"payment_intent_client_secret": payment.client_secret, "redirect_status": "succeeded"},
        )
        assert back.status_code == 303 and back.headers["location"] == booking_url
        # Stripe's webhook lands: the booking page shows the confirmation, the card page no secret
        intent = fake.intents[str(payment.gateway_ref)]
        succeeded = {**intent, "status": "succeeded", "amount_received": intent["amount"]}
        body = stripe_event("payment_intent.succeeded", succeeded)
        assert (await post_signed(client, body, timestamp=int(NOW.timestamp()))).status_code == 200
        await build_runner(ctx).drain()
        assert "Confirmed. Your reference is" in (await get(client, booking_url)).text
        done = await get(client, card_url)
        assert "This payment is made" in done.text and "data-client-secret" not in done.text


async def _payment(ctx: AppContext, card_url: str) -> Payment:
    async with ctx.db.unit_of_work(write=False) as session:
        payment = await session.get(Payment, uuid.UUID(card_url.rsplit("/", 1)[1]))
    assert payment is not None
    return payment


async def test_only_the_payer_sees_the_card_page(stripe_app: tuple[Any, FakeStripe]) -> None:
    app, _ = stripe_app
    ctx: AppContext = app.state.ctx
    async with browser(app) as booker, browser(app) as stranger, browser(app) as anonymous:
        owner = await signup(booker)
        _, rt = await make_hotel(booker, bearer(owner), name="Casa Stripe", slug="casa-stripe")
        assert (await web_signup(booker)).status_code == 303  # signed in through the new page
        booking_url = (await book_as_guest(booker, rt)).headers["location"]
        card_url = (await pay(booker, booking_url)).headers["location"]
        await build_runner(ctx).drain()
        assert SECRET.search((await get(booker, card_url)).text)
        assert (await get(anonymous, card_url)).status_code == 404
        assert (await web_signup(stranger)).status_code == 303
        assert (await get(stranger, card_url)).status_code == 404
        # the property's owner may manage the booking, but the payment (and its secret) is the guest's
        await post_form(stranger, "/logout", token_of((await get(stranger, "/lookup")).text))
        login = await get(stranger, "/login")
        signed = await post_form(
            stranger, "/login", token_of(login.text), email=owner["user"]["email"], password=PASSWORD
        )
        assert signed.status_code == 303
        assert (await get(stranger, booking_url)).status_code == 200
        assert (await get(stranger, card_url)).status_code == 404
        # a payment id under another booking's address is not found either
        other_url = (await book_as_guest(anonymous, rt)).headers["location"]
        assert (await get(booker, f"{other_url}/pay/{card_url.rsplit('/', 1)[1]}")).status_code == 404


async def test_a_stripe_site_without_a_publishable_key_refuses_before_paying(settings: Settings) -> None:
    async with stripe_site(settings, stripe_publishable_key=None) as (app, fake), browser(app) as client:
        _, rt = await hotel(client)
        booking_url = (await book_as_guest(client, rt)).headers["location"]
        refused = await pay(client, booking_url)
        assert refused.status_code == 503 and refused.headers["content-type"].startswith("text/html")
        async with app.state.ctx.db.unit_of_work(write=False) as session:
            assert await session.scalar(select(func.count()).select_from(Payment)) == 0
        assert fake.requests == []


async def test_the_simulated_provider_still_goes_to_its_checkout(client: httpx.AsyncClient) -> None:
    _, rt = await hotel(client)
    booking_url = (await book_as_guest(client, rt)).headers["location"]
    paid = await pay(client, booking_url)
    assert paid.status_code == 303 and paid.headers["location"].startswith("/pay/")
    payment_id = paid.headers["location"].rsplit("/", 1)[1]
    # no Stripe page without Stripe
    assert (await get(client, f"{booking_url}/pay/{payment_id}")).status_code == 404


def test_the_publishable_key_is_checked() -> None:
    base = {"env": "test", "secret_key": "x" * 32, "payment_provider": "stripe"}
    ok = Settings(**base, stripe_secret_key="sk_test_1", stripe_publishable_key="pk_test_1")
    assert ok.stripe_publishable_key == "pk_test_1"
    with pytest.raises(ValidationError, match="publishable key"):
        Settings(**base, stripe_secret_key="sk_test_1", stripe_publishable_key="sk_test_1")
    with pytest.raises(ValidationError, match="both be test keys"):
        Settings(**base, stripe_secret_key="sk_live_1", stripe_publishable_key="pk_test_1")
