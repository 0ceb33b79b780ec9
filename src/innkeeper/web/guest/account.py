"""Signing in (e-mail and password, or phone and a one-time code), signing out, and the account:
bookings (upcoming and past), wallet, and the sessions signed in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.billing import wallet
from innkeeper.bookings.models import Booking
from innkeeper.bookings.present import booking_to_api
from innkeeper.bookings.service import queries
from innkeeper.catalog.models import Property
from innkeeper.engagement import favorites, loyalty
from innkeeper.engagement.schemas import RedeemIn
from innkeeper.identity import service as identity
from innkeeper.identity.schemas import LoginIn, OtpSendIn, OtpVerifyIn
from innkeeper.identity.service import Authenticated, IssuedTokens
from innkeeper.kit import idempotency
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import DbSession, client_ip
from innkeeper.kit.money import Money
from innkeeper.kit.security import random_token
from innkeeper.web import csrf
from innkeeper.web import session as web_session
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.errors import WebRoute
from innkeeper.web.guest import stay_pages
from innkeeper.web.guest.manage import upcoming
from innkeeper.web.pages import WebUser, redirect, render, safe_next
from innkeeper.web.session import WebAuth

router = APIRouter(route_class=WebRoute, include_in_schema=False)

#: bookings listed on the account page
ACCOUNT_BOOKINGS = 50
#: the one-time keys of the redemption forms, per user, in ``kit.idempotency``'s table
REDEEM_SCOPE = "web-loyalty-redeem:{}"
KEY_BYTES = 18
EXPIRED = "This form has expired. Reload the page and try again."


def device_label(request: Request) -> str:
    return ("web: " + request.headers.get("user-agent", "browser"))[:200]


async def auth_budget(request: Request) -> None:
    """The same per-address budget as the API's /auth routes (one shared counter)."""
    ctx = request.app.state.ctx
    await ctx.limiter.hit(
        ctx.settings.auth_rate_limit,
        "auth-ip",
        client_ip(request),
        message="Too many authentication requests from this address",
    )


def _login_page(request: Request, status: int = 200, **context: Any) -> Response:
    defaults = {
        "error": None,
        "step": "start",
        "email": "",
        "phone": "",
        "next": "/account",
        "otp_error": None,
    }
    return render(request, "guest/login.html", {**defaults, **context}, status=status)


def signed_in(request: Request, issued: IssuedTokens, target: str) -> Response:
    csrf.renew(request)
    response = redirect(safe_next(target))
    web_session.start(request, response, issued)
    csrf.attach(request, response)
    return response


@router.get("/login")
async def login_page(request: Request, web_user: WebUser, next: str = "/account") -> Response:
    if web_user is not None:
        return redirect(safe_next(next))
    return _login_page(request, next=safe_next(next))


@router.post("/login")
async def login(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    email, target = str(form.get("email") or "").strip(), safe_next(str(form.get("next") or ""))
    try:
        await auth_budget(request)
        data = LoginIn(
            email=email, password=str(form.get("password") or ""), device_info=device_label(request)
        )
        issued = await identity.login(request.app.state.ctx, session, data, web_session.actor(request))
    except ValidationError:
        return _login_page(
            request, 422, error="Enter your e-mail address and password.", email=email, next=target
        )
    except AppError as exc:
        # a counted failure commits with this page, as the API's keep_changes answer does
        return _login_page(request, exc.status, error=exc.detail, email=email, next=target)
    return signed_in(request, issued, target)


@router.post("/login/otp")
async def otp_send(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    phone, target = str(form.get("phone") or "").strip(), safe_next(str(form.get("next") or ""))
    try:
        await auth_budget(request)
        data = OtpSendIn(phone=phone)
        await identity.send_otp(request.app.state.ctx, session, data.phone)
    except ValidationError:
        return _login_page(
            request, 422, otp_error="Enter a phone number like +351912345678.", phone=phone, next=target
        )
    except AppError as exc:
        return _login_page(request, exc.status, otp_error=exc.detail, phone=phone, next=target)
    return _login_page(request, step="code", phone=data.phone, next=target)


@router.post("/login/otp/verify")
async def otp_verify(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    form = await request.form()
    phone, target = str(form.get("phone") or "").strip(), safe_next(str(form.get("next") or ""))
    try:
        await auth_budget(request)
        data = OtpVerifyIn(
            phone=phone, code=str(form.get("code") or "").strip(), device_info=device_label(request)
        )
        issued = await identity.verify_otp(request.app.state.ctx, session, data, web_session.actor(request))
    except ValidationError:
        return _login_page(
            request, 422, step="code", otp_error="Enter the 6-digit code.", phone=phone, next=target
        )
    except AppError as exc:
        return _login_page(request, exc.status, step="code", otp_error=exc.detail, phone=phone, next=target)
    return signed_in(request, issued, target)


@router.post("/logout")
async def logout(request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked) -> Response:
    ctx = request.app.state.ctx
    if web_user is not None:
        everywhere = (await request.form()).get("everywhere") == "1"
        actor = web_session.actor(request, web_user)
        if everywhere:
            await identity.logout_all(ctx, session, web_user.user.id, actor)
        else:
            await identity.logout(ctx, session, Authenticated(web_user.user, web_user.session_id), actor)
    csrf.renew(request)
    response = redirect("/")
    web_session.end(response)
    csrf.attach(request, response)
    return response


@router.get("/account")
async def account(request: Request, session: DbSession, web_user: WebUser) -> Response:
    if web_user is None:
        return redirect("/login?next=/account")
    return await _account_page(request, session, web_user)


@router.post("/account/loyalty/redeem")
async def redeem_points(
    request: Request, session: DbSession, web_user: WebUser, _csrf: CsrfChecked
) -> Response:
    """As ``POST /users/me/loyalty/redeem``: points into wallet credit, once per rendered form (its
    one-time key stands for the API's Idempotency-Key), refusals shown on the account page."""
    if web_user is None:
        return redirect("/login?next=/account")
    form = await request.form()
    key, typed = str(form.get("form_key") or ""), str(form.get("points") or "").strip()[:12]
    done = redirect("/account#loyalty")
    if not idempotency.KEY_PATTERN.fullmatch(key):
        return await _account_page(request, session, web_user, 422, redeem_error=EXPIRED, points=typed)
    try:
        data = RedeemIn(points=int(typed) if typed.isdigit() else -1)
        async with session.begin_nested():
            scope = REDEEM_SCOPE.format(web_user.user.id)
            if not await idempotency.first_use(session, scope=scope, key=key, location="/account"):
                return done  # this form redeemed already
            settings = request.app.state.ctx.settings
            actor = web_session.actor(request, web_user)
            await loyalty.redeem(session, settings, web_user.user, data.points, actor)
    except ValidationError:
        message = "Enter a whole number of points"
        return await _account_page(request, session, web_user, 422, redeem_error=message, points=typed)
    except AppError as exc:
        return await _account_page(
            request, session, web_user, exc.status, redeem_error=exc.detail, points=typed
        )
    return done


async def _account_page(
    request: Request, session: DbSession, web_user: WebAuth, status: int = 200, **extra: Any
) -> Response:
    user = web_user.user
    rows, _ = await queries.list_bookings(
        session, user, queries.BookingFilters(), limit=ACCOUNT_BOOKINGS, offset=0
    )
    own = [(b, t) for b, t in rows if b.user_id == user.id]  # staff also see their properties' bookings
    names = await _property_names(session, [b for b, _ in own])
    today = utcnow().date()
    views = [{**booking_to_api(b, t), "property_name": names.get(b.property_id, "")} for b, t in own]
    wallets = []
    for acct in await wallet.currencies(session, user.id):
        entries, _ = await wallet.statement(session, user.id, acct.currency, limit=10, offset=0)
        wallets.append(
            {
                "balance": (await wallet.balance(session, user.id, acct.currency)).to_api(),
                "entries": [
                    {
                        "at": e.created_at,
                        "memo": e.memo or e.kind,
                        "amount": Money(e.amount_minor, e.currency).to_api(),
                        "status": e.status,
                    }
                    for e in entries
                ],
            }
        )
    sessions = await identity.active_sessions(session, user.id)
    settings = request.app.state.ctx.settings
    points = await loyalty.summary(session, settings, user, limit=5, offset=0)
    liked, _ = await favorites.page(session, user, limit=20, offset=0)
    return render(
        request,
        "guest/account.html",
        {
            "upcoming": [v for v in views if upcoming(v, today)],
            "past": [v for v in views if not upcoming(v, today)],
            "wallets": wallets,
            "sessions": sessions,
            "loyalty": points,
            "favorites": liked,
            "reviewed": await stay_pages.reviewed_ids(session, user.id),
            "current_session": web_user.session_id,
            "redeem_key": random_token(KEY_BYTES),
            "redeem_error": None,
            "points": "",
            **extra,
        },
        status=status,
    )


async def _property_names(session: DbSession, bookings: list[Booking]) -> dict[Any, str]:
    ids = {b.property_id for b in bookings}
    names: dict[Any, str] = {}
    for pid in ids:
        prop = await session.get(Property, pid)
        names[pid] = prop.name if prop else ""
    return names
