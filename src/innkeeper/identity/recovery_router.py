"""Password reset and e-mail verification over HTTP (``docs/recovery.md``).

Every route here counts against a per-IP budget (``INNKEEPER_RECOVERY_RATE_LIMIT``, 429)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from innkeeper.identity import recovery
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser
from innkeeper.identity.errors import InvalidToken, WeakPassword
from innkeeper.identity.recovery_schemas import Accepted, EmailVerified, ForgotIn, ResetIn, VerifyIn
from innkeeper.identity.recovery_tokens import RecoveryTokenInvalid
from innkeeper.kit.http import DbSession, UnitOfWorkRoute, client_ip
from innkeeper.kit.problems import JSON_WRITE, problem_responses

router = APIRouter(route_class=UnitOfWorkRoute, tags=["identity"])


async def _ip_limit(ctx: Ctx, request: Request) -> None:
    await ctx.limiter.hit(
        ctx.settings.recovery_rate_limit,
        "recovery-ip",
        client_ip(request),
        message="Too many account recovery requests from this address",
    )


@router.post(
    "/auth/password/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(*JSON_WRITE),
)
async def forgot_password(data: ForgotIn, ctx: Ctx, session: DbSession, request: Request) -> Accepted:
    """Always 202, whether or not the address has an account; if it has, a reset link is e-mailed."""
    await _ip_limit(ctx, request)
    await recovery.forgot(ctx, session, data.email)
    return Accepted()


@router.post(
    "/auth/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*JSON_WRITE, RecoveryTokenInvalid, WeakPassword),
)
async def reset_password(
    data: ResetIn, ctx: Ctx, session: DbSession, actor: ActorDep, request: Request
) -> Response:
    """Set a new password with the e-mailed token (once, before it expires); every session of the
    account is revoked, so log in again."""
    await _ip_limit(ctx, request)
    await recovery.reset(ctx, session, data.token, data.password, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/email/verify",
    response_model=EmailVerified,
    responses=problem_responses(*JSON_WRITE, RecoveryTokenInvalid),
)
async def verify_email(
    data: VerifyIn, ctx: Ctx, session: DbSession, actor: ActorDep, request: Request
) -> EmailVerified:
    """Confirm the address with the token e-mailed at sign-up (or by ``/auth/email/verify/resend``)."""
    await _ip_limit(ctx, request)
    user = await recovery.verify_email(session, data.token, actor)
    return EmailVerified(email=user.email or "", email_verified=True)


@router.post(
    "/auth/email/verify/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(InvalidToken, (401, "identity.token_missing"), 429),
)
async def resend_verification(user: CurrentUser, ctx: Ctx, session: DbSession, request: Request) -> Accepted:
    """A new verification link to the signed-in user's address (earlier links die); nothing when the
    address is already verified."""
    await _ip_limit(ctx, request)
    await recovery.resend_verification(ctx, session, user)
    return Accepted()
