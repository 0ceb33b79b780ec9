"""HTTP layer for bookings (thin: parse, scope through ``access``, call a service, present).

Every booking route names the action it performs (``identity.permissions.Action``); ``access.load``
decides from it who may (the booker, staff whose role allows it, platform admins)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import EmailStr

from innkeeper.billing import folio, invoices, pdf
from innkeeper.billing.errors import InsufficientFunds
from innkeeper.billing.invoices import InvoiceConflict
from innkeeper.bookings import access, lifecycle
from innkeeper.bookings.access import Caller
from innkeeper.bookings.deps import CallerDep
from innkeeper.bookings.errors import (
    BookingNotFound,
    InvalidBooking,
    NotAllowed,
    RoomNotReady,
    RoomUnavailable,
)
from innkeeper.bookings.models import Booking, Status
from innkeeper.bookings.present import (
    assignment_to_api,
    booking_to_api,
    event_to_api,
    new_booking_totals,
    saved_guest_to_api,
)
from innkeeper.bookings.problems import SCOPED, SLOT_UNSELLABLE, STAFF, STATE, UNSELLABLE
from innkeeper.bookings.schemas import (
    AnyBookingIn,
    AnyStaffBookingIn,
    AssignIn,
    BookingCancelledOut,
    BookingCreatedOut,
    BookingDetailOut,
    BookingEventOut,
    BookingOut,
    BookingPaymentOut,
    CancelIn,
    CheckedOutOut,
    CheckInIn,
    CheckOutIn,
    CreditNoteIn,
    FolioOut,
    GuestIn,
    InvoiceOut,
    InvoiceViewOut,
    ModifyIn,
    PayIn,
    RescheduleIn,
    RoomAssignmentOut,
    SavedGuestIn,
    SavedGuestOut,
    SavedGuestPatch,
)
from innkeeper.bookings.service import cancel as cancelling
from innkeeper.bookings.service import checkout, payment, queries, stay
from innkeeper.bookings.service import confirm as confirming
from innkeeper.bookings.service import create as creating
from innkeeper.bookings.service import guests as guesting
from innkeeper.bookings.service import modify as modifying
from innkeeper.catalog.errors import RoomNotFound
from innkeeper.catalog.service import get_property
from innkeeper.identity.deps import ActorDep, AnonymousReads, Ctx, CurrentUser, OptionalUser, property_action
from innkeeper.identity.models import User
from innkeeper.identity.permissions import Action
from innkeeper.kit.http import DbSession, UnitOfWorkRoute
from innkeeper.kit.idempotency import Idempotent
from innkeeper.kit.pagination import ListOf, PageParams
from innkeeper.kit.problems import JSON_WRITE, problem_responses
from innkeeper.kit.schemas import CurrencyMismatch
from innkeeper.payments.errors import PaymentMethodUnavailable
from innkeeper.payments.models import PaymentStatus
from innkeeper.payments.schemas import PaymentOut

router = APIRouter(route_class=UnitOfWorkRoute, tags=["bookings"])


async def _view(session: DbSession, b: Booking, **extra: Any) -> dict[str, Any]:
    """The booking with its guests and its money read from the folio (never a stored number)."""
    return booking_to_api(
        b,
        await folio.totals(session, b),
        guests=await guesting.booking_guests(session, b.id),
        **extra,
    )


@router.post(
    "/bookings",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=BookingCreatedOut,
    response_model_exclude_unset=True,  # guest_token only for a booking made without an account
    responses=problem_responses(*JSON_WRITE, *UNSELLABLE, *SLOT_UNSELLABLE),
)
async def create_booking(
    data: AnyBookingIn, ctx: Ctx, session: DbSession, user: OptionalUser, actor: ActorDep
) -> dict[str, Any]:
    booking, token = await creating.create(ctx, session, data, user=user, actor=actor)
    # just created: nothing to read back (a test compares this with GET /bookings/{id})
    return booking_to_api(booking, new_booking_totals(booking), guests=[], guest_token=token)


@router.post(
    "/properties/{property_id}/bookings",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=BookingDetailOut,
    responses=problem_responses(*JSON_WRITE, 401, 403, 404, *UNSELLABLE, *SLOT_UNSELLABLE),
)
async def staff_create_booking(
    property_id: uuid.UUID,
    data: AnyStaffBookingIn,
    ctx: Ctx,
    session: DbSession,
    user: Annotated[User, Depends(property_action(Action.booking_create))],
    actor: ActorDep,
) -> dict[str, Any]:
    prop = await get_property(session, property_id)
    booking, _ = await creating.create(ctx, session, data, user=user, actor=actor, staff_property=prop)
    return await _view(session, booking)


@router.get("/bookings", response_model=ListOf[BookingOut], responses=problem_responses(401, 422))
async def list_bookings(
    session: DbSession,
    user: CurrentUser,
    page: PageParams,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    property_id: uuid.UUID | None = None,
    checkin_from: Annotated[date | None, Query(description="first arrival day (inclusive)")] = None,
    checkin_to: Annotated[date | None, Query(description="last arrival day (inclusive)")] = None,
) -> dict[str, Any]:
    """The caller's bookings and those of the properties where their role may see bookings. Arrival
    days are property-local dates; both bounds are inclusive."""
    filters = queries.BookingFilters(status_, property_id, checkin_from, checkin_to)
    rows, total = await queries.list_bookings(session, user, filters, limit=page.limit, offset=page.offset)
    return {"items": [booking_to_api(b, totals) for b, totals in rows], "total": total}


@router.get(
    "/bookings/lookup",
    dependencies=[AnonymousReads],
    response_model=BookingDetailOut,
    responses=problem_responses(422, 429, BookingNotFound),
)
async def lookup(
    session: DbSession, reference: Annotated[str, Query(min_length=4, max_length=16)], email: EmailStr
) -> dict[str, Any]:
    """A guest's booking without an account, by its reference (any case) and contact e-mail."""
    b = await queries.by_reference(session, reference)
    if b is None or b.contact_email.lower() != str(email).lower():
        raise BookingNotFound("No booking with this reference and e-mail")
    return await _view(session, b)


@router.get("/bookings/{booking_id}", response_model=BookingDetailOut, responses=problem_responses(*SCOPED))
async def get_booking(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    return await _view(session, await access.load(session, booking_id, caller, action=Action.booking_view))


@router.get(
    "/bookings/{booking_id}/history",
    response_model=ListOf[BookingEventOut],
    responses=problem_responses(*SCOPED),
)
async def history(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    items = [event_to_api(e) for e in await queries.history(session, b.id)]
    return {"items": items, "total": len(items)}


@router.put(
    "/bookings/{booking_id}/guests",
    response_model=BookingDetailOut,
    responses=problem_responses(*JSON_WRITE, *SCOPED, *STATE, InvalidBooking, (404, "guest.not_found")),
)
async def put_guests(
    booking_id: uuid.UUID,
    caller: CallerDep,
    guests: list[GuestIn],
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, action=Action.booking_change, lock=True)
    await guesting.set_guests(ctx, session, b, guests, user=user, actor=actor)
    return await _view(session, b)


@router.post(
    "/bookings/{booking_id}/cancel",
    response_model=BookingCancelledOut,
    responses=problem_responses(*JSON_WRITE, *SCOPED, *STATE),
)
async def cancel(
    booking_id: uuid.UUID,
    caller: CallerDep,
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
    data: CancelIn | None = None,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, action=Action.booking_change, lock=True)
    refund = await cancelling.cancel(ctx, session, b, actor, data.reason if data else None)
    return await _view(session, b, refund=refund)


@router.post(
    "/bookings/{booking_id}/modify",
    response_model=BookingDetailOut,
    responses=problem_responses(*JSON_WRITE, *SCOPED, *STATE, *UNSELLABLE),
)
async def modify(
    booking_id: uuid.UUID,
    caller: CallerDep,
    data: ModifyIn,
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, action=Action.booking_change, lock=True)
    await modifying.modify(ctx, session, b, data, user=user, actor=actor)
    return await _view(session, b)


@router.post(
    "/bookings/{booking_id}/reschedule",
    response_model=BookingDetailOut,
    responses=problem_responses(
        *JSON_WRITE, *SCOPED, *STATE, (409, "booking.price_changed"), *SLOT_UNSELLABLE
    ),
)
async def reschedule(
    booking_id: uuid.UUID,
    caller: CallerDep,
    data: RescheduleIn,
    ctx: Ctx,
    session: DbSession,
    user: OptionalUser,
    actor: ActorDep,
) -> dict[str, Any]:
    """Move a slot to another time: all-or-nothing, re-priced, kept in its history."""
    b = await access.load(session, booking_id, caller, action=Action.booking_change, lock=True)
    await modifying.reschedule(ctx, session, b, data, user=user, actor=actor)
    return await _view(session, b)


@router.post(
    "/bookings/{booking_id}/confirm",
    response_model=BookingDetailOut,
    responses=problem_responses(*JSON_WRITE, *STAFF, *STATE, NotAllowed),
)
async def staff_confirm(
    booking_id: uuid.UUID, ctx: Ctx, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """Staff confirm without online payment, where the property lets guests pay at the property."""
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_confirm, lock=True)
    if (b.payment_policy or {}).get("mode") != "at_property":
        raise NotAllowed("This booking's payment policy needs payment before confirmation")
    await confirming.confirm(ctx, session, b, actor, reason="staff, pay at property")
    return await _view(session, b)


# -- rooms and the stay ------------------------------------------------------------------------------------

ROOM_CHANGE = problem_responses(
    *JSON_WRITE, *STAFF, *STATE, RoomNotFound, RoomUnavailable, RoomNotReady, InvalidBooking
)


async def _rooms(session: DbSession, b: Booking) -> dict[str, Any]:
    items = [assignment_to_api(a, number) for a, number in await queries.room_assignments(session, b.id)]
    return {"items": items, "total": len(items)}


@router.post(
    "/bookings/{booking_id}/assign-room",
    response_model=ListOf[RoomAssignmentOut],
    responses=ROOM_CHANGE,
)
async def assign_room(
    booking_id: uuid.UUID, data: AssignIn, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_check_in, lock=True)
    await stay.assign(session, b, actor, room_id=data.room_id, reason=data.reason)
    return await _rooms(session, b)


@router.post(
    "/bookings/{booking_id}/rooms/{room_id}/move",
    response_model=ListOf[RoomAssignmentOut],
    responses=ROOM_CHANGE,
)
async def move_room(
    booking_id: uuid.UUID,
    room_id: uuid.UUID,
    data: AssignIn,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_check_in, lock=True)
    await stay.move(session, b, actor, from_room_id=room_id, to_room_id=data.room_id, reason=data.reason)
    return await _rooms(session, b)


@router.get(
    "/bookings/{booking_id}/rooms",
    response_model=ListOf[RoomAssignmentOut],
    responses=problem_responses(*SCOPED),
)
async def booking_rooms(
    booking_id: uuid.UUID, caller: CallerDep, session: DbSession, user: OptionalUser
) -> dict[str, Any]:
    """The rooms the stay was given, with every move."""
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    return await _rooms(session, b)


@router.post(
    "/bookings/{booking_id}/check-in",
    response_model=BookingDetailOut,
    responses=problem_responses(
        *JSON_WRITE,
        *STAFF,
        *STATE,
        RoomNotFound,
        RoomUnavailable,
        RoomNotReady,
        (409, "booking.not_arrival_day"),
    ),
)
async def check_in(
    booking_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
    data: CheckInIn | None = None,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_check_in, lock=True)
    await stay.check_in(session, b, actor, room_id=data.room_id if data else None)
    return await _view(session, b)


@router.post(
    "/bookings/{booking_id}/check-out",
    response_model=CheckedOutOut,
    response_model_exclude_unset=True,  # ``invoice`` once checked out, ``payments`` while they run
    responses={
        status.HTTP_202_ACCEPTED: {
            "model": CheckedOutOut,
            "description": "Card payments started by ``settle``; the check-out completes when they succeed",
        },
        **problem_responses(
            *JSON_WRITE,
            *STAFF,
            *STATE,
            (409, "booking.balance_due"),
            InsufficientFunds,
            PaymentMethodUnavailable,
        ),
    },
)
async def check_out(
    booking_id: uuid.UUID,
    response: Response,
    ctx: Ctx,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
    data: CheckOutIn | None = None,
) -> dict[str, Any]:
    """Check out; 409 ``booking.balance_due`` while the folio has a balance. With ``settle`` the
    balance is paid first: by wallet at once, by card when the payment succeeds (202 with the payment;
    the check-out then completes by itself). The invoice is issued and e-mailed with its PDF."""
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_check_in, lock=True)
    lifecycle.require(b, Status.checked_in, action="check out")
    if data is not None and data.settle:
        made = await payment.settle(ctx, session, b, actor, user, method=data.settle)
        if any(p.status != PaymentStatus.succeeded for p in made):
            response.status_code = status.HTTP_202_ACCEPTED
            body = await _view(session, b)
            body["payments"] = [PaymentOut.of(ctx, p).model_dump(mode="json") for p in made]
            return body
    inv = await checkout.finish(ctx, session, b, actor)
    out = await _view(session, b)
    out["invoice"] = {"id": str(inv.id), "number": inv.snapshot.get("number")}
    return out


# -- payments, folio and invoices --------------------------------------------------------------------------


@router.post(
    "/bookings/{booking_id}/payments",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Idempotent],
    response_model=BookingPaymentOut,
    responses=problem_responses(
        *JSON_WRITE,
        *SCOPED,
        *STATE,
        CurrencyMismatch,
        (422, "payment.amount_invalid"),
        (422, "payment.exceeds_balance"),
        PaymentMethodUnavailable,
        InsufficientFunds,
        502,
    ),
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
    b = await access.load(session, booking_id, caller, action=Action.booking_payment, lock=True)
    made = await payment.pay_booking(
        ctx,
        session,
        b,
        actor,
        user,
        method=data.method,
        amount=data.amount.resolve(b.currency, mismatch=CurrencyMismatch) if data.amount else None,
        from_wallet=(
            data.from_wallet.resolve(b.currency, mismatch=CurrencyMismatch) if data.from_wallet else None
        ),
    )
    primary = next((p for p in made if p.method == "card"), made[0])
    out: dict[str, Any] = PaymentOut.of(ctx, primary).model_dump(mode="json")
    out["payments"] = [PaymentOut.of(ctx, p).model_dump(mode="json") for p in made]
    out["booking"] = {"status": b.status, "payment_status": b.payment_status}
    return out


@router.get("/bookings/{booking_id}/folio", response_model=FolioOut, responses=problem_responses(*SCOPED))
async def get_folio(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    rows = await folio.entries(session, b.id)
    t = await folio.totals(session, b)
    return {"items": [folio.entry_to_api(e) for e in rows], "total": len(rows), **t.to_api()}


@router.get(
    "/bookings/{booking_id}/invoice",
    response_model=InvoiceViewOut,
    response_model_exclude_unset=True,  # a draft has no id, sequence nor issue date
    responses=problem_responses(*SCOPED),
)
async def get_invoice(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> dict[str, Any]:
    """The live invoice if issued (else the folio as a draft), with the folio as it stands now."""
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    return await invoices.view(session, b)


@router.get(
    "/bookings/{booking_id}/invoice.pdf",
    response_class=Response,
    responses={
        status.HTTP_200_OK: {"content": {"application/pdf": {}}, "description": "The invoice as a PDF"},
        **problem_responses(*SCOPED),
    },
)
async def get_invoice_pdf(
    booking_id: uuid.UUID,
    caller: CallerDep,
    session: DbSession,
    user: OptionalUser,
) -> Response:
    b = await access.load(session, booking_id, caller, action=Action.booking_view)
    doc = await invoices.view(session, b)
    name = doc.get("number") or f"folio-{b.reference}"
    return Response(
        await pdf.render_off_loop(doc),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


@router.post(
    "/bookings/{booking_id}/invoice",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceViewOut,
    response_model_exclude_unset=True,
    responses=problem_responses(*JSON_WRITE, *STAFF, InvoiceConflict),
)
async def issue_invoice(
    booking_id: uuid.UUID, session: DbSession, user: CurrentUser, actor: ActorDep
) -> dict[str, Any]:
    """Staff: issue the invoice now (on request); the live one if it exists."""
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_invoice, lock=True)
    await invoices.issue(session, b, actor)
    return await invoices.view(session, b)


@router.post(
    "/bookings/{booking_id}/invoice/credit-note",
    status_code=status.HTTP_201_CREATED,
    response_model=InvoiceOut,
    response_model_exclude_unset=True,
    responses=problem_responses(*JSON_WRITE, *STAFF, InvoiceConflict),
)
async def credit_invoice(
    booking_id: uuid.UUID,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
    data: CreditNoteIn | None = None,
) -> dict[str, Any]:
    """Staff: reverse the live invoice with a credit note (the invoice itself never changes)."""
    b = await access.load(session, booking_id, Caller(user), action=Action.booking_invoice, lock=True)
    note = await invoices.credit(session, b, actor, data.reason if data else None)
    return invoices.invoice_to_api(note)


# -- saved guest profiles ----------------------------------------------------------------------------------


@router.post(
    "/users/me/guests",
    status_code=status.HTTP_201_CREATED,
    response_model=SavedGuestOut,
    responses=problem_responses(*JSON_WRITE, 401),
)
async def create_profile(
    data: SavedGuestIn, ctx: Ctx, session: DbSession, user: CurrentUser
) -> dict[str, Any]:
    return saved_guest_to_api(await guesting.save_profile(ctx, session, user, data))


@router.get("/users/me/guests", response_model=ListOf[SavedGuestOut], responses=problem_responses(401))
async def list_profiles(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    items = [saved_guest_to_api(p) for p in await guesting.profiles(session, user)]
    return {"items": items, "total": len(items)}


@router.patch(
    "/users/me/guests/{profile_id}",
    response_model=SavedGuestOut,
    responses=problem_responses(*JSON_WRITE, 401, (404, "guest.not_found")),
)
async def update_profile(
    profile_id: uuid.UUID,
    data: SavedGuestPatch,
    ctx: Ctx,
    session: DbSession,
    user: CurrentUser,
    actor: ActorDep,
) -> dict[str, Any]:
    """Change a saved guest profile (the caller's own; another's is 404)."""
    profile = await guesting.update_profile(ctx, session, user, profile_id, data, actor)
    return saved_guest_to_api(profile)


@router.delete(
    "/users/me/guests/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, (404, "guest.not_found"), 422),
)
async def delete_profile(profile_id: uuid.UUID, session: DbSession, user: CurrentUser) -> Response:
    await guesting.delete_profile(session, user, profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
