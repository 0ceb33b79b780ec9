"""The API view of a booking."""

from __future__ import annotations

from typing import Any

from innkeeper.bookings.models import Booking, BookingGuest
from innkeeper.kit.crypto import mask
from innkeeper.kit.money import Money


def guest_to_api(g: BookingGuest) -> dict[str, Any]:
    return {
        "id": str(g.id),
        "name": g.name,
        "age": g.age,
        "id_document_type": g.id_document_type,
        "id_document_number": mask("0000" + g.id_document_last4) if g.id_document_last4 else None,
        "saved_guest_id": str(g.saved_guest_id) if g.saved_guest_id else None,
    }


def booking_to_api(
    b: Booking,
    *,
    paid_minor: int = 0,
    balance_due_minor: int | None = None,
    guests: list[BookingGuest] | None = None,
    guest_token: str | None = None,
    refund: dict[str, Any] | None = None,
) -> dict[str, Any]:
    total = Money(b.total_minor, b.currency)
    out: dict[str, Any] = {
        "id": str(b.id),
        "reference": b.reference,
        "status": b.status,
        "payment_status": b.payment_status,
        "expires_at": b.expires_at.isoformat() if b.expires_at else None,
        "property_id": str(b.property_id),
        "room_type_id": str(b.room_type_id),
        "checkin": b.checkin.isoformat(),
        "checkout": b.checkout.isoformat(),
        "departure": b.sold_until.isoformat(),
        "rooms": b.rooms,
        "guests": b.guests,
        "source": b.source,
        "contact": {"name": b.contact_name, "email": b.contact_email, "phone": b.contact_phone},
        "total": total.to_api(),
        "paid": Money(paid_minor, b.currency).to_api(),
        "balance_due": Money(
            max(0, b.total_minor - paid_minor) if balance_due_minor is None else balance_due_minor, b.currency
        ).to_api(),
        "refund_due": Money(b.refund_due_minor, b.currency).to_api(),
        "promo_code": b.promo_code,
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
