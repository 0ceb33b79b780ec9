"""Identity use cases. Services never commit: the caller's unit of work does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from pydantic_core import to_jsonable_python
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.identity import errors, recovery_tokens
from innkeeper.identity.models import AuthSession, OtpCode, RefreshToken, User
from innkeeper.identity.schemas import LoginIn, OtpVerifyIn, SignupIn, UserPatch
from innkeeper.kit import throttle
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import advisory_lock, on_commit
from innkeeper.kit.errors import NotFound, RateLimited, ValidationFailed
from innkeeper.kit.metrics import LOGINS
from innkeeper.kit.security import (
    constant_time_equal,
    decode_access_token,
    encode_access_token,
    hash_password,
    hash_token,
    hmac_code,
    numeric_code,
    random_token,
    verify_password,
)
from innkeeper.notifications.service import send_templated_sms

MIN_PASSWORD = 10


@dataclass
class IssuedTokens:
    user: User
    session: AuthSession
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass
class Authenticated:
    user: User
    session_id: uuid.UUID


def check_password_policy(password: str, email: str | None) -> None:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"at least {MIN_PASSWORD} characters")
    if password.strip() != password or not password.strip():
        problems.append("no leading or trailing spaces")
    if email:
        lowered = password.lower()
        local = email.split("@", 1)[0]
        if lowered == email or (len(local) >= 4 and local in lowered):
            problems.append("must not contain your e-mail address")
    if len(set(password)) < 4:
        problems.append("at least 4 different characters")
    if problems:
        raise errors.WeakPassword(
            "Password must have " + "; ".join(problems),
            errors=[{"field": "password", "message": m, "type": "password_policy"} for m in problems],
        )


async def _ensure_unique(
    session: AsyncSession, *, email: str | None, phone: str | None, exclude: uuid.UUID | None = None
) -> None:
    if email:
        found = await session.scalar(select(User.id).where(User.email == email))
        if found and found != exclude:
            raise errors.EmailTaken("An account with this e-mail already exists")
    if phone:
        found = await session.scalar(select(User.id).where(User.phone == phone))
        if found and found != exclude:
            raise errors.PhoneTaken("An account with this phone number already exists")


async def _issue(
    ctx: AppContext, session: AsyncSession, user: User, *, device_info: str | None, ip: str | None
) -> IssuedTokens:
    now = utcnow()
    auth = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        device_info=device_info,
        ip=ip,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(days=ctx.settings.refresh_token_ttl_days),
    )
    session.add(auth)
    return _mint_tokens(ctx, session, user, auth)


def _mint_tokens(ctx: AppContext, session: AsyncSession, user: User, auth: AuthSession) -> IssuedTokens:
    """A fresh refresh token (stored hashed) and a short access token for ``auth``."""
    now = utcnow()
    refresh = random_token()
    session.add(RefreshToken(session_id=auth.id, token_hash=hash_token(refresh), created_at=now))
    ttl = timedelta(seconds=ctx.settings.access_token_ttl_seconds)
    access, _ = encode_access_token(
        ctx.settings.secret_key, user_id=user.id, session_id=auth.id, now=now, ttl=ttl
    )
    return IssuedTokens(user, auth, access, refresh, int(ttl.total_seconds()))


async def signup(ctx: AppContext, session: AsyncSession, data: SignupIn, actor: Actor) -> IssuedTokens:
    check_password_policy(data.password, data.email)
    await _ensure_unique(session, email=data.email, phone=data.phone)
    user = User(
        email=data.email,
        phone=data.phone,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        locale=data.locale,
    )
    session.add(user)
    await session.flush()
    record(session, actor, "user.signup", "user", user.id, after={"method": "password"})
    # the address is unproven until its owner opens the link (identity/recovery.py verifies it)
    await recovery_tokens.send_verification(ctx, session, user)
    return await _issue(ctx, session, user, device_info=data.device_info, ip=actor.ip)


#: The first wait after too many failed logins from one source; it doubles with each further failure.
LOGIN_BACKOFF_BASE = timedelta(seconds=60)
#: Failed logins to one account from all sources together beyond which sources the account has never
#: logged in from wait too: this many times the per-source allowance. A soft ceiling against guessing
#: from many addresses, which never stops the owner at an address they have logged in from before.
ACCOUNT_CEILING_FACTOR = 10


def login_backoffs(settings: Settings) -> tuple[throttle.Backoff, throttle.Backoff]:
    """(per account and source, per account): the free failures, then waits doubling from
    :data:`LOGIN_BACKOFF_BASE` up to the window."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    base = min(LOGIN_BACKOFF_BASE, window)
    free = settings.login_failures_per_window
    return throttle.Backoff(free, window, base), throttle.Backoff(free * ACCOUNT_CEILING_FACTOR, window, base)


async def _known_source(session: AsyncSession, email: str, ip: str | None) -> bool:
    """Whether the account has logged in from ``ip`` before (the same query for an unknown address)."""
    if not ip:
        return False
    found = await session.scalar(
        select(AuthSession.id)
        .join(User, User.id == AuthSession.user_id)
        .where(User.email == email, AuthSession.ip == ip)
        .limit(1)
    )
    return found is not None


async def _login_wait(
    session: AsyncSession, settings: Settings, email: str, ip: str | None, keys: tuple[str, str]
) -> int:
    """Seconds before this source may try this account again: its own failures count first, then the
    account's failures from everywhere, except at an address the account has logged in from."""
    per_source, per_account = login_backoffs(settings)
    source_key, account_key = keys
    wait = await throttle.wait_left(session, source_key, per_source)
    if wait:
        return wait
    wait = await throttle.wait_left(session, account_key, per_account)
    if wait and await _known_source(session, email, ip):
        return 0
    return wait


async def login(ctx: AppContext, session: AsyncSession, data: LoginIn, actor: Actor) -> IssuedTokens:
    """Failed logins are counted per (account, source address) and per account, never as a lock: the
    source that fails gets exponentially growing waits, while the owner elsewhere still logs in."""
    source_key = throttle.throttle_key("login", f"{data.email}\n{actor.ip}")
    account_key = throttle.throttle_key("login-account", data.email)
    await advisory_lock(session, account_key)
    wait = await _login_wait(session, ctx.settings, data.email, actor.ip, (source_key, account_key))
    if wait:
        raise RateLimited("Too many failed logins; try again later", retry_after=wait)
    user = await session.scalar(select(User).where(User.email == data.email))
    # verify_password runs the same argon2 work for unknown accounts (timing-safe)
    ok = verify_password(data.password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        throttle.hit(session, source_key)
        throttle.hit(session, account_key)
        LOGINS.labels("password", "failed").inc()
        raise errors.InvalidCredentials("E-mail or password is wrong")
    # the account's own count stays: a guesser elsewhere must not get a fresh allowance from it
    await throttle.clear(session, source_key)
    LOGINS.labels("password", "ok").inc()
    record(session, actor, "user.login", "user", user.id, after={"method": "password"})
    return await _issue(ctx, session, user, device_info=data.device_info, ip=actor.ip)


def _otp_hash(ctx: AppContext, phone: str, code: str) -> str:
    return hmac_code(ctx.settings.secret_key, code, context=f"otp:{phone}")


async def send_otp(ctx: AppContext, session: AsyncSession, phone: str) -> int:
    """Create a code, deliver it by SMS through the outbox. 3 sends per number per 30 minutes."""
    settings = ctx.settings
    now = utcnow()
    window = timedelta(seconds=settings.otp_send_window_seconds)
    await advisory_lock(session, f"otp:{phone}")
    recent = list(
        (
            await session.scalars(
                select(OtpCode.created_at)
                .where(OtpCode.phone == phone, OtpCode.created_at > now - window)
                .order_by(OtpCode.created_at)
            )
        ).all()
    )
    if len(recent) >= settings.otp_sends_per_window:
        retry = int((recent[0] + window - now).total_seconds()) + 1
        raise RateLimited("Too many codes sent to this number; try again later", retry_after=retry)
    # a new code supersedes any earlier one
    await session.execute(
        update(OtpCode).where(OtpCode.phone == phone, OtpCode.consumed_at.is_(None)).values(consumed_at=now)
    )
    code = numeric_code(6)
    ttl = settings.otp_ttl_seconds
    session.add(
        OtpCode(
            phone=phone,
            code_hash=_otp_hash(ctx, phone, code),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    minutes = max(1, ttl // 60)
    # in the language of the number's account, when it has one
    locale = await session.scalar(select(User.locale).where(User.phone == phone))
    send_templated_sms(
        ctx, session, to=phone, template="otp", locale=locale, context={"code": code, "minutes": minutes}
    )
    return ttl


async def verify_otp(ctx: AppContext, session: AsyncSession, data: OtpVerifyIn, actor: Actor) -> IssuedTokens:
    now = utcnow()
    otp = await session.scalar(
        select(OtpCode)
        .where(OtpCode.phone == data.phone, OtpCode.consumed_at.is_(None))
        .order_by(OtpCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if otp is None or otp.expires_at <= now or otp.attempts >= ctx.settings.otp_max_attempts:
        LOGINS.labels("otp", "failed").inc()
        raise errors.InvalidOtp("The code is wrong or has expired; request a new one")
    if not constant_time_equal(otp.code_hash, _otp_hash(ctx, data.phone, data.code)):
        otp.attempts += 1
        if otp.attempts >= ctx.settings.otp_max_attempts:
            otp.consumed_at = now  # dead after the last allowed try
        LOGINS.labels("otp", "failed").inc()
        raise errors.InvalidOtp("The code is wrong or has expired; request a new one")
    otp.consumed_at = now
    user = await session.scalar(select(User).where(User.phone == data.phone))
    if user is None:
        user = User(phone=data.phone, full_name="")
        session.add(user)
        await session.flush()
        record(session, actor, "user.signup", "user", user.id, after={"method": "otp"})
    elif not user.is_active:
        raise errors.AccountDisabled("This account is disabled")
    LOGINS.labels("otp", "ok").inc()
    record(session, actor, "user.login", "user", user.id, after={"method": "otp"})
    return await _issue(ctx, session, user, device_info=data.device_info, ip=actor.ip)


async def refresh(ctx: AppContext, session: AsyncSession, token: str, actor: Actor) -> IssuedTokens:
    now = utcnow()
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(token)).with_for_update()
    )
    if row is None:
        raise errors.InvalidToken("Unknown refresh token")
    auth = await session.get(AuthSession, row.session_id, with_for_update=True)
    if auth is None or auth.revoked_at is not None or auth.expires_at <= now:
        raise errors.InvalidToken("The session has ended; log in again")
    if row.used_at is not None:
        # A rotated token came back: someone holds a copy. Kill the whole session.
        await revoke_sessions(ctx, session, [auth], reason="refresh_reuse", actor=actor)
        raise errors.RefreshReused("This refresh token was already used; the session is revoked")
    row.used_at = now
    user = await session.get(User, auth.user_id)
    if user is None or not user.is_active:
        raise errors.InvalidToken("The account is not active")
    auth.last_seen_at = now
    auth.ip = actor.ip or auth.ip
    return _mint_tokens(ctx, session, user, auth)


def _cache_key(session_id: uuid.UUID) -> str:
    return f"sess:{session_id}"


async def revoke_sessions(
    ctx: AppContext, session: AsyncSession, sessions: list[AuthSession], *, reason: str, actor: Actor
) -> int:
    now = utcnow()
    revoked = [s for s in sessions if s.revoked_at is None]
    for auth in revoked:
        auth.revoked_at = now
        auth.revoked_reason = reason
        record(session, actor, "session.revoked", "auth_session", auth.id, after={"reason": reason})
    ids = [s.id for s in revoked]

    async def forget() -> None:
        # "0" overwrites any cached "1"; a racing reader's SET NX cannot bring it back
        for sid in ids:
            await ctx.cache.set(_cache_key(sid), "0", ttl=ctx.settings.access_token_ttl_seconds + 60)

    on_commit(session, forget)
    return len(revoked)


async def logout(ctx: AppContext, session: AsyncSession, auth: Authenticated, actor: Actor) -> None:
    row = await session.get(AuthSession, auth.session_id)
    if row is not None:
        await revoke_sessions(ctx, session, [row], reason="logout", actor=actor)


async def logout_all(
    ctx: AppContext, session: AsyncSession, user_id: uuid.UUID, actor: Actor, *, reason: str = "logout_all"
) -> int:
    """Revoke every session of the user (also after a password reset: ``reason="password_reset"``)."""
    rows = list(
        (
            await session.scalars(
                select(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            )
        ).all()
    )
    return await revoke_sessions(ctx, session, rows, reason=reason, actor=actor)


async def revoke_one(
    ctx: AppContext, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, actor: Actor
) -> None:
    row = await session.get(AuthSession, session_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        raise NotFound("No such session", code="identity.session_not_found")
    await revoke_sessions(ctx, session, [row], reason="revoked", actor=actor)


async def active_sessions(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    now = utcnow()
    return list(
        (
            await session.scalars(
                select(AuthSession)
                .where(
                    AuthSession.user_id == user_id,
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > now,
                )
                .order_by(AuthSession.created_at.desc())
            )
        ).all()
    )


async def authenticate(ctx: AppContext, session: AsyncSession, token: str) -> Authenticated:
    """Check the JWT and that its session is still alive (Redis-cached when configured)."""
    try:
        claims = decode_access_token(ctx.settings.secret_key, token, now=utcnow())
        user_id = uuid.UUID(claims["sub"])
        session_id = uuid.UUID(claims["sid"])
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise errors.InvalidToken("The access token is invalid or expired") from exc
    key = _cache_key(session_id)
    cached = await ctx.cache.get(key)
    if cached == "0":
        raise errors.InvalidToken("The session has ended")
    if cached == "1":
        user = await session.get(User, user_id)
    else:
        row = (
            await session.execute(
                select(AuthSession, User)
                .join(User, User.id == AuthSession.user_id)
                .where(AuthSession.id == session_id)
            )
        ).one_or_none()
        if row is None:
            raise errors.InvalidToken("The session has ended")
        auth, user = row
        if auth.revoked_at is not None or auth.expires_at <= utcnow() or auth.user_id != user_id:
            raise errors.InvalidToken("The session has ended")
        await ctx.cache.set(key, "1", ttl=ctx.settings.session_cache_ttl_seconds, only_if_absent=True)
    if user is None or not user.is_active:
        raise errors.InvalidToken("The account is not active")
    return Authenticated(user=user, session_id=session_id)


async def update_me(session: AsyncSession, user: User, data: UserPatch, actor: Actor) -> User:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("locale", "") is None:
        del changes["locale"]  # the language cannot be cleared, only changed
    if "email" in changes and changes["email"] is None and user.password_hash:
        raise ValidationFailed(
            "An account with a password needs an e-mail address",
            errors=[{"field": "email", "message": "cannot be removed", "type": "value_error"}],
        )
    await _ensure_unique(session, email=changes.get("email"), phone=changes.get("phone"), exclude=user.id)
    # (JSON values for the audit row: a date of birth is a date)
    before = to_jsonable_python({k: getattr(user, k) for k in changes})
    if "email" in changes and changes["email"] != user.email:
        user.email_verified_at = None  # a new address is unproven until its link is opened
    for field, value in changes.items():
        setattr(user, field, value)
    if changes:
        after = to_jsonable_python(changes)
        record(session, actor, "user.updated", "user", user.id, before=before, after=after)
    return user
