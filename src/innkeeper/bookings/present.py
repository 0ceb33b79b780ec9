"""The API views of a booking and of what hangs off it (the shapes of ``bookings.schemas``' ``*Out``)."""

from __future__ import annotations

from typing import Any

from innkeeper.billing.folio import Totals
from innkeeper.bookings.models import Booking, BookingEvent, BookingGuest, RoomAssignment, SavedGuest, Status
from innkeeper.kit.crypto import mask
from innkeeper.kit.money import Money


def _masked(last4: str | None) -> str | None:
    return mask("0000" + last4) if last4 else None


def _person(p: BookingGuest | SavedGuest) -> dict[str, Any]:
    return {
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
        "gender": p.gender,
        "nationality": p.nationality,
    }


def guest_to_api(g: BookingGuest) -> dict[str, Any]:
    return {
        "id": str(g.id),
        "name": g.name,
        "age": g.age,
        "id_document_type": g.id_document_type,
        "id_document_number": _masked(g.id_document_last4),
        "saved_guest_id": str(g.saved_guest_id) if g.saved_guest_id else None,
        **_person(g),
    }


def _slot_times(b: Booking) -> dict[str, str | None]:
    """A slot's start and end with the property's offset (as its quote has them), else nulls."""
    if b.start_at is None or b.end_at is None:
        return {"start": None, "end": None}
    quote = b.quote or {}
    return {
        "start": quote.get("start") or b.start_at.isoformat(),
        "end": quote.get("end") or b.end_at.isoformat(),
    }


def new_booking_totals(b: Booking) -> Totals:
    """The folio of a booking made in this request: it charges exactly the quote, nothing is paid."""
    return Totals(b.currency, b.total_minor, 0, 0)


def booking_to_api(
    b: Booking,
    totals: Totals,
    *,
    guests: list[BookingGuest] | None = None,
    guest_token: str | None = None,
    refund: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The booking with its money read from its folio ``totals`` (never a stored number); nothing is
    due on a cancelled or expired booking."""
    due = 0 if b.status in (Status.expired, Status.cancelled) else totals.balance_due
    out: dict[str, Any] = {
        "id": str(b.id),
        "reference": b.reference,
        "status": b.status,
        "payment_status": b.payment_status,
        "expires_at": b.expires_at.isoformat() if b.expires_at else None,
        "property_id": str(b.property_id),
        "kind": b.kind,
        "room_type_id": str(b.room_type_id) if b.room_type_id else None,
        "resource_id": str(b.resource_id) if b.resource_id else None,
        **_slot_times(b),
        "attendees": b.attendees,
        "mode": b.mode,
        "address": b.address,
        "addons": b.addons,
        "checkin": b.checkin.isoformat(),
        "checkout": b.checkout.isoformat(),
        "departure": b.sold_until.isoformat(),
        "rooms": b.rooms,
        "guests": b.guests,
        "source": b.source,
        "contact": {"name": b.contact_name, "email": b.contact_email, "phone": b.contact_phone},
        "total": Money(b.total_minor, b.currency).to_api(),
        "paid": Money(totals.paid, b.currency).to_api(),
        "balance_due": Money(due, b.currency).to_api(),
        "refund_due": Money(b.refund_due_minor, b.currency).to_api(),
        "promo_code": b.promo_code,
        "special_requests": b.special_requests,
        "quote": b.quote,
        "cancellation_policy": b.cancellation_policy,
        "payment_policy": b.payment_policy,
        "created_at": b.created_at.isoformat(),
        "confirmed_at": b.confirmed_at.isoformat() if b.confirmed_at else None,
        "cancelled_at": b.cancelled_at.isoformat() if b.cancelled_at else None,
        "checked_in_at": b.checked_in_at.isoformat() if b.checked_in_at else None,
        "checked_out_at": b.checked_out_at.isoformat() if b.checked_out_at else None,
    }
    if guests is not None:
        out["guest_list"] = [guest_to_api(g) for g in guests]
    if guest_token is not None:
        out["guest_token"] = guest_token
    if refund is not None:
        out["refund"] = refund
    return out


def event_to_api(e: BookingEvent) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "action": e.action,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor_user_id": str(e.actor_user_id) if e.actor_user_id else None,
        "ip": e.actor_ip,
        "data": e.data,
    }


def assignment_to_api(a: RoomAssignment, number: str) -> dict[str, Any]:
    return {
        "room_id": str(a.room_id),
        "number": number,
        "start_date": a.start_date.isoformat(),
        "end_date": a.end_date.isoformat(),
        "active": a.active and a.ended_at is None,
        "reason": a.reason,
    }


def saved_guest_to_api(p: SavedGuest) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "age": p.age,
        "id_document_type": p.id_document_type,
        "id_document_number": _masked(p.id_document_last4),
        **_person(p),
        "created_at": p.created_at.isoformat(),
    }
