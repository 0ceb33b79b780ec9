"""Reviews: written by the booker of a finished booking, moderated by the property's staff, counted in
the property's rating once published.

Rules:

* Only the booking's own customer (signed in) may review it, once, after it is ``checked_out`` (a stay
  checked out, or a slot completed after its end): otherwise 409 ``review.not_allowed``.
* A review is ``pending`` until a member whose role may ``reviews.moderate`` (moderator, manager,
  owner) or a platform admin publishes or rejects it (with a reason); a published review may be taken
  down (rejected) later, and a rejected one published. ``reviews_require_moderation = false``
  publishes on submission.
* The property answers a published review once.
* ``properties.rating_x10`` / ``review_count`` are recomputed from the published reviews whenever a
  review enters or leaves ``published``, under a per-property advisory lock (two moderators at once
  both count). That UPDATE of the property row runs in the moderation's transaction only, never in the
  booking path; it is a no-key update, which PostgreSQL lets through alongside the key-share locks that
  new bookings' foreign keys take on that row, so it does not hold bookings or searches back.
* Publishing emits ``ReviewPublished`` in the transaction (webhooks react to it).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings.models import Booking, Status
from innkeeper.catalog.models import Property
from innkeeper.engagement.errors import AlreadyModerated, ReplyNotAllowed, ReviewNotAllowed, ReviewNotFound
from innkeeper.engagement.events import ReviewPublished
from innkeeper.engagement.models import Review, ReviewStatus
from innkeeper.engagement.schemas import ModerateIn, ReplyIn, ReviewIn
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action, permits, role_at
from innkeeper.kit import events
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import advisory_lock
from innkeeper.kit.errors import Forbidden
from innkeeper.kit.ids import new_id
from innkeeper.kit.money import round_half_up

PUBLISHED = ReviewStatus.published.value


def author_name(user: User) -> str:
    """ "Ana S." from "Ana Sousa": enough to be a person, not enough to find them."""
    parts = (user.full_name or "").split()
    if not parts:
        return "Guest"
    first = parts[0][:60]
    return f"{first} {parts[-1][0].upper()}." if len(parts) > 1 else first


async def submit(
    session: AsyncSession, settings: Any, booking: Booking, user: User, data: ReviewIn, actor: Actor
) -> Review:
    """The booker's review of their finished booking (the caller holds the booking's row lock, so two
    submissions for one booking queue and the second finds the first)."""
    if booking.user_id != user.id:
        raise ReviewNotAllowed("Only the guest who booked may review this booking")
    if booking.status != Status.checked_out.value:
        raise ReviewNotAllowed("A booking can be reviewed after check-out (or after its slot ended)")
    if await session.scalar(select(Review.id).where(Review.booking_id == booking.id)) is not None:
        raise ReviewNotAllowed("This booking has been reviewed already")
    review = Review(
        id=new_id(),
        booking_id=booking.id,
        property_id=booking.property_id,
        user_id=user.id,
        rating=data.rating,
        title=data.title,
        body=data.body,
        author_name=author_name(user),
        status=ReviewStatus.pending.value,
    )
    session.add(review)
    await session.flush()
    record(
        session,
        actor,
        "review.submitted",
        "review",
        review.id,
        property_id=review.property_id,
        after={"booking_id": str(booking.id), "rating": review.rating, "status": review.status},
    )
    if not settings.reviews_require_moderation:
        await _set_status(session, review, ReviewStatus.published, None, actor)
    return review


async def for_moderation(session: AsyncSession, review_id: uuid.UUID, user: User) -> Review:
    """The review, locked, if ``user`` may moderate its property: 404 for anyone not on its staff (the
    review does not exist for them), 403 ``auth.role`` for a member whose role may not."""
    review = await session.scalar(select(Review).where(Review.id == review_id).with_for_update())
    if review is None:
        raise ReviewNotFound()
    if user.is_platform_admin:
        return review
    role = await role_at(session, user.id, review.property_id)
    if role is None:
        raise ReviewNotFound()
    if not permits(role, Action.reviews_moderate):
        raise Forbidden("Your role at this property does not allow this", code="auth.role")
    return review


async def moderate(session: AsyncSession, review: Review, data: ModerateIn, actor: Actor) -> Review:
    to = ReviewStatus.published if data.decision == "publish" else ReviewStatus.rejected
    if review.status == to.value:
        raise AlreadyModerated(f"The review is {review.status} already")
    await _set_status(session, review, to, data.reason, actor)
    return review


async def _set_status(
    session: AsyncSession, review: Review, to: ReviewStatus, reason: str | None, actor: Actor
) -> None:
    before = review.status
    now = utcnow()
    review.status = to.value
    review.moderated_by = actor.user_id
    review.moderated_at = now
    review.rejection_reason = reason if to == ReviewStatus.rejected else None
    if to == ReviewStatus.published:
        review.published_at = now
    await session.flush()
    record(
        session,
        actor,
        f"review.{to.value}",
        "review",
        review.id,
        property_id=review.property_id,
        before={"status": before},
        after={"status": review.status, "reason": review.rejection_reason},
    )
    if PUBLISHED in (before, review.status):
        await refresh_rating(session, review.property_id)
    if to == ReviewStatus.published:
        await events.emit(session, ReviewPublished(review, actor))


async def refresh_rating(session: AsyncSession, property_id: uuid.UUID) -> tuple[int | None, int]:
    """Recompute the property's ``rating_x10`` and ``review_count`` from its published reviews.

    The advisory lock serialises moderations of one property, so each count (a fresh snapshot per
    statement under READ COMMITTED) sees the other's committed review; SQLite writers are serialised
    anyway. Returns the new (rating_x10, review_count)."""
    await advisory_lock(session, f"reviews:{property_id}")
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Review.rating), 0)).where(
                Review.property_id == property_id, Review.status == PUBLISHED
            )
        )
    ).one()
    rating_x10 = round_half_up(Decimal(int(total) * 10) / int(count)) if count else None
    await session.execute(
        update(Property)
        .where(Property.id == property_id)
        .values(rating_x10=rating_x10, review_count=int(count))
        .execution_options(synchronize_session=False)
    )
    return rating_x10, int(count)


async def reply(session: AsyncSession, review: Review, data: ReplyIn, actor: Actor) -> Review:
    """The property's one answer to a published review."""
    if review.status != PUBLISHED:
        raise ReplyNotAllowed("Only a published review can be answered")
    if review.reply_body is not None:
        raise ReplyNotAllowed("The review has been answered already")
    review.reply_body = data.body
    review.reply_by = actor.user_id
    review.replied_at = utcnow()
    await session.flush()
    record(session, actor, "review.replied", "review", review.id, property_id=review.property_id)
    return review


async def published_page(
    session: AsyncSession, property_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Review], int]:
    where = (Review.property_id == property_id, Review.status == PUBLISHED)
    total = int(await session.scalar(select(func.count()).select_from(Review).where(*where)) or 0)
    rows = await session.scalars(
        select(Review)
        .where(*where)
        .order_by(Review.published_at.desc(), Review.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), total


async def staff_page(
    session: AsyncSession, property_id: uuid.UUID, status: str | None, *, limit: int, offset: int
) -> tuple[list[Review], int]:
    """The property's reviews for its moderators, oldest pending first."""
    stmt = select(Review).where(Review.property_id == property_id)
    if status is not None:
        stmt = stmt.where(Review.status == status)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.scalars(stmt.order_by(Review.created_at, Review.id).limit(limit).offset(offset))
    return list(rows.all()), total


async def of_user(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Review], int]:
    stmt = select(Review).where(Review.user_id == user_id)
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = await session.scalars(
        stmt.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.all()), total


async def of_booking(session: AsyncSession, booking_id: uuid.UUID) -> Review | None:
    """The booking's review, if written (there is at most one: ``reviews.booking_id`` is unique)."""
    found: Review | None = await session.scalar(select(Review).where(Review.booking_id == booking_id))
    return found


async def reviewed_booking_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The bookings ``user_id`` has reviewed: one query for a whole list of their stays."""
    rows = await session.scalars(select(Review.booking_id).where(Review.user_id == user_id))
    return set(rows.all())


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def public_to_api(r: Review) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "property_id": str(r.property_id),
        "rating": r.rating,
        "title": r.title,
        "body": r.body,
        "author_name": r.author_name,
        "created_at": r.created_at.isoformat(),
        "published_at": _iso(r.published_at),
        "reply": (
            {"body": r.reply_body, "replied_at": _iso(r.replied_at)} if r.reply_body is not None else None
        ),
    }


def review_to_api(r: Review) -> dict[str, Any]:
    return {
        **public_to_api(r),
        "booking_id": str(r.booking_id),
        "status": r.status,
        "rejection_reason": r.rejection_reason,
        "moderated_at": _iso(r.moderated_at),
    }
