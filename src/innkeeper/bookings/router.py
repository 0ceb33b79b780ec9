"""HTTP layer for bookings (thin: parse, scope through ``access``, call a service, present)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import EmailStr
from sqlalchemy import func, select

from innkeeper.billing import folio, invoices, pdf
from innkeeper.bookings import access, lifecycle
from innkeeper.bookings.access import Caller
from innkeeper.bookings.errors import BookingNotFound, NotAllowed
from innkeeper.bookings.models import Booking, BookingEvent, RoomAssignment, Status
from innkeeper.bookings.present import booking_to_api
from innkeeper.bookings.schemas import (
    AssignIn,
    BookingIn,
    CancelIn,
    CheckInIn,
    CheckOutIn,
    CreditNoteIn,
    GuestIn,
    ModifyIn,
    PayIn,
    SavedGuestIn,
    StaffBookingIn,
)
from innkeeper.bookings.service import cancel as cancelling
from innkeeper.bookings.service import checkout, payment, stay
from innkeeper.bookings.service import confirm as confirming
from innkeeper.bookings.service import create as creating
from innkeeper.bookings.service import guests as guesting
from innkeeper.bookings.service import modify as modifying
from innkeeper.catalog.models import Room
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, Ctx, CurrentUser, OptionalUser, property_roles
from innkeeper.identity.models import PropertyRole, User
from innkeeper.kit.crypto import mask
from innkeeper.kit.http import DbSession, UnitOfWorkRoute, fast_json
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.pagination import PageParams
from innkeeper.payments.models import PaymentStatus
from innkeeper.payments.schemas import PaymentOut

router = APIRouter(route_class=UnitOfWorkRoute, tags=["bookings"])

GuestToken = Annotated[
    str | None,
    Header(
        alias="X-Guest-Token",
        max_length=100,
        description="The guest_token of a booking made without an account",
    ),
]
FRONT = (PropertyRole.owner, PropertyRole.manager, PropertyRole.front_desk)


QueryToken = Annotated[str | None, Query(alias="guest_token", max_length=100)]


async def _caller(user: OptionalUser, x_guest: GuestToken = None, q_guest: QueryToken = None) -> Caller:
    """The customer, the guest holding the booking's ``guest_token`` (header or query), or staff."""
    return Caller(user=user, guest_token=x_guest or q_guest)


CallerDep = Annotated[Caller, Depends(_caller)]


async def _view(session: DbSession, b: Booking, *, with_guests: bool = True, **extra: Any) -> dict[str, Any]:
    """The booking with its money read from the folio (never a stored number)."""
    t = await folio.totals(session, b)
    return booking_to_api(
        b,
        paid_minor=t.paid,
        balance_due_minor=0 if b.status in (Status.expired, Status.cancelled) else t.balance_due,
        guests=await guesting.booking_guests(session, b.id) if with_guests else None,
        **extra,
    )


@router.post("/bookings", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent])
async def create_booking(
    data: BookingIn, ctx: Ctx, session: DbSession, user: OptionalUser, actor: ActorDep
) -> Response:
    booking, token = await creating.create(ctx, session, data, user=user, actor=actor)
    # just created: its folio charges exactly the quote and nothing is paid, and it has no guests yet,
    # so there is nothing to read back (a test compares this with GET /bookings/{id})
    view = booking_to_api(
        booking, paid_minor=0, balance_due_minor=booking.total_minor, guests=[], guest_token=token
    )
    return fast_json(view, status.HTTP_201_CREATED)


@router.post(
    "/properties/{property_id}/bookings", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def staff_create_booking(
    property_id: uuid.UUID,
    data: StaffBookingIn,
    ctx: Ctx,
    session: DbSession,
    user: Annotated[User, Depends(property_roles(*FRONT))],
    actor: ActorDep,
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    booking, _ = await creating.create(ctx, session, data, user=user, actor=actor, staff_property=prop)
    return await _view(session, booking)


@router.get("/bookings")
async def list_bookings(
    session: DbSession,
    user: CurrentUser,
    page: PageParams,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    property_id: uuid.UUID | None = None,
    checkin_from: date | None = None,
    checkin_to: date | None = None,
) -> dict[str, Any]:
    stmt = access.visible_to(user)
    if status_:
        stmt = stmt.where(Booking.status == status_)
    if property_id:
        stmt = stmt.where(Booking.property_id == property_id)
    if checkin_from:
        stmt = stmt.where(Booking.checkin >= checkin_from)
    if checkin_to:
        stmt = stmt.where(Booking.checkin < checkin_to)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = (
        await session.scalars(
            stmt.order_by(Booking.checkin.desc(), Booking.id.desc()).limit(page.limit).offset(page.offset)
        )
    ).all()
    return {"items": [await _view(session, b, with_guests=False) for b in rows], "total": int(total or 0)}


@router.get("/bookings/lookup")
async def lookup(
    session: DbSession, reference: Annotated[str, Query(min_length=4, max_length=16)], email: EmailStr
) -> dict[str, Any]:
    b = await session.scalar(
        select(Booking).where(func.upper(Booking.reference) == reference.strip().upper())
    )
    if b is None or b.contact_email.lower() != str(email).lower():
        raise BookingNotFound("No booking with this reference and e-mail")
    return await _view(session, b)


@router.get("/bookings/{booking_id}")
async def get_booking(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    return await _view(session, await access.load(session, booking_id, caller))


@router.get("/bookings/{booking_id}/history")
async def history(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller)
    rows = (
        await session.scalars(
            select(BookingEvent)
            .where(BookingEvent.booking_id == b.id)
            .order_by(BookingEvent.at, BookingEvent.id)
        )
    ).all()
    items = [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor_user_id": str(e.actor_user_id) if e.actor_user_id else None,
            "ip": e.actor_ip,
            "data": e.data,
        }
        for e in rows
    ]
    return {"items": items, "total": len(items)}


@router.put("/bookings/{booking_id}/guests")
async def put_guests(
    booking_id: uuid.UUID,
    caller: CallerDep,
    guests: list[GuestIn],
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, lock=True)
    await guesting.set_guests(ctx, session, b, guests, user=user, actor=actor)
    return await _view(session, b)


@router.post("/bookings/{booking_id}/cancel")
async def cancel(
    booking_id: uuid.UUID,
    caller: CallerDep,
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
    data: CancelIn | None = None,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, lock=True)
    refund = await cancelling.cancel(ctx, session, b, actor, data.reason if data else None)
    return await _view(session, b, refund=refund)


@router.post("/bookings/{booking_id}/modify")
async def modify(
    booking_id: uuid.UUID,
    caller: CallerDep,
    data: ModifyIn,
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, lock=True)
    await modifying.modify(ctx, session, b, data, user=user, actor=actor)
    return await _view(session, b)


@router.post("/bookings/{booking_id}/confirm")
async def staff_confirm(
    booking_id: uuid.UUID, ctx: Ctx, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """Staff confirm without online payment, where the property lets guests pay at the property."""
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    if (b.payment_policy or {}).get("mode") != "at_property":
        raise NotAllowed("This booking's payment policy needs payment before confirmation")
    await confirming.confirm(ctx, session, b, actor, reason="staff, pay at property")
    return await _view(session, b)


@router.post("/bookings/{booking_id}/assign-room")
async def assign_room(
    booking_id: uuid.UUID, data: AssignIn, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    await stay.assign(session, b, actor, room_id=data.room_id, reason=data.reason)
    return await rooms_view(session, b)


@router.post("/bookings/{booking_id}/rooms/{room_id}/move")
async def move_room(
    booking_id: uuid.UUID,
    room_id: uuid.UUID,
    data: AssignIn,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    await stay.move(session, b, actor, from_room_id=room_id, to_room_id=data.room_id, reason=data.reason)
    return await rooms_view(session, b)


@router.get("/bookings/{booking_id}/rooms")
async def booking_rooms(booking_id: uuid.UUID, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), staff_roles=(*FRONT, PropertyRole.housekeeping))
    return await rooms_view(session, b)


async def rooms_view(session: DbSession, b: Booking) -> dict[str, Any]:
    rows = (
        await session.execute(
            select(RoomAssignment, Room.number)
            .join(Room, Room.id == RoomAssignment.room_id)
            .where(RoomAssignment.booking_id == b.id)
            .order_by(RoomAssignment.created_at)
        )
    ).all()
    items = [
        {
            "room_id": str(a.room_id),
            "number": number,
            "start_date": a.start_date.isoformat(),
            "end_date": a.end_date.isoformat(),
            "active": a.active and a.ended_at is None,
            "reason": a.reason,
        }
        for a, number in rows
    ]
    return {"items": items, "total": len(items)}


@router.post("/bookings/{booking_id}/check-in")
async def check_in(
    booking_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
    data: CheckInIn | None = None,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    await stay.check_in(session, b, actor, room_id=data.room_id if data else None)
    return await _view(session, b)


@router.post("/bookings/{booking_id}/check-out", response_model=None)
async def check_out(
    booking_id: uuid.UUID,
    ctx: Ctx,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
    data: CheckOutIn | None = None,
) -> dict[str, Any] | JSONResponse:
    """Check out; 409 ``booking.balance_due`` while the folio has a balance. With ``settle`` the
    balance is paid first: by wallet at once, by card when the payment succeeds (202 with the payment;
    the check-out then completes by itself). The invoice is issued and e-mailed with its PDF."""
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    lifecycle.require(b, Status.checked_in, action="check out")
    if data is not None and data.settle:
        made = await payment.settle(ctx, session, b, actor, user, method=data.settle)
        if any(p.status != PaymentStatus.succeeded for p in made):
            body = await _view(session, b)
            body["payments"] = [PaymentOut.of(ctx, p).model_dump(mode="json") for p in made]
            return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED)
    inv = await checkout.finish(ctx, session, b, actor)
    out = await _view(session, b)
    out["invoice"] = {"id": str(inv.id), "number": inv.snapshot.get("number")}
    return out


# -- payments, folio and invoices --------------------------------------------------------------------------


@router.post(
    "/bookings/{booking_id}/payments", status_code=status.HTTP_201_CREATED, dependencies=[Idempotent]
)
async def pay(
    booking_id: uuid.UUID,
    caller: CallerDep,
    data: PayIn,
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
) -> dict[str, Any]:
    """Pay (part of) a booking; the booking becomes ``payment_pending`` and is confirmed when its
    payment policy is met."""
    b = await access.load(session, booking_id, caller, lock=True)
    made = await payment.pay_booking(
        ctx,
        session,
        b,
        actor,
        user,
        method=data.method,
        amount=data.amount.money() if data.amount else None,
        from_wallet=data.from_wallet.money() if data.from_wallet else None,
    )
    primary = next((p for p in made if p.method == "card"), made[0])
    out: dict[str, Any] = PaymentOut.of(ctx, primary).model_dump(mode="json")
    out["payments"] = [PaymentOut.of(ctx, p).model_dump(mode="json") for p in made]
    out["booking"] = {"status": b.status, "payment_status": b.payment_status}
    return out


@router.get("/bookings/{booking_id}/folio")
async def get_folio(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller)
    rows = await folio.entries(session, b.id)
    t = await folio.totals(session, b)
    return {"items": [folio.entry_to_api(e) for e in rows], "total": len(rows), **t.to_api()}


@router.get("/bookings/{booking_id}/invoice")
async def get_invoice(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    """The live invoice if issued (else the folio as a draft), with the folio as it stands now."""
    b = await access.load(session, booking_id, caller)
    return await invoices.view(session, b)


@router.get("/bookings/{booking_id}/invoice.pdf", response_class=Response)
async def get_invoice_pdf(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> Response:
    b = await access.load(session, booking_id, caller)
    doc = await invoices.view(session, b)
    name = doc.get("number") or f"folio-{b.reference}"
    return Response(
        pdf.render(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.post("/bookings/{booking_id}/invoice", status_code=status.HTTP_201_CREATED)
async def issue_invoice(
    booking_id: uuid.UUID, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """Staff: issue the invoice now (on request); the live one if it exists."""
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    await invoices.issue(session, b, actor)
    return await invoices.view(session, b)


@router.post("/bookings/{booking_id}/invoice/credit-note", status_code=status.HTTP_201_CREATED)
async def credit_invoice(
    booking_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
    data: CreditNoteIn | None = None,
) -> dict[str, Any]:
    """Staff: reverse the live invoice with a credit note (the invoice itself never changes)."""
    b = await access.load(session, booking_id, Caller(user), lock=True, staff_roles=FRONT)
    note = await invoices.credit(session, b, actor, data.reason if data else None)
    return invoices.invoice_to_api(note)


# -- saved guest profiles ----------------------------------------------------------------------------------


def _profile(p: Any) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "name": p.name,
        "age": p.age,
        "id_document_type": p.id_document_type,
        "id_document_number": mask("0000" + p.id_document_last4) if p.id_document_last4 else None,
        "created_at": p.created_at.isoformat(),
    }


@router.post("/users/me/guests", status_code=status.HTTP_201_CREATED)
async def create_profile(
    data: SavedGuestIn, ctx: Ctx, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    return _profile(await guesting.save_profile(ctx, session, user, data))


@router.get("/users/me/guests")
async def list_profiles(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    items = [_profile(p) for p in await guesting.profiles(session, user)]
    return {"items": items, "total": len(items)}


@router.delete("/users/me/guests/{profile_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_profile(profile_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    await guesting.delete_profile(session, user, profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
