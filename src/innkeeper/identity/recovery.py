"""Account recovery: forgotten passwords and e-mail verification (``docs/recovery.md``).

``forgot`` answers the same (202) and runs the same statements whether or not the address has an
account: it counts the request against the address (hashed, in ``throttle_hits``) and queues a job
carrying the sealed address. The job, outside the request, looks the account up and, if there is
one, issues a reset token and e-mails the link. So neither the answer, nor its timing, nor the number
of rows written tells a caller whether an address is registered. Past
``INNKEEPER_PASSWORD_RESET_MAILS_PER_WINDOW`` requests per address in the window no job is queued
(still 202): nobody can flood a mailbox. Requests per client IP are limited too (429).

``reset`` spends the token (single use, expiring, stored hashed), sets the new password (same policy
as sign-up), proves the address (the link reached it), and revokes every session of the account.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.context import AppContext
from innkeeper.identity import recovery_tokens
from innkeeper.identity.models import AccountTokenPurpose, User
from innkeeper.identity.service import check_password_policy, logout_all
from innkeeper.kit import throttle
from innkeeper.kit.clock import utcnow
from innkeeper.kit.jobs import JobContext, enqueue, registry
from innkeeper.kit.security import hash_password
from innkeeper.notifications.service import send_templated_email

RESET_MAIL_JOB = "identity.password_reset_mail"


def _reset_key(email: str) -> str:
    return throttle.throttle_key("password-reset", email)


async def forgot(ctx: AppContext, session: AsyncSession, email: str) -> None:
    """Queue a reset e-mail for ``email`` if it has an account (decided later, by the job)."""
    settings = ctx.settings
    key = _reset_key(email)
    policy = throttle.Backoff(
        free=settings.password_reset_mails_per_window,
        window=timedelta(seconds=settings.password_reset_window_seconds),
        base=timedelta(seconds=settings.password_reset_window_seconds),
    )
    # the same statements whether or not the address has an account: a count, then (under the
    # allowance) a counted request and a job; refused requests are not counted, so the allowance
    # comes back a window after the last mail
    if await throttle.wait_left(session, key, policy):
        return
    throttle.hit(session, key)
    enqueue(session, RESET_MAIL_JOB, {"sealed": ctx.crypto.seal_json({"email": email})})


@registry.handler(RESET_MAIL_JOB)
async def send_reset_mail(job: JobContext, payload: dict[str, Any]) -> None:
    app: AppContext = job.services["app"]
    email = app.crypto.open_json(payload["sealed"])["email"]
    async with app.db.unit_of_work() as session:
        user = await session.scalar(select(User).where(User.email == email))
        if user is None or not user.is_active:
            return  # no account: nothing is sent, and the caller was told nothing either
        ttl = timedelta(seconds=app.settings.password_reset_ttl_seconds)
        token = await recovery_tokens.issue(session, user, AccountTokenPurpose.password_reset, ttl)
        record(session, Actor.system(RESET_MAIL_JOB), "user.password_reset_requested", "user", user.id)
        await send_templated_email(
            app,
            session,
            to=email,
            template="password_reset",
            locale=user.locale,
            context={
                "name": user.full_name or None,
                "url": recovery_tokens.link(app, "/account/reset-password", token),
                "minutes": max(1, app.settings.password_reset_ttl_seconds // 60),
            },
        )


async def reset(ctx: AppContext, session: AsyncSession, token: str, password: str, actor: Actor) -> User:
    """A new password for the token's account; every session of it ends. A refused password (policy)
    leaves the token unspent: the request changes nothing."""
    user = await recovery_tokens.consume(session, token, AccountTokenPurpose.password_reset)
    check_password_policy(password, user.email)
    user.password_hash = hash_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached the address: it is the owner's
    # the other reset links die too: one reset per request for help
    await recovery_tokens.retire(session, user.id, AccountTokenPurpose.password_reset)
    record(session, actor, "user.password_reset", "user", user.id)
    await logout_all(ctx, session, user.id, actor, reason="password_reset")
    return user


async def verify_email(session: AsyncSession, token: str, actor: Actor) -> User:
    user = await recovery_tokens.consume(session, token, AccountTokenPurpose.email_verify)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record(session, actor, "user.email_verified", "user", user.id, after={"email": user.email})
    return user


async def resend_verification(ctx: AppContext, session: AsyncSession, user: User) -> bool:
    """A new verification link (the earlier ones die); ``False`` when there is nothing to verify."""
    if not user.email or user.email_verified_at is not None:
        return False
    await recovery_tokens.send_verification(ctx, session, user)
    return True
