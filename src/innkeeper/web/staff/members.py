"""Members and invitations (``/properties/{id}/members``' use cases): who works at the property, the
invitations waiting for an answer, inviting an address with a role, revoking an invitation and
removing a member. Seen by ``members.view``, changed by ``members.manage`` (owner and manager)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from innkeeper.catalog import service as catalog
from innkeeper.catalog.schemas import MemberIn
from innkeeper.identity.permissions import Action
from innkeeper.kit.errors import AppError, ValidationFailed
from innkeeper.kit.http import DbSession
from innkeeper.web.csrf import CsrfChecked
from innkeeper.web.pages import redirect
from innkeeper.web.staff.deps import Staff, StaffRoute, actor, page, staff_at
from innkeeper.web.staff.forms import text

router = APIRouter(route_class=StaffRoute, include_in_schema=False)

ROLES = ("manager", "front_desk", "housekeeping", "moderator", "professional")


async def _page(
    request: Request,
    session: DbSession,
    staff: Staff,
    error: str | None = None,
    status: int = 200,
    **extra: str,
) -> Response:
    members = await catalog.list_members(session, staff.prop.id)
    context = {"members": members, "roles": ROLES, "error": error, "v": extra}
    return page(request, staff, "staff/members.html", context, status)


@router.get("/staff/p/{property_id}/members")
async def members_page(
    request: Request, property_id: uuid.UUID, session: DbSession, done: str = ""
) -> Response:
    staff = await staff_at(request, session, property_id, Action.members_view)
    return await _page(request, session, staff, done=done[:20])


@router.post("/staff/p/{property_id}/members")
async def invite(
    request: Request, property_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.members_manage)
    form = await request.form()
    email, role = text(form, "email", 320), text(form, "role", 20)
    try:
        try:
            data = MemberIn(email=email, role=role)
        except ValidationError as exc:
            raise ValidationFailed("Enter an e-mail address and choose a role") from exc
        async with session.begin_nested():
            await catalog.add_member(request.app.state.ctx, session, staff.prop, data, actor(request, staff))
    except AppError as exc:
        return await _page(request, session, staff, exc.detail, exc.status, email=email, role=role)
    return redirect(f"{staff.base}/members?done=invited")


@router.post("/staff/p/{property_id}/members/{user_id}/remove")
async def remove(
    request: Request, property_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.members_manage)
    try:
        async with session.begin_nested():
            await catalog.remove_member(session, staff.prop, user_id, actor(request, staff))
    except AppError as exc:
        return await _page(request, session, staff, exc.detail, exc.status)
    return redirect(f"{staff.base}/members?done=removed")


@router.post("/staff/p/{property_id}/invitations/{invitation_id}/revoke")
async def revoke(
    request: Request, property_id: uuid.UUID, invitation_id: uuid.UUID, session: DbSession, _csrf: CsrfChecked
) -> Response:
    staff = await staff_at(request, session, property_id, Action.members_manage)
    try:
        async with session.begin_nested():
            await catalog.revoke_invitation(session, staff.prop, invitation_id, actor(request, staff))
    except AppError as exc:
        return await _page(request, session, staff, exc.detail, exc.status)
    return redirect(f"{staff.base}/members?done=revoked")
