"""Webhooks, calendars and meetings over HTTP.

Property routes need ``property.manage`` (owners and managers; 404 to strangers, 403 to other roles).
The calendar feed is public behind its secret token. A booking's meeting is the booker's and the staff's
(``bookings.access``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status

from innkeeper.bookings import access
from innkeeper.bookings.deps import CallerDep
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, AnonymousReads, Ctx, property_action
from innkeeper.identity.permissions import Action
from innkeeper.integrations import calendars, connect, deliveries, imports, webhooks
from innkeeper.integrations.errors import (
    CalendarFeedNotFound,
    CalendarImportNotFound,
    CalendarTargetInvalid,
    ConnectGatewayError,
    ConnectNotOnboarded,
    ConnectUnavailable,
    DeliveryNotFound,
    FeedInvalid,
    FeedTooLarge,
    MeetingNotFound,
    MeetingNotPossible,
    UnknownEventType,
    UrlRefused,
    WebhookNotFound,
)
from innkeeper.integrations.feedcheck import FeedCheckedRoute
from innkeeper.integrations.meetings import service as meetings
from innkeeper.integrations.schemas import (
    CalendarFeedCreatedOut,
    CalendarFeedOut,
    CalendarImportIn,
    CalendarImportOut,
    CalendarTargetIn,
    ConnectOnboardingOut,
    ConnectOut,
    ConnectPayoutsOut,
    DeliveryDetailOut,
    DeliveryOut,
    MeetingIn,
    MeetingOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
)
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import JSON_WRITE, problem_responses

router = APIRouter(route_class=UnitOfWorkRoute, tags=["integrations"], responses=problem_responses(422))
SCOPED = (401, PropertyNotFound, (403, "auth.role"))
Manage = Depends(property_action(Action.property_manage))
P = "/properties/{property_id}"
WH = P + "/webhooks/{webhook_id}"


# -- webhooks -------------------------------------------------------------------------------------------
@router.post(
    P + "/webhooks",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Manage],
    response_model=WebhookCreatedOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, UrlRefused, UnknownEventType),
)
async def create_webhook(
    property_id: uuid.UUID, data: WebhookIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """Subscribe a URL to event types; the answer carries the signing secret, shown only this once."""
    sub, secret = await webhooks.create(
        session,
        ctx.settings,
        ctx.crypto,
        property_id,
        url=data.url,
        events=data.events,
        description=data.description,
        actor=actor,
    )
    return webhooks.subscription_to_api(sub, secret)


@router.get(
    P + "/webhooks",
    dependencies=[Manage],
    response_model=ListOf[WebhookOut],
    responses=problem_responses(*SCOPED),
)
async def list_webhooks(property_id: uuid.UUID, session: DbSession, page: PageParams) -> dict[str, Any]:
    rows, total = await webhooks.list_for(session, property_id, limit=page.limit, offset=page.offset)
    return {"items": [webhooks.subscription_to_api(s) for s in rows], "total": total}


@router.get(
    WH,
    dependencies=[Manage],
    response_model=WebhookOut,
    responses=problem_responses(*SCOPED, WebhookNotFound),
)
async def get_webhook(property_id: uuid.UUID, webhook_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    return webhooks.subscription_to_api(await webhooks.get(session, property_id, webhook_id))


@router.patch(
    WH,
    dependencies=[Manage],
    response_model=WebhookOut,
    responses=problem_responses(*SCOPED, WebhookNotFound, *JSON_WRITE, UrlRefused, UnknownEventType),
)
async def update_webhook(
    property_id: uuid.UUID,
    webhook_id: uuid.UUID,
    data: WebhookPatch,
    session: DbSession,
    ctx: Ctx,
    actor: ActorDep,
) -> dict[str, Any]:
    sub = await webhooks.get(session, property_id, webhook_id)
    changes = data.model_dump(exclude_unset=True)
    await webhooks.update(session, ctx.settings, sub, changes, actor)
    return webhooks.subscription_to_api(sub)


@router.post(
    WH + "/rotate-secret",
    dependencies=[Manage],
    response_model=WebhookSecretOut,
    responses=problem_responses(*SCOPED, 429, WebhookNotFound),
)
async def rotate_webhook_secret(
    property_id: uuid.UUID, webhook_id: uuid.UUID, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """A new signing secret, shown only now; deliveries from now on are signed with it."""
    sub = await webhooks.get(session, property_id, webhook_id)
    return {"secret": await webhooks.rotate_secret(session, ctx.crypto, sub, actor)}


@router.delete(
    WH,
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Manage],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, WebhookNotFound),
)
async def delete_webhook(
    property_id: uuid.UUID, webhook_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    await webhooks.delete(session, await webhooks.get(session, property_id, webhook_id), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    WH + "/deliveries",
    dependencies=[Manage],
    response_model=ListOf[DeliveryOut],
    responses=problem_responses(*SCOPED, WebhookNotFound),
)
async def list_deliveries(
    property_id: uuid.UUID,
    webhook_id: uuid.UUID,
    session: DbSession,
    page: PageParams,
    delivery_status: Annotated[
        Literal["pending", "succeeded", "failed"] | None, Query(alias="status")
    ] = None,
) -> dict[str, Any]:
    """The delivery log, newest first: status, attempts, the last answer's status code and timing."""
    sub = await webhooks.get(session, property_id, webhook_id)
    rows, total = await webhooks.deliveries_of(
        session, sub, status=delivery_status, limit=page.limit, offset=page.offset
    )
    return {"items": [webhooks.delivery_to_api(d) for d in rows], "total": total}


@router.get(
    WH + "/deliveries/{delivery_id}",
    dependencies=[Manage],
    response_model=DeliveryDetailOut,
    responses=problem_responses(*SCOPED, WebhookNotFound, DeliveryNotFound),
)
async def get_delivery(
    property_id: uuid.UUID, webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: DbSession
) -> dict[str, Any]:
    """One delivery with its payload and every attempt (status code, duration, error)."""
    sub = await webhooks.get(session, property_id, webhook_id)
    delivery = await webhooks.delivery_of(session, sub, delivery_id)
    return webhooks.delivery_to_api(delivery, await webhooks.attempts_of(session, delivery))


@router.post(
    WH + "/deliveries/{delivery_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Manage],
    response_model=DeliveryOut,
    responses=problem_responses(*SCOPED, 429, WebhookNotFound, DeliveryNotFound),
)
async def retry_delivery(
    property_id: uuid.UUID, webhook_id: uuid.UUID, delivery_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> dict[str, Any]:
    """Send the delivery again now (one attempt, logged as manual), whatever its status."""
    sub = await webhooks.get(session, property_id, webhook_id)
    delivery = await webhooks.delivery_of(session, sub, delivery_id, lock=True)
    deliveries.request_retry(session, delivery)
    webhooks.record_retry(session, delivery, actor)
    return webhooks.delivery_to_api(delivery)


# -- calendar feeds ----------------------------------------------------------------------------------------
@router.post(
    P + "/calendars",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Manage],
    response_model=CalendarFeedCreatedOut,
    responses=problem_responses(*SCOPED, *JSON_WRITE, CalendarTargetInvalid),
)
async def create_calendar(
    property_id: uuid.UUID, data: CalendarTargetIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """A secret .ics URL of a room type's or a resource's booked and closed times (shown only now)."""
    feed, url = await calendars.create_feed(
        session, ctx.settings, property_id, data.room_type_id, data.resource_id, actor
    )
    return calendars.feed_to_api(feed, url)


@router.get(
    P + "/calendars",
    dependencies=[Manage],
    response_model=ListOf[CalendarFeedOut],
    responses=problem_responses(*SCOPED),
)
async def list_calendars(property_id: uuid.UUID, session: DbSession, page: PageParams) -> dict[str, Any]:
    rows, total = await calendars.feeds_of(session, property_id, limit=page.limit, offset=page.offset)
    return {"items": [calendars.feed_to_api(f) for f in rows], "total": total}


@router.delete(
    P + "/calendars/{calendar_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Manage],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, CalendarFeedNotFound),
)
async def delete_calendar(
    property_id: uuid.UUID, calendar_id: uuid.UUID, session: DbSession, actor: ActorDep
) -> Response:
    """Revoke the feed: its URL answers 404 from now on."""
    await calendars.delete_feed(session, property_id, calendar_id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/calendars/{token}.ics",
    dependencies=[AnonymousReads],
    response_class=Response,
    responses={
        status.HTTP_200_OK: {"content": {"text/calendar": {}}, "description": "The iCalendar feed"},
        **problem_responses(429, CalendarFeedNotFound),
    },
)
async def calendar_feed(
    token: Annotated[str, Path(max_length=100)], session: DbSession, ctx: Ctx
) -> Response:
    """The feed behind a secret URL (no other credentials: calendar clients cannot send any)."""
    body = await calendars.render_feed(session, ctx.settings, token)
    return Response(
        body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"}
    )


# -- calendar imports --------------------------------------------------------------------------------------
CI = P + "/calendar-imports/{import_id}"


async def create_calendar_import(
    property_id: uuid.UUID, data: CalendarImportIn, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """Poll an external .ics (checked now; synced right after this answer, then every 15 minutes): its
    events close the room type's nights or block the resource's times. A feed that is not iCalendar
    (422 ``calendar_import.invalid_feed``) or too large (413 ``calendar_import.too_large``) is refused
    and nothing is written; one that breaks later shows as ``last_status: error`` and changes nothing."""
    imp = await imports.create(
        session,
        ctx.settings,
        property_id,
        url=data.url,
        room_type_id=data.room_type_id,
        resource_id=data.resource_id,
        actor=actor,
    )
    return imports.import_to_api(imp)


# the feed is downloaded and checked before the unit of work begins (feedcheck.py)
router.add_api_route(
    P + "/calendar-imports",
    create_calendar_import,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[Manage],
    response_model=CalendarImportOut,
    responses=problem_responses(
        *SCOPED, *JSON_WRITE, CalendarTargetInvalid, UrlRefused, FeedInvalid, FeedTooLarge
    ),
    route_class_override=FeedCheckedRoute,
)


@router.get(
    P + "/calendar-imports",
    dependencies=[Manage],
    response_model=ListOf[CalendarImportOut],
    responses=problem_responses(*SCOPED),
)
async def list_calendar_imports(
    property_id: uuid.UUID, session: DbSession, page: PageParams
) -> dict[str, Any]:
    rows, total = await imports.list_for(session, property_id, limit=page.limit, offset=page.offset)
    return {"items": [imports.import_to_api(i) for i in rows], "total": total}


@router.get(
    CI,
    dependencies=[Manage],
    response_model=CalendarImportOut,
    responses=problem_responses(*SCOPED, CalendarImportNotFound),
)
async def get_calendar_import(
    property_id: uuid.UUID, import_id: uuid.UUID, session: DbSession
) -> dict[str, Any]:
    return imports.import_to_api(await imports.get(session, property_id, import_id))


@router.post(
    CI + "/sync",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Manage],
    response_model=CalendarImportOut,
    responses=problem_responses(*SCOPED, 429, CalendarImportNotFound),
)
async def sync_calendar_import(
    property_id: uuid.UUID, import_id: uuid.UUID, session: DbSession
) -> dict[str, Any]:
    """Sync now (after this answer) rather than at the next poll."""
    imp = await imports.get(session, property_id, import_id)
    imports.request_sync(session, imp)
    return imports.import_to_api(imp)


@router.delete(
    CI,
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Manage],
    response_class=Response,
    responses=problem_responses(*SCOPED, 429, CalendarImportNotFound),
)
async def delete_calendar_import(
    property_id: uuid.UUID, import_id: uuid.UUID, session: DbSession, ctx: Ctx, actor: ActorDep
) -> Response:
    """Stop importing; the nights and times it closed (only those) open again."""
    await imports.remove(session, ctx.settings, await imports.get(session, property_id, import_id), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- meetings ------------------------------------------------------------------------------------------------
@router.get(
    "/bookings/{booking_id}/meeting",
    response_model=MeetingOut,
    responses=problem_responses(401, BookingNotFound, (403, "auth.role"), MeetingNotFound),
)
async def get_meeting(
    booking_id: uuid.UUID, caller: CallerDep, session: DbSession, ctx: Ctx
) -> dict[str, Any]:
    """The booking's online session: how to join (``join_url``, the gRPC service) and who is in."""
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    meeting = await meetings.meeting_of_booking(session, b.id)
    if meeting is None:
        raise MeetingNotFound()
    return meetings.meeting_to_api(ctx.settings, meeting, await meetings.participants(session, meeting.id))


@router.post(
    "/bookings/{booking_id}/meeting",
    status_code=status.HTTP_201_CREATED,
    response_model=MeetingOut,
    responses=problem_responses(401, BookingNotFound, (403, "auth.role"), *JSON_WRITE, MeetingNotPossible),
)
async def create_meeting(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    ctx: Ctx,
    actor: ActorDep,
    response: Response,
    data: MeetingIn | None = None,
) -> dict[str, Any]:
    """Give a confirmed hourly booking a meeting (a hall event becomes hybrid); 200 with the existing
    one when it has one already."""
    b = await access.load(session, booking_id, caller, action=Action.booking_change, lock=True)
    meeting, created = await meetings.create_for(session, b, actor, title=data.title if data else None)
    if not created:
        response.status_code = status.HTTP_200_OK
    return meetings.meeting_to_api(ctx.settings, meeting, await meetings.participants(session, meeting.id))


# -- Stripe Connect ----------------------------------------------------------------------------------------
@router.post(
    P + "/connect/onboarding",
    dependencies=[Manage],
    response_model=ConnectOnboardingOut,
    responses=problem_responses(*SCOPED, 429, ConnectUnavailable, ConnectGatewayError),
)
async def connect_onboarding(
    property_id: uuid.UUID, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """The property's Stripe Express account (created on first call) and a fresh onboarding link."""
    prop = await get_property(session, property_id)
    back = f"{ctx.settings.public_url.rstrip('/')}/staff/properties/{property_id}/connect"
    account, link = await connect.onboard(
        session, ctx.settings, prop, return_url=back, refresh_url=back + "?refresh=1", actor=actor
    )
    return connect.account_to_api(account, link)


@router.get(
    P + "/connect",
    dependencies=[Manage],
    response_model=ConnectOut,
    responses=problem_responses(*SCOPED, ConnectNotOnboarded),
)
async def connect_status(property_id: uuid.UUID, session: DbSession) -> dict[str, Any]:
    return connect.account_to_api(await connect.status(session, await get_property(session, property_id)))


@router.post(
    P + "/connect/refresh",
    dependencies=[Manage],
    response_model=ConnectOut,
    responses=problem_responses(*SCOPED, 429, ConnectNotOnboarded, ConnectUnavailable, ConnectGatewayError),
)
async def connect_refresh(
    property_id: uuid.UUID, session: DbSession, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """Read the account back from Stripe (charges and payouts enabled, details submitted)."""
    prop = await get_property(session, property_id)
    return connect.account_to_api(await connect.refresh(session, ctx.settings, prop, actor))


@router.get(
    P + "/connect/payouts",
    dependencies=[Manage],
    response_model=ConnectPayoutsOut,
    responses=problem_responses(*SCOPED, ConnectUnavailable, ConnectGatewayError),
)
async def connect_payouts(
    property_id: uuid.UUID,
    session: DbSession,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    starting_after: Annotated[str | None, Query(max_length=255, pattern=r"^po_\w+$")] = None,
) -> dict[str, Any]:
    """The connected account's payouts, newest first, read from Stripe (``starting_after``: the
    ``next`` of the previous page). 409 ``connect.unavailable`` without Stripe or an account."""
    prop = await get_property(session, property_id)
    return await connect.payouts(session, ctx.settings, prop, limit=limit, starting_after=starting_after)
