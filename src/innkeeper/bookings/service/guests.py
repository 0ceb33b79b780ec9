"""Guests on a booking and saved guest profiles. Identity document numbers are sealed with the
rotatable field keys and only ever shown masked (last four characters)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.bookings import lifecycle
from innkeeper.bookings.errors import BookingExpired, InvalidBooking
from innkeeper.bookings.models import HOLD_STATES, Booking, BookingGuest, SavedGuest, Status
from innkeeper.bookings.schemas import GuestIn, SavedGuestIn, SavedGuestPatch
from innkeeper.bookings.service.expiry import expire_if_lapsed
from innkeeper.context import AppContext
from innkeeper.identity.models import User
from innkeeper.kit.errors import NotFound, ValidationFailed


def _seal(ctx: AppContext, number: str | None) -> tuple[str | None, str | None]:
    if number is None:
        return None, None
    cleaned = number.replace(" ", "").upper()
    return ctx.crypto.seal(cleaned), cleaned[-4:]


async def set_guests(
    ctx: AppContext,
    session: AsyncSession,
    b: Booking,
    guests: list[GuestIn],
    *,
    user: User | None,
    actor: Actor,
) -> list[BookingGuest]:
    if await expire_if_lapsed(session, b):
        raise BookingExpired("The reservation has expired")
    lifecycle.require(b, *HOLD_STATES, Status.confirmed, Status.checked_in, action="change the guests of")
    if not guests:
        raise InvalidBooking(
            "Give at least one guest", errors=[{"field": "body", "message": "empty", "type": "min"}]
        )
    if len(guests) > b.guests:
        raise InvalidBooking(
            f"The booking is for {b.guests} guest(s); {len(guests)} given",
            errors=[{"field": "body", "message": f"at most {b.guests} guests", "type": "max"}],
        )
    profiles: dict[uuid.UUID, SavedGuest] = {}
    wanted = [g.saved_guest_id for g in guests if g.saved_guest_id]
    if wanted:
        if user is None:
            raise NotFound("No such saved guest", code="guest.not_found")
        rows = (
            await session.scalars(
                select(SavedGuest).where(SavedGuest.id.in_(wanted), SavedGuest.user_id == user.id)
            )
        ).all()
        profiles = {p.id: p for p in rows}
        if len(profiles) != len(set(wanted)):
            raise NotFound("No such saved guest", code="guest.not_found")
    await session.execute(delete(BookingGuest).where(BookingGuest.booking_id == b.id))
    out = []
    for position, g in enumerate(guests):
        profile = profiles.get(g.saved_guest_id) if g.saved_guest_id else None
        enc, last4 = _seal(ctx, g.id_document_number)
        row = BookingGuest(
            booking_id=b.id,
            position=position,
            name=g.name or (profile.name if profile else ""),
            age=g.age if g.age is not None else (profile.age if profile else None),
            id_document_type=g.id_document_type or (profile.id_document_type if profile else None),
            id_document_number_enc=enc or (profile.id_document_number_enc if profile else None),
            id_document_last4=last4 or (profile.id_document_last4 if profile else None),
            saved_guest_id=profile.id if profile else None,
            # (a person's details: as given, else the saved profile's)
            date_of_birth=g.date_of_birth or (profile.date_of_birth if profile else None),
            gender=g.gender or (profile.gender if profile else None),
            nationality=g.nationality or (profile.nationality if profile else None),
        )
        session.add(row)
        out.append(row)
        if g.save and user is not None and profile is None:
            session.add(
                SavedGuest(
                    user_id=user.id,
                    name=row.name,
                    age=row.age,
                    id_document_type=row.id_document_type,
                    id_document_number_enc=row.id_document_number_enc,
                    id_document_last4=row.id_document_last4,
                    date_of_birth=row.date_of_birth,
                    gender=row.gender,
                    nationality=row.nationality,
                )
            )
    if b.status in (Status.reserved, Status.payment_pending):
        await lifecycle.move(session, b, Status.guests_added, actor, "guests_added", data={"count": len(out)})
    else:
        await lifecycle.event(
            session, b, actor, "guests_changed", from_status=b.status, data={"count": len(out)}
        )
    return out


async def booking_guests(session: AsyncSession, booking_id: uuid.UUID) -> list[BookingGuest]:
    return list(
        (
            await session.scalars(
                select(BookingGuest)
                .where(BookingGuest.booking_id == booking_id)
                .order_by(BookingGuest.position)
            )
        ).all()
    )


async def save_profile(ctx: AppContext, session: AsyncSession, user: User, data: SavedGuestIn) -> SavedGuest:
    enc, last4 = _seal(ctx, data.id_document_number)
    profile = SavedGuest(
        user_id=user.id,
        name=data.name,
        age=data.age,
        id_document_type=data.id_document_type,
        id_document_number_enc=enc,
        id_document_last4=last4,
        date_of_birth=data.date_of_birth,
        gender=data.gender,
        nationality=data.nationality,
    )
    session.add(profile)
    await session.flush()
    return profile


async def update_profile(
    ctx: AppContext,
    session: AsyncSession,
    user: User,
    profile_id: uuid.UUID,
    data: SavedGuestPatch,
    actor: Actor,
) -> SavedGuest:
    """Change the fields sent (``null`` clears an optional one); bookings that used the profile keep
    their own copy of the guest. The audit row names the fields changed, never their values (PII)."""
    profile = await session.scalar(
        select(SavedGuest).where(SavedGuest.id == profile_id, SavedGuest.user_id == user.id)
    )
    if profile is None:
        raise NotFound("No such saved guest", code="guest.not_found")
    fields = sorted(data.model_fields_set)
    for key in fields:
        if key == "id_document_number":
            profile.id_document_number_enc, profile.id_document_last4 = _seal(ctx, data.id_document_number)
        elif key == "id_document_type" and data.id_document_type is None:
            # no type, no number: a document is whole or absent
            profile.id_document_type = profile.id_document_number_enc = profile.id_document_last4 = None
        else:
            setattr(profile, key, getattr(data, key))
    if (profile.id_document_type is None) != (profile.id_document_number_enc is None):
        raise ValidationFailed(
            "give id_document_type and id_document_number together",
            errors=[
                {"field": "id_document_number", "message": "type and number together", "type": "document"}
            ],
        )
    if fields:
        await session.flush()
        record(session, actor, "saved_guest.updated", "saved_guest", profile.id, after={"fields": fields})
    return profile


async def profiles(session: AsyncSession, user: User) -> list[SavedGuest]:
    return list(
        (
            await session.scalars(
                select(SavedGuest).where(SavedGuest.user_id == user.id).order_by(SavedGuest.created_at)
            )
        ).all()
    )


async def delete_profile(session: AsyncSession, user: User, profile_id: uuid.UUID) -> None:
    result = await session.execute(
        delete(SavedGuest).where(SavedGuest.id == profile_id, SavedGuest.user_id == user.id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound("No such saved guest", code="guest.not_found")


async def reseal_all(ctx: AppContext, session: AsyncSession) -> int:
    """Re-encrypt every stored document number with the newest key (after adding a key)."""
    count = 0
    sealed_rows: list[BookingGuest | SavedGuest] = [
        *(
            await session.scalars(
                select(BookingGuest).where(BookingGuest.id_document_number_enc.is_not(None))
            )
        ),
        *(await session.scalars(select(SavedGuest).where(SavedGuest.id_document_number_enc.is_not(None)))),
    ]
    for row in sealed_rows:
        assert row.id_document_number_enc is not None
        row.id_document_number_enc = ctx.crypto.rotate(row.id_document_number_enc)
        count += 1
    return count
