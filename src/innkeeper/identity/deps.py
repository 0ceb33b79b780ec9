"""Permission checks as ``Annotated`` dependencies: ``CurrentUser``, ``PlatformAdmin``, ``ActorDep``,
and :func:`property_action` for staff endpoints (a property the caller has no role at is 404)."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.context import AppContext
from innkeeper.identity import service
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action, permits, role_at
from innkeeper.kit.errors import Forbidden, NotFound, Unauthorized
from innkeeper.kit.http import SAFE_METHODS, DbSession, caller_scope, client_ip

_bearer = HTTPBearer(auto_error=False)


async def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def _optional_auth(
    request: Request,
    ctx: Ctx,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> service.Authenticated | None:
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthorized("Use 'Authorization: Bearer <token>'", code="identity.token_invalid")
        return None
    auth = await service.authenticate(ctx, session, credentials.credentials)
    request.state.user_id = auth.user.id
    return auth


OptionalAuth = Annotated[service.Authenticated | None, Depends(_optional_auth)]


async def _required_auth(auth: OptionalAuth) -> service.Authenticated:
    if auth is None:
        raise Unauthorized("Log in first", code="identity.token_missing")
    return auth


CurrentAuth = Annotated[service.Authenticated, Depends(_required_auth)]


async def _current_user(auth: CurrentAuth) -> User:
    return auth.user


async def _optional_user(auth: OptionalAuth) -> User | None:
    return auth.user if auth else None


CurrentUser = Annotated[User, Depends(_current_user)]
OptionalUser = Annotated[User | None, Depends(_optional_user)]


async def require_platform_admin(user: CurrentUser) -> User:
    if not user.is_platform_admin:
        raise Forbidden("Platform administrators only", code="auth.admin_only")
    return user


PlatformAdmin = Annotated[User, Depends(require_platform_admin)]


async def _actor(request: Request) -> Actor:
    """Who acts, for audit rows. Independent of dependency order: when the authentication dependency
    has not run (yet), the user comes from the bearer token's signed claims."""
    user_id = getattr(request.state, "user_id", None)
    if user_id is None:
        scope = caller_scope(request)
        if scope.startswith("user:"):
            with contextlib.suppress(ValueError):
                user_id = uuid.UUID(scope.removeprefix("user:"))
    return Actor(
        user_id=user_id, ip=client_ip(request), request_id=getattr(request.state, "request_id", None)
    )


ActorDep = Annotated[Actor, Depends(_actor)]


async def require_action(session: AsyncSession, user: User, property_id: uuid.UUID, action: Action) -> None:
    """404 for a non-member, 403 for a member whose role may not do ``action``; admins pass. For a
    route whose body decides the action (a room's housekeeping field vs. taking it out of service)."""
    if user.is_platform_admin:
        return
    role = await role_at(session, user.id, property_id)
    if role is None:
        raise NotFound("No such property", code="property.not_found")
    if not permits(role, action):
        raise Forbidden("Your role at this property does not allow this", code="auth.role")


@functools.cache
def property_action(action: Action) -> Callable[..., Awaitable[User]]:
    """A dependency for ``/properties/{property_id}/…`` endpoints that do ``action``: platform admins
    pass; a member whose role may not (``identity.permissions``) gets 403; anyone else gets 404 (the
    property does not exist for them). One dependency per action, so FastAPI runs it once a request."""

    async def check(property_id: uuid.UUID, user: CurrentUser, session: DbSession) -> User:
        await require_action(session, user, property_id, action)
        return user

    check.__name__ = f"requires_{action.name}"
    return check


async def write_rate_limit(request: Request, ctx: Ctx) -> None:
    """A generous per-user (or, anonymously, per-IP) budget for every API write."""
    if request.method in SAFE_METHODS:
        return
    subject = caller_scope(request)
    if not subject.startswith("user:"):
        subject = f"ip:{client_ip(request)}"
    await ctx.limiter.hit(
        ctx.settings.write_rate_limit, "write", subject, message="Too many writes; slow down"
    )


async def anonymous_read_rate_limit(request: Request, ctx: Ctx) -> None:
    """Per client IP, a budget for the public reads a scraper would hammer (search, availability,
    calendar, booking lookup, resource search and slots). Signed-in callers are not counted: their
    reads are theirs, and a valid bearer token is needed to be one (an invalid one counts as anonymous)."""
    if caller_scope(request).startswith("user:"):
        return
    await ctx.limiter.hit(
        ctx.settings.anonymous_read_rate_limit,
        "anonymous-read",
        client_ip(request),
        message="Too many requests from this address; slow down or sign in",
    )


#: Add to an anonymous read route's (or router's) ``dependencies``; document 429 in its ``responses``.
AnonymousReads = Depends(anonymous_read_rate_limit)
