"""Public search of hourly resources across properties (no auth; a bearer token prices with the
caller's loyalty discount)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from innkeeper.identity.deps import AnonymousReads, Ctx, OptionalUser
from innkeeper.kit.http import DbSession, ReadRoute
from innkeeper.kit.pagination import PageParams
from innkeeper.kit.problems import problem_responses
from innkeeper.pricing.resource_cards import resource_catalog_cache
from innkeeper.search.resource_schemas import ResourcePageOut
from innkeeper.search.resources import ResourceSearchParams, search_resources

# anonymous callers have a per-IP budget (INNKEEPER_ANONYMOUS_READ_RATE_LIMIT): 429 past it
router = APIRouter(
    route_class=ReadRoute,
    tags=["catalog"],
    dependencies=[AnonymousReads],
    responses=problem_responses(422, 429),
)

StartTime = Annotated[
    str | None,
    Query(
        pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$", description="Property-local HH:MM: only slots starting then"
    ),
]


@router.get(
    "/resources",
    response_model=ResourcePageOut,
    response_model_exclude_unset=True,  # distance_km only with lat/lng
    responses=problem_responses(401, (422, "search.invalid")),
)
async def search_resources_route(
    session: DbSession,
    ctx: Ctx,
    user: OptionalUser,
    page: PageParams,
    day: Annotated[date, Query(alias="date", description="Property-local")],
    kind: Literal["hall", "meeting_room", "professional"] | None = None,
    city: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    start_time: StartTime = None,
    duration_minutes: Annotated[int, Query(ge=1, le=24 * 60)] = 60,
    attendees: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    mode: Literal["on_site", "travel", "online"] | None = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20_000)] = None,
) -> dict[str, Any]:
    """Active resources of active properties with a free slot of ``duration_minutes`` on ``date``
    (``start_time``: starting exactly then), each with the price and start of its cheapest such slot;
    cheapest first. ``mode=travel``: professionals who travel as far as ``lat``/``lng``, the fee included."""
    params = ResourceSearchParams(
        day=day,
        kind=kind,
        city=city,
        category=category,
        start_minute=None if start_time is None else int(start_time[:2]) * 60 + int(start_time[3:]),
        duration_minutes=duration_minutes,
        attendees=attendees,
        mode=mode,
        lat=lat,
        lng=lng,
        radius_km=radius_km,
        limit=page.limit,
        offset=page.offset,
    )
    items, total = await search_resources(session, ctx.settings, params, user, resource_catalog_cache(ctx))
    return {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
