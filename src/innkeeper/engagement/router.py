"""Reviews, favorites and loyalty over HTTP (shared/API.md, "Engagement").

* ``POST /bookings/{booking_id}/review``: the booking is scoped like any booking route (``booking.view``:
  a stranger gets 404), then only its own customer may review it (409 ``review.not_allowed`` for staff).
* ``POST /reviews/{review_id}/moderate|reply``: the property's members whose role may
  ``reviews.moderate``, and platform admins; anyone else 404, a member whose role may not 403.
* ``/users/me/favorites/{id}``: ``id`` is a property's id. (Named ``id``, not ``property_id``: these are
  the caller's own rows, open to any signed-in user, not a property's staff route.)
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response, status

from innkeeper.bookings import access
from innkeeper.bookings.access import Caller
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.catalog.errors import PropertyNotFound
from innkeeper.catalog.schemas import check_slug
from innkeeper.catalog.service import rating
from innkeeper.engagement import favorites, loyalty, reviews
from innkeeper.engagement.errors import (
    AlreadyModerated,
    InsufficientPoints,
    ReplyNotAllowed,
    ReviewNotAllowed,
    ReviewNotFound,
)
from innkeeper.engagement.schemas import (
    FavoriteOut,
    LoyaltyOut,
    ModerateIn,
    PropertyReviewsOut,
    RedeemIn,
    RedeemOut,
    ReplyIn,
    ReviewIn,
    ReviewOut,
)
from innkeeper.identity.deps import ActorDep, AnonymousReads, Ctx, CurrentUser, OptionalUser, property_action
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import Unauthorized, ValidationFailed
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import IDEMPOTENT, JSON_WRITE, problem_responses
from innkeeper.search.service import public_property

router = APIRouter(route_class=UnitOfWorkRoute, tags=["engagement"], responses=problem_responses(422))

STAFF = (401, (403, "auth.role"), ReviewNotFound)
SlugPath = Annotated[str, Path(max_length=200)]


# -- reviews ------------------------------------------------------------------------------------------------


@router.post(
    "/bookings/{booking_id}/review",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewOut,
    responses=problem_responses(*JSON_WRITE, 401, BookingNotFound, (403, "auth.role"), ReviewNotAllowed),
)
async def write_review(
    booking_id: uuid.UUID, data: ReviewIn, ctx: Ctx, session: DbSession, user: OptionalUser, actor: ActorDep
) -> dict[str, Any]:
    """The booker's review of a checked-out stay (or a slot after its end), once: ``pending`` until a
    moderator publishes it. 409 ``review.not_allowed`` before that, a second time, or for anyone else
    who may see the booking."""
    # the booking's row lock makes two submissions for one booking queue (the second finds the first)
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_view, lock=True)
    if user is None:  # (access.load lets no anonymous caller through; kept for the type checker)
        raise Unauthorized("Log in first", code="identity.token_missing")
    review = await reviews.submit(session, ctx.settings, b, user, data, actor)
    return reviews.review_to_api(review)


@router.get(
    "/properties/{slug}/reviews",
    response_model=PropertyReviewsOut,
    dependencies=[AnonymousReads],
    responses=problem_responses(PropertyNotFound, (422, "property.invalid_slug"), 429),
)
async def property_reviews(slug: SlugPath, session: DbSession, page: PageParams) -> dict[str, Any]:
    """Published reviews, newest first, with the rating and count they make."""
    try:
        slug = check_slug(slug)
    except ValueError as exc:
        raise ValidationFailed(
            "Malformed slug",
            code="property.invalid_slug",
            errors=[{"field": "slug", "message": str(exc), "type": "slug"}],
        ) from exc
    prop = await public_property(session, slug)
    rows, total = await reviews.published_page(session, prop.id, limit=page.limit, offset=page.offset)
    return {
        "items": [reviews.public_to_api(r) for r in rows],
        "total": total,
        "rating": rating(prop.rating_x10),
        "review_count": prop.review_count,
    }


@router.get(
    "/properties/{property_id}/manage/reviews",
    response_model=ListOf[ReviewOut],
    dependencies=[Depends(property_action(Action.reviews_moderate))],
    responses=problem_responses(401, PropertyNotFound, (403, "auth.role")),
)
async def staff_reviews(
    property_id: uuid.UUID,
    session: DbSession,
    page: PageParams,
    review_status: Annotated[
        Literal["pending", "published", "rejected"] | None, Query(alias="status")
    ] = None,
) -> dict[str, Any]:
    """The property's reviews for its moderators (oldest first; ``status=pending`` for the queue)."""
    rows, total = await reviews.staff_page(
        session, property_id, review_status, limit=page.limit, offset=page.offset
    )
    return {"items": [reviews.review_to_api(r) for r in rows], "total": total}


@router.get("/users/me/reviews", response_model=ListOf[ReviewOut], responses=problem_responses(401))
async def my_reviews(session: DbSession, user: CurrentUser, page: PageParams) -> dict[str, Any]:
    rows, total = await reviews.of_user(session, user.id, limit=page.limit, offset=page.offset)
    return {"items": [reviews.review_to_api(r) for r in rows], "total": total}


@router.post(
    "/reviews/{review_id}/moderate",
    response_model=ReviewOut,
    responses=problem_responses(*JSON_WRITE, *STAFF, AlreadyModerated),
)
async def moderate_review(
    review_id: uuid.UUID, data: ModerateIn, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """Publish, or reject with a reason (a published review may be taken down the same way)."""
    review = await reviews.for_moderation(session, review_id, user)
    return reviews.review_to_api(await reviews.moderate(session, review, data, actor))


@router.post(
    "/reviews/{review_id}/reply",
    response_model=ReviewOut,
    responses=problem_responses(*JSON_WRITE, *STAFF, ReplyNotAllowed),
)
async def reply_to_review(
    review_id: uuid.UUID, data: ReplyIn, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """The property's one answer to a published review."""
    review = await reviews.for_moderation(session, review_id, user)
    return reviews.review_to_api(await reviews.reply(session, review, data, actor))


# -- favorites ----------------------------------------------------------------------------------------------

PropertyRef = Annotated[uuid.UUID, Path(description="The property's id")]


@router.put(
    "/users/me/favorites/{id}",
    response_model=FavoriteOut,
    responses=problem_responses(401, 429, PropertyNotFound),
)
async def add_favorite(
    id: PropertyRef, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """Idempotent: the same answer however often it is sent."""
    favorite, prop = await favorites.add(session, user, id, actor)
    return favorites.favorite_to_api(favorite, prop)


@router.delete(
    "/users/me/favorites/{id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 429),
)
async def remove_favorite(
    id: PropertyRef, session: DbSession, user: CurrentUser, actor: ActorDep
) -> Response:
    """Idempotent: 204 whether or not it was a favorite."""
    await favorites.remove(session, user, id, actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me/favorites", response_model=ListOf[FavoriteOut], responses=problem_responses(401))
async def list_favorites(session: DbSession, user: CurrentUser, page: PageParams) -> dict[str, Any]:
    items, total = await favorites.page(session, user, limit=page.limit, offset=page.offset)
    return {"items": items, "total": total}


# -- loyalty ------------------------------------------------------------------------------------------------


@router.get("/users/me/loyalty", response_model=LoyaltyOut, responses=problem_responses(401))
async def my_loyalty(session: DbSession, user: CurrentUser, ctx: Ctx, page: PageParams) -> dict[str, Any]:
    """Tier, balance, progress and the ledger (newest first). Points are earned at check-out (and at a
    slot's completion), per currency unit paid."""
    return await loyalty.summary(session, ctx.settings, user, limit=page.limit, offset=page.offset)


@router.post(
    "/users/me/loyalty/redeem",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=RedeemOut,
    responses=problem_responses(*JSON_WRITE, *IDEMPOTENT, 401, InsufficientPoints),
)
async def redeem_points(
    data: RedeemIn, session: DbSession, user: CurrentUser, ctx: Ctx, actor: ActorDep
) -> dict[str, Any]:
    """Turn points into wallet credit at the published rate (``GET /users/me/loyalty``,
    ``redeem_rate``). Send an ``Idempotency-Key``: a retry then never redeems twice."""
    entry, left = await loyalty.redeem(session, ctx.settings, user, data.points, actor)
    out = loyalty.entry_to_api(entry)
    return {
        "redeemed": data.points,
        "credit": out["credit"],
        "points": left,
        "wallet_entry_id": str(entry.wallet_entry_id),
        "entry": out,
    }
