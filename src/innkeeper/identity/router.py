from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from innkeeper.identity import errors, invitations, service
from innkeeper.identity.deps import ActorDep, Ctx, CurrentAuth, CurrentUser
from innkeeper.identity.schemas import (
    InvitationAnswerIn,
    LoginIn,
    MyInvitationList,
    MyInvitationOut,
    OtpSendIn,
    OtpSent,
    OtpVerifyIn,
    RefreshIn,
    RefreshOut,
    SessionList,
    SessionOut,
    SignupIn,
    TokensOut,
    UserOut,
    UserPatch,
)
from innkeeper.kit.http import DbSession, UnitOfWorkRoute, client_ip
from innkeeper.kit.problems import JSON_WRITE, problem_responses

# The /auth routes answer 429 past the per-address budget of authentication requests (JSON_WRITE).
router = APIRouter(route_class=UnitOfWorkRoute, tags=["identity"])
#: a bearer token that is missing, invalid, expired or of an ended session
TOKEN = (errors.InvalidToken, (401, "identity.token_missing"))


async def _ip_limit(ctx: Ctx, request: Request) -> None:
    await ctx.limiter.hit(
        ctx.settings.auth_rate_limit,
        "auth-ip",
        client_ip(request),
        message="Too many authentication requests from this address",
    )


def _tokens(issued: service.IssuedTokens) -> TokensOut:
    return TokensOut(
        user=UserOut.model_validate(issued.user),
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        session_id=issued.session.id,
    )


@router.post(
    "/auth/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=TokensOut,
    responses=problem_responses(*JSON_WRITE, errors.WeakPassword, errors.EmailTaken, errors.PhoneTaken),
)
async def signup(
    data: SignupIn, ctx: Ctx, session: DbSession, actor: ActorDep, request: Request
) -> TokensOut:
    await _ip_limit(ctx, request)
    return _tokens(await service.signup(ctx, session, data, actor))


@router.post(
    "/auth/login",
    response_model=TokensOut,
    # 429 also after too many failed logins for the account
    responses=problem_responses(*JSON_WRITE, errors.InvalidCredentials),
)
async def login(data: LoginIn, ctx: Ctx, session: DbSession, actor: ActorDep, request: Request) -> TokensOut:
    await _ip_limit(ctx, request)
    return _tokens(await service.login(ctx, session, data, actor))


@router.post(
    "/auth/otp/send",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OtpSent,
    # 429 also after too many codes sent to the number
    responses=problem_responses(*JSON_WRITE),
)
async def otp_send(data: OtpSendIn, ctx: Ctx, session: DbSession, request: Request) -> OtpSent:
    await _ip_limit(ctx, request)
    return OtpSent(expires_in=await service.send_otp(ctx, session, data.phone))


@router.post(
    "/auth/otp/verify",
    response_model=TokensOut,
    responses=problem_responses(*JSON_WRITE, errors.InvalidOtp, errors.AccountDisabled),
)
async def otp_verify(
    data: OtpVerifyIn, ctx: Ctx, session: DbSession, actor: ActorDep, request: Request
) -> TokensOut:
    await _ip_limit(ctx, request)
    return _tokens(await service.verify_otp(ctx, session, data, actor))


@router.post(
    "/auth/refresh",
    response_model=RefreshOut,
    responses=problem_responses(*JSON_WRITE, errors.InvalidToken, errors.RefreshReused),
)
async def refresh(
    data: RefreshIn, ctx: Ctx, session: DbSession, actor: ActorDep, request: Request
) -> RefreshOut:
    await _ip_limit(ctx, request)
    issued = await service.refresh(ctx, session, data.refresh_token, actor)
    return RefreshOut(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        session_id=issued.session.id,
    )


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*TOKEN, 429),
)
async def logout(auth: CurrentAuth, ctx: Ctx, session: DbSession, actor: ActorDep) -> Response:
    await service.logout(ctx, session, auth, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/logout-all",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*TOKEN, 429),
)
async def logout_all(user: CurrentUser, ctx: Ctx, session: DbSession, actor: ActorDep) -> Response:
    await service.logout_all(ctx, session, user.id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/sessions", response_model=SessionList, responses=problem_responses(*TOKEN))
async def list_sessions(auth: CurrentAuth, session: DbSession) -> SessionList:
    rows = await service.active_sessions(session, auth.user.id)
    items = [
        SessionOut(
            id=s.id,
            device_info=s.device_info,
            ip=s.ip,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            current=s.id == auth.session_id,
        )
        for s in rows
    ]
    return SessionList(items=items, total=len(items))


@router.delete(
    "/auth/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(*TOKEN, (404, "identity.session_not_found"), 422, 429),
)
async def revoke_session(
    session_id: uuid.UUID, user: CurrentUser, ctx: Ctx, session: DbSession, actor: ActorDep
) -> Response:
    await service.revoke_one(ctx, session, user.id, session_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me", response_model=UserOut, responses=problem_responses(*TOKEN))
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.patch(
    "/users/me",
    response_model=UserOut,
    responses=problem_responses(*TOKEN, *JSON_WRITE, errors.EmailTaken, errors.PhoneTaken),
)
async def patch_me(data: UserPatch, user: CurrentUser, session: DbSession, actor: ActorDep) -> UserOut:
    return UserOut.model_validate(await service.update_me(session, user, data, actor))


# -- invitations to work at a property (made by its owners: ``POST /properties/{id}/members``) ----------

#: what answering an invitation may meet
ANSWER_PROBLEMS = (
    *TOKEN,
    *JSON_WRITE,
    errors.InvitationNotFound,
    errors.InvitationClosed,
    errors.InvitationLinkRequired,
)


@router.get("/users/me/invitations", response_model=MyInvitationList, responses=problem_responses(*TOKEN))
async def my_invitations(user: CurrentUser, session: DbSession) -> MyInvitationList:
    rows = await invitations.pending_for_user(session, user)
    items = [MyInvitationOut.model_validate(invitations.for_invitee(i, user)) for i in rows]
    return MyInvitationList(items=items, total=len(items))


@router.post(
    "/users/me/invitations/{invitation_id}/accept",
    response_model=MyInvitationOut,
    responses=problem_responses(*ANSWER_PROBLEMS, errors.AlreadyMember),
)
async def accept_invitation(
    invitation_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    actor: ActorDep,
    data: InvitationAnswerIn | None = None,
) -> MyInvitationOut:
    token = data.token if data else None
    invitation = await invitations.accept(session, user, invitation_id, token, actor)
    return MyInvitationOut.model_validate(invitations.for_invitee(invitation, user))


@router.post(
    "/users/me/invitations/{invitation_id}/decline",
    response_model=MyInvitationOut,
    responses=problem_responses(*ANSWER_PROBLEMS),
)
async def decline_invitation(
    invitation_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    actor: ActorDep,
    data: InvitationAnswerIn | None = None,
) -> MyInvitationOut:
    token = data.token if data else None
    invitation = await invitations.decline(session, user, invitation_id, token, actor)
    return MyInvitationOut.model_validate(invitations.for_invitee(invitation, user))
