"""Single-use link tokens e-mailed to a user: password reset and e-mail verification.

A token is 32 random bytes; only its SHA-256 is stored (``account_tokens``), with its purpose, the
address it was sent to and an expiry. Issuing a new one of a purpose retires the user's earlier ones,
so only the latest link works. A token is good once, before it expires, for the purpose it was made
for, and only while the account's address is still the one it was sent to.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.context import AppContext
from innkeeper.identity.models import AccountToken, AccountTokenPurpose, User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.errors import AppError
from innkeeper.kit.security import hash_token, random_token
from innkeeper.notifications.service import send_templated_email


class RecoveryTokenInvalid(AppError):
    status = 400
    code = "recovery.token_invalid"
    title = "Invalid, used or expired link"


async def retire(session: AsyncSession, user_id: uuid.UUID, purpose: AccountTokenPurpose) -> None:
    """Every unused token of ``purpose`` of the user stops working."""
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


async def issue(session: AsyncSession, user: User, purpose: AccountTokenPurpose, ttl: timedelta) -> str:
    """A new token for ``user``'s current address (earlier ones of the purpose retired); the raw value,
    for the link, is returned and never stored."""
    assert user.email
    await retire(session, user.id, purpose)
    token = random_token()
    now = utcnow()
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose.value,
            token_hash=hash_token(token),
            email=user.email,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def consume(session: AsyncSession, token: str, purpose: AccountTokenPurpose) -> User:
    """The token's user, the token spent; 400 ``recovery.token_invalid`` for an unknown, used, expired
    or other-purpose token, or one sent to an address the account no longer has."""
    row = await session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(token)).with_for_update()
    )
    now = utcnow()
    if row is None or row.purpose != purpose.value or row.used_at is not None or row.expires_at <= now:
        raise RecoveryTokenInvalid("This link is invalid, used or expired; ask for a new one")
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active or user.email != row.email:
        raise RecoveryTokenInvalid("This link is invalid, used or expired; ask for a new one")
    row.used_at = now
    return user


def link(ctx: AppContext, path: str, token: str) -> str:
    """The web site's page for the token (``/account/reset-password``, ``/account/verify-email``)."""
    return f"{ctx.settings.public_url}{path}?token={token}"


async def send_verification(ctx: AppContext, session: AsyncSession, user: User) -> None:
    """E-mail ``user`` a link that proves they read their address (after commit, via the outbox)."""
    if not user.email:
        return
    ttl = timedelta(seconds=ctx.settings.email_verification_ttl_seconds)
    token = await issue(session, user, AccountTokenPurpose.email_verify, ttl)
    await send_templated_email(
        ctx,
        session,
        to=user.email,
        template="email_verification",
        locale=user.locale,
        context={"name": user.full_name or None, "url": link(ctx, "/account/verify-email", token)},
    )
