"""Check a calendar import's feed in the request, before its transaction begins.

``POST /properties/{id}/calendar-imports`` answers a clear 4xx for a feed that is not iCalendar (422
``calendar_import.invalid_feed``), too large (413 ``calendar_import.too_large``) or not reachable,
and writes nothing then. The download must not happen inside the request's unit of work: its
dependencies (authentication, the role check) begin the transaction, and on SQLite that is
``BEGIN IMMEDIATE``, the database's only write lock, which a slow feed would hold for the whole timeout.

So :class:`FeedCheckedRoute` runs a step before :class:`~innkeeper.kit.http.UnitOfWorkRoute`'s unit of
work: it authenticates the caller and checks ``property.manage`` in a short read-only unit of its own
(nobody else may make us call out), closes it, then downloads and parses the feed with no transaction
open. Anything it cannot settle (no token, a malformed body, another tenant's property) it leaves to the
normal path, which answers exactly as before. The import's first sync stays a job after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from pydantic import ValidationError

from innkeeper.context import AppContext
from innkeeper.identity import service as identity
from innkeeper.identity.deps import require_action
from innkeeper.identity.permissions import Action
from innkeeper.integrations import calendars, imports, net
from innkeeper.integrations.schemas import CalendarImportIn
from innkeeper.kit.errors import AppError
from innkeeper.kit.http import UnitOfWorkRoute


async def _manager_url(request: Request, ctx: AppContext) -> str | None:
    """The body's ``url`` when the caller may manage the path's property; ``None`` otherwise."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        property_id = uuid.UUID(str(request.path_params.get("property_id")))
        data = CalendarImportIn.model_validate_json(await request.body())
    except (ValueError, ValidationError):
        return None
    try:
        net.check_syntax(data.url)
        async with ctx.db.unit_of_work(write=False) as session:
            auth = await identity.authenticate(ctx, session, token)
            await require_action(session, auth.user, property_id, Action.property_manage)
            # a wrong target is refused first, as before, without calling out
            await calendars.target(session, property_id, data.room_type_id, data.resource_id)
    except AppError:
        return None  # the normal path gives the caller the same answer, with its usual checks
    return data.url


async def check_feed(request: Request) -> None:
    """Download and parse the feed (no transaction open); raise its 4xx when unusable."""
    ctx: AppContext = request.app.state.ctx
    url = await _manager_url(request, ctx)
    if url is None:
        return
    # the zone only shapes floating times, which do not decide whether the file is iCalendar
    imports.parse(await imports.download(ctx.settings, url), ZoneInfo("UTC"))
    request.state.calendar_feed_checked = url


class FeedCheckedRoute(UnitOfWorkRoute):
    """:class:`UnitOfWorkRoute` with :func:`check_feed` first, outside the unit of work."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def run(request: Request) -> Response:
            await check_feed(request)
            return await inner(request)

        return run
