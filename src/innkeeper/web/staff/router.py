"""Staff console pages: the console's routers in one (``app.py`` includes this one under ``/staff``)."""

from __future__ import annotations

from fastapi import APIRouter

from innkeeper.web.staff import (
    booking_actions,
    bookings,
    engagement,
    home,
    members,
    orders,
    pages_cms,
    pricing_pages,
    rates,
    reports,
    rooms,
    schedule,
    settings,
)

router = APIRouter(include_in_schema=False)
for part in (
    home.router,
    bookings.router,
    booking_actions.router,
    orders.router,
    rooms.router,
    rates.router,
    reports.router,
    engagement.router,
    members.router,
    schedule.router,
    settings.router,
    pricing_pages.router,
    pages_cms.router,
):
    router.include_router(part)
