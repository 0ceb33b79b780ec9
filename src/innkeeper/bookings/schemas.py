from __future__ import annotations

import datetime as dt
import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StringConstraints,
    Tag,
    model_validator,
)

from innkeeper.identity.schemas import DateOfBirth, Email, FullName, Gender, Nationality, Phone
from innkeeper.kit.outputs import Instant, Out
from innkeeper.kit.schemas import MoneyIn, MoneyOut
from innkeeper.payments.schemas import PaymentOut

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
#: a count of rooms, guests or attendees: a JSON integer (``true`` or ``"2"`` is 422, not 1 or 2)
Count = Annotated[int, Strict()]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FullName
    email: Email
    phone: Phone | None = None


class BookingTerms(BaseModel):
    """What every booking request carries, whatever it books."""

    model_config = ConfigDict(extra="forbid")

    contact: Contact | None = None
    expected_total: MoneyIn | None = None
    promo_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = None
    notes: Text | None = None
    #: what the guest asks for (late arrival, a cot, ...): kept on the booking, shown to staff
    special_requests: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class TakenByStaff(BaseModel):
    """A booking staff take at the desk: where it came from, and confirmed without payment."""

    source: Literal["direct", "phone", "walk_in", "ota"] = "direct"
    confirm: bool = False


class BookingIn(BookingTerms):
    room_type_id: uuid.UUID
    checkin: date
    checkout: date
    rooms: Count = Field(1, ge=1, le=1000)
    guests: Count = Field(2, ge=1, le=1000)


class StaffBookingIn(BookingIn, TakenByStaff):
    pass


class AddressIn(BaseModel):
    """Where a travelling professional goes; the coordinates price the trip."""

    model_config = ConfigDict(extra="forbid")
    line: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class AddonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    quantity: Count = Field(1, ge=1, le=1000)


class SlotBookingIn(BookingTerms):
    """A slot of an hourly resource. ``start``/``end``: ISO 8601 with an offset, or naive and then read
    in the property's time zone (a naive time in a DST gap is 422)."""

    resource_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime
    attendees: Count | None = Field(None, ge=1, le=100_000)
    mode: Literal["on_site", "travel", "online"] | None = None
    address: AddressIn | None = None
    addons: list[AddonIn] = Field(default_factory=list, max_length=50)


class StaffSlotBookingIn(SlotBookingIn, TakenByStaff):
    pass


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: dt.datetime
    end: dt.datetime
    expected_total: MoneyIn | None = None


def _booking_kind(value: Any) -> str:
    """A body naming a ``resource_id`` books a slot; anything else a stay."""
    has = value.get("resource_id") if isinstance(value, dict) else getattr(value, "resource_id", None)
    return "slot" if has is not None else "stay"


#: ``POST /bookings``: a stay or a slot, told apart by ``resource_id``
AnyBookingIn = Annotated[
    Annotated[BookingIn, Tag("stay")] | Annotated[SlotBookingIn, Tag("slot")], Discriminator(_booking_kind)
]
#: ``POST /properties/{id}/bookings``: the same, taken by staff
AnyStaffBookingIn = Annotated[
    Annotated[StaffBookingIn, Tag("stay")] | Annotated[StaffSlotBookingIn, Tag("slot")],
    Discriminator(_booking_kind),
]


DocumentType = Literal["passport", "national_id", "driving_license", "other"]
DocumentNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40, pattern=r"^[A-Za-z0-9 \-]+$")
]


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(None, ge=0, le=130)
    id_document_type: DocumentType | None = None
    id_document_number: DocumentNumber | None = None
    date_of_birth: DateOfBirth | None = None
    gender: Gender | None = None
    nationality: Nationality | None = Field(None, description="ISO 3166-1 alpha-2")

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


class SavedGuestPatch(_Document):
    """``PATCH /users/me/guests/{id}``: the fields sent change (``null`` clears an optional one); a new
    document number comes with its type."""

    name: FullName | None = None

    @model_validator(mode="after")
    def _both(self) -> SavedGuestPatch:
        if self.id_document_number is not None and self.id_document_type is None:
            raise ValueError("give id_document_type with id_document_number")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text | None = None


class ModifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkin: date | None = None
    checkout: date | None = None
    room_type_id: uuid.UUID | None = None
    rooms: Count | None = Field(None, ge=1, le=1000)
    guests: Count | None = Field(None, ge=1, le=1000)
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
    amount: MoneyIn | None = None
    from_wallet: MoneyIn | None = None


class CheckOutIn(BaseModel):
    """``settle``: pay the folio's remaining balance by this method first (consolidated check-out)."""

    model_config = ConfigDict(extra="forbid")
    settle: Literal["card", "wallet"] | None = None


class CreditNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text | None = None


# -- answers: the shapes ``bookings.present`` and ``billing.folio`` / ``billing.invoices`` build -------------


class ContactOut(Out):
    name: str
    email: str
    phone: str | None


class GuestOut(Out):
    """A guest on a booking; the identity document number is only ever shown masked."""

    id: uuid.UUID
    name: str
    age: int | None
    id_document_type: str | None
    id_document_number: str | None = Field(examples=["•••• 1234"])
    saved_guest_id: uuid.UUID | None
    date_of_birth: date | None
    gender: str | None
    nationality: str | None


class RefundDueOut(Out):
    amount: MoneyOut
    percent: int = Field(description="Share of what was paid that the cancellation policy refunds")
    destination: str = Field(examples=["card"])


class BookingOut(Out):
    """A booking as listed; its money comes from the folio (``paid``, ``balance_due``)."""

    id: uuid.UUID
    reference: str = Field(examples=["IK-7K3F9QZ"])
    status: str = Field(examples=["reserved"])
    payment_status: str = Field(examples=["unpaid"])
    expires_at: Instant | None = Field(description="Until when an unpaid reservation holds its rooms")
    property_id: uuid.UUID
    kind: Literal["stay", "slot"] = Field(description="nights of a room type, or a slot of a resource")
    room_type_id: uuid.UUID | None = Field(description="a stay's room type (null for a slot)")
    resource_id: uuid.UUID | None = Field(description="a slot's resource (null for a stay)")
    start: Instant | None = Field(description="a slot's start, with the property's offset")
    end: Instant | None = Field(description="a slot's end, with the property's offset")
    attendees: int | None
    mode: str | None = Field(examples=["on_site"])
    address: dict[str, Any] | None
    addons: list[dict[str, Any]] | None
    checkin: date
    checkout: date
    departure: date = Field(description="The last night sold ends here (an early departure moves it)")
    rooms: int
    guests: int
    source: str = Field(examples=["web"])
    contact: ContactOut
    total: MoneyOut
    paid: MoneyOut
    balance_due: MoneyOut
    refund_due: MoneyOut
    promo_code: str | None
    special_requests: str | None = Field(description="What the guest asked for when booking")
    quote: dict[str, Any]
    cancellation_policy: dict[str, Any]
    payment_policy: dict[str, Any]
    created_at: Instant
    confirmed_at: Instant | None
    cancelled_at: Instant | None
    checked_in_at: Instant | None
    checked_out_at: Instant | None


class BookingDetailOut(BookingOut):
    """A booking with its guests."""

    guest_list: list[GuestOut]


class BookingCreatedOut(BookingDetailOut):
    guest_token: str | None = Field(
        None, description="Only for a booking made without an account: manages it (X-Guest-Token)"
    )


class BookingCancelledOut(BookingDetailOut):
    refund: RefundDueOut


class InvoiceRefOut(Out):
    id: uuid.UUID
    number: str | None = Field(examples=["INV-HOTEL-TEST-000001"])


class CheckedOutOut(BookingDetailOut):
    """After check-out: the invoice issued (200); or, with ``settle`` by card, the payments started
    (202: the check-out completes when they succeed)."""

    invoice: InvoiceRefOut | None = None
    payments: list[PaymentOut] | None = None


class BookingStateOut(Out):
    status: str
    payment_status: str


class BookingPaymentOut(PaymentOut):
    """The payment made (the card part when a wallet paid the rest), every payment made, and the
    booking's state after them."""

    model_config = ConfigDict(extra="forbid")
    payments: list[PaymentOut]
    booking: BookingStateOut


class BookingEventOut(Out):
    at: Instant
    action: str = Field(examples=["created"])
    from_status: str | None
    to_status: str | None
    actor_user_id: uuid.UUID | None
    ip: str | None
    data: dict[str, Any] | None


class RoomAssignmentOut(Out):
    room_id: uuid.UUID
    number: str
    start_date: date
    end_date: date
    active: bool
    reason: str | None


class SavedGuestOut(Out):
    id: uuid.UUID
    name: str
    age: int | None
    id_document_type: str | None
    id_document_number: str | None
    date_of_birth: date | None
    gender: str | None
    nationality: str | None
    created_at: Instant


class FolioEntryOut(Out):
    id: uuid.UUID
    kind: str = Field(examples=["charge"])
    category: str = Field(examples=["accommodation"])
    description: str
    date: dt.date | None = Field(description="The night or day it is for, if any")
    amount: MoneyOut
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    posted_at: Instant


class FolioTotalsOut(Out):
    charges: MoneyOut
    payments: MoneyOut
    refunds: MoneyOut
    paid: MoneyOut
    balance: MoneyOut
    balance_due: MoneyOut


class FolioOut(FolioTotalsOut):
    """The booking's running bill: every row, and the sums over them."""

    items: list[FolioEntryOut]
    total: int


class InvoiceFolioOut(Out):
    lines: list[FolioEntryOut]
    payments: list[FolioEntryOut]
    charges: MoneyOut
    paid: MoneyOut
    balance: MoneyOut
    balance_due: MoneyOut


class InvoiceListedOut(Out):
    id: uuid.UUID
    number: str | None
    kind: str = Field(examples=["invoice"])
    issued_at: Instant


class InvoiceOut(BaseModel):
    """An invoice or credit note (a frozen snapshot of the folio when it was issued: the seller,
    buyer, stay, lines, taxes and totals), or the folio as a draft before one is issued."""

    # an issued document is kept exactly as it was issued, whatever the fields of later versions
    model_config = ConfigDict(extra="allow")

    id: uuid.UUID | None = Field(None, description="Absent on a draft")
    number: str | None = Field(examples=["INV-HOTEL-TEST-000001"])
    kind: str = Field(examples=["invoice"], description="invoice, credit_note or draft")
    booking_id: uuid.UUID
    reference: str
    currency: str
    total: MoneyOut


class InvoiceViewOut(InvoiceOut):
    """``GET /bookings/{id}/invoice``: the live invoice (else the draft), with the folio as it stands
    now and every document issued."""

    folio: InvoiceFolioOut
    documents: list[InvoiceListedOut]
