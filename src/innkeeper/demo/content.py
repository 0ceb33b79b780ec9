"""Demo data: CMS pages, so the site shows them (a hotel's house rules and directions, the venue's
directions, the platform's terms), made through ``content.service`` as the API's PUT makes them.

Idempotent: a page that exists is left as it is (an operator may have edited it)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor
from innkeeper.content import service as content
from innkeeper.content.models import Page
from innkeeper.content.schemas import PageIn
from innkeeper.demo.world import DemoWorld

DEMO = Actor.system("demo")

HOUSE_RULES = (
    "<p>Quiet hours are from 22:00 to 08:00. Smoking is not allowed anywhere in the building; pets are "
    "welcome on request.</p><ul><li>Check-in from {check_in}, check-out until {check_out}.</li>"
    "<li>Guests under 18 stay with an adult.</li><li>Towels for the pool are at the front desk.</li></ul>"
)
GETTING_HERE = (
    "<p>{name} is at {address}, {city}. From the airport, the metro takes about 30 minutes; a taxi about "
    "20. Ask the front desk for a transfer when you book.</p>"
)
TERMS = (
    "<p>Innkeeper's demo platform. Bookings made here are examples: nothing is charged and no stay "
    "happens. Prices include VAT where the property says so; each property's cancellation policy is "
    "shown before you book.</p>"
)


async def _ensure(
    session: AsyncSession, property_id: uuid.UUID | None, slug: str, title: str, body: str
) -> None:
    where = Page.property_id.is_(None) if property_id is None else Page.property_id == property_id
    if await session.scalar(select(Page.id).where(where, Page.slug == slug)) is None:
        await content.save_page(
            session, property_id, slug, PageIn(title=title, body_html=body, published=True), DEMO
        )


async def load(session: AsyncSession, world: DemoWorld) -> None:
    for hotel in world.hotels:
        times = {"check_in": f"{hotel.check_in_time:%H:%M}", "check_out": f"{hotel.check_out_time:%H:%M}"}
        await _ensure(session, hotel.id, "house-rules", "House rules", HOUSE_RULES.format(**times))
    for place in (*world.hotels, world.venue):
        where = {"name": place.name, "address": place.address or "the centre", "city": place.city}
        await _ensure(session, place.id, "getting-here", "Getting here", GETTING_HERE.format(**where))
    await _ensure(session, None, "terms", "Terms of use", TERMS)
