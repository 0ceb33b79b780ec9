"""Browser sessions: the identity sessions of the API, carried in a cookie.

Signing in on a page runs the API's own use case (``identity.service.login`` / ``verify_otp``): it
creates an ``auth_sessions`` row, and the cookie ``ik_session`` holds that row's id, signed with the
secret key (HMAC-SHA256). Each page request loads the row and its user and refuses a revoked or expired
session, so logging out anywhere (``POST /auth/logout-all``, a password reset, ``DELETE
/auth/sessions/{id}``) ends the browser session on its very next request. The cookie is ``HttpOnly``
(no script reads it), ``SameSite=Lax`` (not sent on another site's form posts) and ``Secure`` in
production.

A booking made without an account is managed with its ``guest_token``: the browser that made it keeps
the token in the signed, HttpOnly cookie ``ik_guest`` (the last few bookings only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.identity.models import AuthSession, User
from innkeeper.identity.service import IssuedTokens
from innkeeper.kit.clock import utcnow
from innkeeper.kit.http import client_ip

COOKIE = "ik_session"
GUEST_COOKIE = "ik_guest"
#: guest tokens kept per browser (each ~45 characters: the cookie stays far below 4 KB)
GUEST_TOKENS_KEPT = 8


@dataclass(frozen=True)
class WebAuth:
    user: User
    session_id: uuid.UUID


def _secret(request: Request) -> bytes:
    return str(request.app.state.ctx.settings.secret_key).encode()


def sign(request: Request, value: str, purpose: str) -> str:
    mac = hmac.new(_secret(request), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return f"{value}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def unsign(request: Request, signed: str | None, purpose: str) -> str | None:
    if not signed or "." not in signed:
        return None
    value = signed.rsplit(".", 1)[0]
    return value if hmac.compare_digest(sign(request, value, purpose), signed) else None


def _secure(request: Request) -> bool:
    return bool(request.app.state.ctx.settings.is_production)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


def start(request: Request, response: Response, issued: IssuedTokens) -> None:
    """Carry the new identity session in the cookie (its refresh token is never used by the site)."""
    days = int(request.app.state.ctx.settings.refresh_token_ttl_days)
    set_cookie(request, response, COOKIE, sign(request, str(issued.session.id), "session"), days * 86400)


def end(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


async def current(request: Request, session: AsyncSession) -> WebAuth | None:
    """The signed-in user of this request, or None (no cookie, a forged one, a dead session)."""
    if hasattr(request.state, "web_auth"):
        found: WebAuth | None = request.state.web_auth
        return found
    found = None
    raw = unsign(request, request.cookies.get(COOKIE), "session")
    if raw is not None:
        try:
            session_id = uuid.UUID(raw)
        except ValueError:
            session_id = None
        if session_id is not None:
            row = (
                await session.execute(
                    select(AuthSession, User)
                    .join(User, User.id == AuthSession.user_id)
                    .where(AuthSession.id == session_id)
                )
            ).one_or_none()
            if row is not None:
                auth, user = row
                if auth.revoked_at is None and auth.expires_at > utcnow() and user.is_active:
                    found = WebAuth(user=user, session_id=auth.id)
    request.state.web_auth = found
    if found is not None:
        request.state.user_id = found.user.id
    return found


def actor(request: Request, auth: WebAuth | None = None) -> Actor:
    return Actor(
        user_id=auth.user.id if auth else None,
        ip=client_ip(request),
        request_id=getattr(request.state, "request_id", None),
    )


# -- guest tokens of bookings made in this browser -----------------------------------------------------


def guest_tokens(request: Request) -> dict[str, str]:
    raw = unsign(request, request.cookies.get(GUEST_COOKIE), "guest")
    if raw is None:
        return {}
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def remember_guest_token(request: Request, response: Response, booking_id: str, token: str) -> None:
    tokens = guest_tokens(request)
    tokens.pop(booking_id, None)
    tokens[booking_id] = token
    kept = dict(list(tokens.items())[-GUEST_TOKENS_KEPT:])
    raw = base64.urlsafe_b64encode(json.dumps(kept).encode()).decode().rstrip("=")
    set_cookie(request, response, GUEST_COOKIE, sign(request, raw, "guest"), 30 * 86400)
