"""Staff invitations: a role at a property is offered to an e-mail address, and becomes a membership only
when the holder of that address, signed in, accepts it (``shared/API.md``, the members row).

* **Inviting tells the inviter nothing about the address.** The answer, and the work behind it, are the
  same whether or not the address has an account: the account lookup runs either way, the e-mail is
  sent either way, and no name comes back.
* **Who may answer.** The invitee sees the pending invitations for their account's e-mail address at
  ``GET /users/me/invitations``. The account that held the address when the invitation was sent may
  answer from there. Any other account with that address (created, or switched to it, afterwards:
  addresses are not verified) must also show the token from the e-mailed link, the proof that it reads
  that mailbox; otherwise anyone could sign up with a staff member's address and take the role.
* **Only an accepted invitation grants anything.** Accepting creates the membership (audited);
  declining, revoking and expiry leave no membership behind.
* One row per (property, address): inviting the address again renews that row (role, token, expiry) and
  sends a new e-mail; the old link stops working.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from innkeeper.audit.service import Actor, record
from innkeeper.context import AppContext
from innkeeper.identity import errors
from innkeeper.identity.models import InvitationStatus, PropertyInvitation, PropertyMembership, User
from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import advisory_lock
from innkeeper.kit.ids import new_id
from innkeeper.kit.security import constant_time_equal, hash_token, random_token
from innkeeper.notifications.service import send_templated_email

#: How long an invitation may be answered.
INVITATION_TTL = timedelta(days=7)
PENDING = InvitationStatus.invited.value


def invitation_link(ctx: AppContext, invitation: PropertyInvitation, token: str) -> str:
    return f"{ctx.settings.public_url}/account/invitations/{invitation.id}?token={token}"


def for_inviter(invitation: PropertyInvitation) -> dict[str, Any]:
    """What the inviter learns: the offer itself, never anything about the address's account."""
    return {
        "id": str(invitation.id),
        "email": invitation.email,
        "role": invitation.role,
        "status": invitation.status,
        "expires_at": invitation.expires_at.isoformat(),
    }


def for_invitee(invitation: PropertyInvitation, user: User) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "property_id": invitation.property_id,
        "property_name": invitation.property_name,
        "role": invitation.role,
        "status": invitation.status,
        "expires_at": invitation.expires_at,
        "link_required": invitation.invitee_id != user.id,
    }


async def invite(
    ctx: AppContext,
    session: AsyncSession,
    *,
    property_id: uuid.UUID,
    property_name: str,
    email: str,
    role: str,
    actor: Actor,
) -> PropertyInvitation:
    """Offer ``role`` at the property to ``email`` (normalised by the caller) and e-mail the link."""
    now = utcnow()
    await advisory_lock(session, f"invite:{property_id}:{email}")
    holder = await session.scalar(select(User.id).where(User.email == email))
    invitation = await session.scalar(
        select(PropertyInvitation)
        .where(PropertyInvitation.property_id == property_id, PropertyInvitation.email == email)
        .with_for_update()
    )
    if invitation is None:
        invitation = PropertyInvitation(id=new_id(), property_id=property_id, email=email, created_at=now)
        session.add(invitation)
    token = random_token()
    invitation.property_name = property_name
    invitation.role = role
    invitation.status = PENDING
    invitation.token_hash = hash_token(token)
    invitation.invitee_id = holder
    invitation.invited_by = actor.user_id
    invitation.expires_at = now + INVITATION_TTL
    invitation.answered_at = None
    invitation.updated_at = now
    await session.flush()
    record(
        session,
        actor,
        "membership.invited",
        "property_invitation",
        invitation.id,
        property_id=property_id,
        after={"role": role},
    )
    # the "invitation" template; in English: the address may have no account, and so no language
    await send_templated_email(
        ctx,
        session,
        to=email,
        template="invitation",
        locale=None,
        context={
            "property_name": property_name,
            "role": role.replace("_", " "),
            "url": invitation_link(ctx, invitation, token),
            "expires_on": invitation.expires_at.date(),
        },
    )
    return invitation


async def pending_for_property(session: AsyncSession, property_id: uuid.UUID) -> list[PropertyInvitation]:
    return list(
        (
            await session.scalars(
                select(PropertyInvitation)
                .where(
                    PropertyInvitation.property_id == property_id,
                    PropertyInvitation.status == PENDING,
                    PropertyInvitation.expires_at > utcnow(),
                )
                .order_by(PropertyInvitation.created_at, PropertyInvitation.id)
            )
        ).all()
    )


async def pending_for_user(session: AsyncSession, user: User) -> list[PropertyInvitation]:
    """The invitations the user may answer: pending, unexpired, to their account's e-mail address."""
    if not user.email:
        return []
    return list(
        (
            await session.scalars(
                select(PropertyInvitation)
                .where(
                    PropertyInvitation.email == user.email,
                    PropertyInvitation.status == PENDING,
                    PropertyInvitation.expires_at > utcnow(),
                )
                .order_by(PropertyInvitation.created_at, PropertyInvitation.id)
            )
        ).all()
    )


async def _answerable(
    session: AsyncSession, user: User, invitation_id: uuid.UUID, token: str | None
) -> PropertyInvitation:
    invitation = await session.scalar(
        select(PropertyInvitation).where(PropertyInvitation.id == invitation_id).with_for_update()
    )
    # someone else's invitation does not exist for this user
    if invitation is None or not user.email or invitation.email != user.email:
        raise errors.InvitationNotFound("No such invitation for your e-mail address")
    if invitation.status != PENDING or invitation.expires_at <= utcnow():
        raise errors.InvitationClosed(f"This invitation is no longer open ({_state(invitation)})")
    token_ok = token is not None and constant_time_equal(hash_token(token), invitation.token_hash)
    if (token is not None and not token_ok) or (invitation.invitee_id != user.id and not token_ok):
        raise errors.InvitationLinkRequired(
            "Open the link in the invitation e-mail: it proves the invitation reached you"
        )
    return invitation


def _state(invitation: PropertyInvitation) -> str:
    return "expired" if invitation.status == PENDING else invitation.status


async def accept(
    session: AsyncSession, user: User, invitation_id: uuid.UUID, token: str | None, actor: Actor
) -> PropertyInvitation:
    invitation = await _answerable(session, user, invitation_id, token)
    current = await session.scalar(
        select(PropertyMembership.role).where(
            PropertyMembership.property_id == invitation.property_id, PropertyMembership.user_id == user.id
        )
    )
    if current is not None:
        raise errors.AlreadyMember(f"You are already {current.replace('_', ' ')} at this property")
    session.add(PropertyMembership(property_id=invitation.property_id, user_id=user.id, role=invitation.role))
    invitation.status = InvitationStatus.accepted.value
    invitation.answered_at = utcnow()
    await session.flush()
    record(
        session,
        actor,
        "membership.granted",
        "user",
        user.id,
        property_id=invitation.property_id,
        after={"role": invitation.role, "invitation_id": str(invitation.id)},
    )
    return invitation


async def decline(
    session: AsyncSession, user: User, invitation_id: uuid.UUID, token: str | None, actor: Actor
) -> PropertyInvitation:
    invitation = await _answerable(session, user, invitation_id, token)
    invitation.status = InvitationStatus.declined.value
    invitation.answered_at = utcnow()
    record(
        session,
        actor,
        "membership.declined",
        "property_invitation",
        invitation.id,
        property_id=invitation.property_id,
        after={"role": invitation.role},
    )
    return invitation


async def revoke(
    session: AsyncSession, property_id: uuid.UUID, invitation_id: uuid.UUID, actor: Actor
) -> None:
    """Withdraw a pending (or lapsed) invitation: its link and its entry in the invitee's list die."""
    invitation = await session.scalar(
        select(PropertyInvitation)
        .where(PropertyInvitation.id == invitation_id, PropertyInvitation.property_id == property_id)
        .with_for_update()
    )
    if invitation is None:
        raise errors.InvitationNotFound("No such invitation at this property")
    if invitation.status != PENDING:
        raise errors.InvitationClosed(f"This invitation is no longer open ({invitation.status})")
    invitation.status = InvitationStatus.revoked.value
    invitation.answered_at = utcnow()
    record(
        session,
        actor,
        "membership.invitation_revoked",
        "property_invitation",
        invitation.id,
        property_id=property_id,
        before={"role": invitation.role},
    )
