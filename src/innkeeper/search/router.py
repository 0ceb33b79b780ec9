"""Public catalog: search, locations, property pages, availability, price calendar, quotes (no auth)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response

from innkeeper.catalog.errors import PropertyNotFound, RoomTypeNotFound
from innkeeper.catalog.rooms import room_type_of
from innkeeper.catalog.schemas import check_slug
from innkeeper.identity.deps import AnonymousReads, Ctx, OptionalUser
from innkeeper.kit.errors import ValidationFailed
from innkeeper.kit.http import DbSession, ReadRoute, fast_json
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import problem_responses
from innkeeper.pricing import service as pricing
from innkeeper.pricing.errors import PromoInvalid
from innkeeper.search import service
from innkeeper.search.finder import catalog_cache
from innkeeper.search.schemas import (
    AvailabilityOut,
    CalendarOut,
    LocationOut,
    PublicPropertyOut,
    PublicQuoteOut,
    SearchPageOut,
)
from innkeeper.search.service import SearchParams

# anonymous callers have a per-IP budget (INNKEEPER_ANONYMOUS_READ_RATE_LIMIT): 429 past it
router = APIRouter(
    route_class=ReadRoute,
    tags=["catalog"],
    dependencies=[AnonymousReads],
    responses=problem_responses(422, 429),
)
#: an optional bearer token that is invalid or expired is still refused
SIGNED_IN_OR_NOT = (401,)
NO_PROPERTY = (PropertyNotFound, (422, "property.invalid_slug"))

Guests = Annotated[int, Query(ge=1, le=1000)]
Rooms = Annotated[int, Query(ge=1, le=1000)]
Price = Annotated[Decimal | None, Query(ge=0, le=10**9, max_digits=14, decimal_places=3)]


def _slug(slug: str) -> str:
    try:
        return check_slug(slug)
    except ValueError as exc:
        raise ValidationFailed(
            "Malformed slug",
            code="property.invalid_slug",
            errors=[{"field": "slug", "message": str(exc), "type": "slug"}],
        ) from exc


SlugPath = Annotated[str, Path(max_length=200)]


def _split(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [part.strip().lower() for part in v.split(",") if part.strip()]
    return out


def _stars(values: list[str] | None) -> list[int]:
    out = []
    for v in _split(values):
        if not v.isdigit() or not 1 <= int(v) <= 5:
            raise ValidationFailed(
                "stars are 1-5", errors=[{"field": "stars", "message": "stars are 1-5", "type": "stars"}]
            )
        out.append(int(v))
    return out


@router.get(
    "/search",
    # answered with fast_json (no validation pass over the hot path): the model documents the shape
    response_model=SearchPageOut,
    responses=problem_responses(*SIGNED_IN_OR_NOT, (422, "search.invalid")),
)
async def search(
    session: DbSession,
    ctx: Ctx,
    user: OptionalUser,
    page: PageParams,
    checkin: date,
    checkout: date,
    guests: Guests = 2,
    rooms: Rooms = 1,
    city: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20_000)] = None,
    min_price: Price = None,
    max_price: Price = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    amenities: Annotated[list[str] | None, Query()] = None,
    stars: Annotated[list[str] | None, Query()] = None,
    sort: Literal["price", "rating", "distance"] = "price",
) -> Response:
    params = SearchParams(
        checkin=checkin,
        checkout=checkout,
        guests=guests,
        rooms=rooms,
        city=city,
        lat=lat,
        lng=lng,
        radius_km=radius_km,
        min_price=min_price,
        max_price=max_price,
        currency=currency,
        amenities=_split(amenities),
        stars=_stars(stars),
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    items, total = await service.search(session, ctx.settings, params, user, catalog_cache(ctx))
    return fast_json({"items": items, "total": total, "limit": page.limit, "offset": page.offset})


@router.get("/locations", response_model=ListOf[LocationOut])
async def locations(
    session: DbSession,
    query: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    items = await service.locations(session, query, limit)
    return {"items": items, "total": len(items)}


@router.get(
    "/properties/{slug}",
    response_model=PublicPropertyOut,
    response_model_exclude_unset=True,  # the policies as stored: only the keys sent
    responses=problem_responses(*NO_PROPERTY),
)
async def property_page(slug: SlugPath, session: DbSession) -> dict[str, Any]:
    return await service.property_page(session, _slug(slug))


@router.get(
    "/properties/{slug}/availability",
    response_model=AvailabilityOut,
    response_model_exclude_unset=True,  # optional keys (the quote, a rule's factor) only when there
    responses=problem_responses(*SIGNED_IN_OR_NOT, *NO_PROPERTY, (422, "stay.invalid")),
)
async def availability(
    slug: SlugPath,
    session: DbSession,
    ctx: Ctx,
    user: OptionalUser,
    checkin: date,
    checkout: date,
    guests: Guests = 2,
    rooms: Rooms = 1,
) -> dict[str, Any]:
    return await service.availability(
        session, ctx.settings, _slug(slug), checkin, checkout, guests, rooms, user
    )


@router.get(
    "/properties/{slug}/calendar",
    response_model=CalendarOut,
    response_model_exclude_unset=True,  # a day not on sale has no min_stay nor closed_to_arrival
    responses=problem_responses(*NO_PROPERTY, RoomTypeNotFound, (422, "calendar.invalid")),
)
async def calendar(
    slug: SlugPath,
    session: DbSession,
    ctx: Ctx,
    room_type_id: uuid.UUID,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    return await service.calendar(session, ctx.settings, _slug(slug), room_type_id, from_, to)


@router.get(
    "/properties/{slug}/quote",
    response_model=PublicQuoteOut,
    response_model_exclude_unset=True,  # a rule's factor or override only when it has one
    responses=problem_responses(
        *SIGNED_IN_OR_NOT,
        *NO_PROPERTY,
        RoomTypeNotFound,
        (422, "stay.invalid"),
        PromoInvalid,
        (409, "inventory.unavailable"),
        (409, "inventory.capacity"),
    ),
)
async def quote(
    slug: SlugPath,
    session: DbSession,
    ctx: Ctx,
    user: OptionalUser,
    room_type_id: uuid.UUID,
    checkin: date,
    checkout: date,
    guests: Guests = 2,
    rooms: Rooms = 1,
    promo_code: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
) -> dict[str, Any]:
    prop = await service.public_property(session, _slug(slug))
    await room_type_of(session, prop.id, room_type_id)  # (404 for a deleted one, which is not for sale)
    result = await pricing.quote(
        session,
        ctx.settings,
        room_type_id,
        checkin,
        checkout,
        rooms=rooms,
        guests=guests,
        user=user,
        promo_code=promo_code,
        property_id=prop.id,
    )
    return {
        "property": {"id": str(prop.id), "slug": prop.slug, "name": prop.name},
        "room_type": {
            "id": str(result.room_type.id),
            "code": result.room_type.code,
            "name": result.room_type.name,
        },
        "available": result.available,
        **result.quote.to_api(),
    }
