from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from innkeeper.identity.schemas import Email, FullName, Phone
from innkeeper.payments.schemas import MoneyIn as PayMoney

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
MoneyIn = dict[str, Any] | str | int


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FullName
    email: Email
    phone: Phone | None = None


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room_type_id: uuid.UUID
    checkin: date
    checkout: date
    rooms: int = Field(1, ge=1, le=1000)
    guests: int = Field(2, ge=1, le=1000)
    contact: Contact | None = None
    expected_total: MoneyIn | None = None
    promo_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = None
    notes: Text | None = None


class StaffBookingIn(BookingIn):
    source: Literal["direct", "phone", "walk_in", "ota"] = "direct"
    confirm: bool = False


DocumentType = Literal["passport", "national_id", "driving_license", "other"]
DocumentNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40, pattern=r"^[A-Za-z0-9 \-]+$")
]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(None, ge=0, le=130)
    id_document_type: DocumentType | None = None
    id_document_number: DocumentNumber | None = None

    def _document_complete(self) -> bool:
        return (self.id_document_number is None) == (self.id_document_type is None)


class GuestIn(_Document):
    name: FullName | None = None
    saved_guest_id: uuid.UUID | None = None
    save: bool = False

    @model_validator(mode="after")
    def _name_or_profile(self) -> GuestIn:
        if self.name is None and self.saved_guest_id is None:
            raise ValueError("give a name or a saved_guest_id")
        if not self._document_complete() and self.saved_guest_id is None:
            raise ValueError("give id_document_type and id_document_number together")
        return self


class SavedGuestIn(_Document):
    name: FullName

    @model_validator(mode="after")
    def _both(self) -> SavedGuestIn:
        if not self._document_complete():
            raise ValueError("give id_document_type and id_document_number together")
        return self


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text | None = None


class ModifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkin: date | None = None
    checkout: date | None = None
    room_type_id: uuid.UUID | None = None
    rooms: int | None = Field(None, ge=1, le=1000)
    guests: int | None = Field(None, ge=1, le=1000)
    expected_total: MoneyIn | None = None


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room_id: uuid.UUID | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room_id: uuid.UUID | None = None
    reason: Text | None = None


class PayIn(BaseModel):
    """``POST /bookings/{id}/payments``: ``amount`` defaults to what the payment policy asks now (else
    the balance); ``from_wallet`` with ``method: card`` pays that part from the wallet, the rest by card."""

    model_config = ConfigDict(extra="forbid")
    method: Literal["card", "wallet"] = "card"
    amount: PayMoney | None = None
    from_wallet: PayMoney | None = None


class CheckOutIn(BaseModel):
    """``settle``: pay the folio's remaining balance by this method first (consolidated check-out)."""

    model_config = ConfigDict(extra="forbid")
    settle: Literal["card", "wallet"] | None = None


class CreditNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text | None = None
