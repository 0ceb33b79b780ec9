"""A link that lets a guest who booked without an account manage the booking from any browser.

A booking made without an account is managed by the browser that holds its guest token. From anywhere
else, its reference and contact e-mail find it (read only), and ask for this link, which is e-mailed to
the booking's contact address, so only whoever reads that mailbox can use it. Opening the link shows
a page that changes nothing (mail scanners fetch links); its button gives the browser a new guest
token (the booking keeps only the newest: an older browser loses it).

The link carries ``{expires}.{mac}``: an HMAC with the server secret over the booking, the expiry and
the booking's current guest-token hash. It needs no table: it is void once it expires, and once used,
since using it changes that hash. Bookings of an account are managed by signing in; they get no link.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings import notify
from innkeeper.bookings.errors import BookingNotFound
from innkeeper.bookings.models import Booking
from innkeeper.context import AppContext
from innkeeper.kit.clock import utcnow
from innkeeper.kit.security import hash_token, random_token

#: how long an e-mailed link works
LINK_MINUTES = 60


class LinkInvalid(BookingNotFound):
    code = "booking.link_invalid"
    title = "This link has expired or was used already"


def may_have_link(b: Booking) -> bool:
    """A booking made without an account (an account's bookings are managed by signing in)."""
    return b.user_id is None


def _mac(secret: str, booking_id: uuid.UUID, expires: int, token_hash: str | None) -> str:
    message = f"booking-guest-link:{booking_id}:{expires}:{token_hash or '-'}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def link_token(secret: str, b: Booking, now: datetime) -> str:
    expires = int((now + timedelta(minutes=LINK_MINUTES)).timestamp())
    return f"{expires}.{_mac(secret, b.id, expires, b.guest_token_hash)}"


async def send_link(ctx: AppContext, session: AsyncSession, b: Booking) -> None:
    """E-mail the link to the booking's contact address (nothing for an account's booking)."""
    if not may_have_link(b):
        return
    token = link_token(str(ctx.settings.secret_key), b, utcnow())
    url = f"{ctx.settings.public_url}/book/{b.id}/access/{token}"
    await notify.access_link(ctx, session, b, url, LINK_MINUTES)


async def valid_link(
    ctx: AppContext, session: AsyncSession, booking_id: uuid.UUID, token: str, *, lock: bool = False
) -> Booking:
    """The booking a link is for, if the link is valid (changes nothing: a mail scanner that fetches
    the link does not use it up). 404 ``booking.link_invalid`` for a link expired, used, or forged."""
    expires_text, _, mac = token.partition(".")
    query = select(Booking).where(Booking.id == booking_id)
    b = await session.scalar(query.with_for_update() if lock else query)
    if b is None or not expires_text.isdigit() or not may_have_link(b):
        raise LinkInvalid()
    expires = int(expires_text)
    expected = _mac(str(ctx.settings.secret_key), b.id, expires, b.guest_token_hash)
    if not hmac.compare_digest(expected, mac) or expires < utcnow().timestamp():
        raise LinkInvalid()
    return b


async def open_link(
    ctx: AppContext, session: AsyncSession, booking_id: uuid.UUID, token: str, actor: Actor
) -> tuple[Booking, str]:
    """The booking and a new guest token for the browser that opened a valid link; the old token (and
    so this link) stop working. 404 ``booking.link_invalid`` as ``valid_link``."""
    b = await valid_link(ctx, session, booking_id, token, lock=True)
    raw = random_token()
    b.guest_token_hash = hash_token(raw)
    record(session, actor, "booking.guest_link_opened", "booking", b.id, property_id=b.property_id)
    return b, raw
