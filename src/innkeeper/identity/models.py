from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from innkeeper.kit.clock import utcnow
from innkeeper.kit.db import Base, IdMixin, TimestampMixin


class PropertyRole(StrEnum):
    owner = "owner"
    manager = "manager"
    front_desk = "front_desk"
    housekeeping = "housekeeping"
    moderator = "moderator"
    #: is one of the hourly resources: its own schedule, exceptions and bookings only
    professional = "professional"


#: Roles that manage the property itself (settings, staff, rates).
MANAGING_ROLES = frozenset({PropertyRole.owner, PropertyRole.manager})


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    loyalty_tier: Mapped[str] = mapped_column(String(20), default="standard")
    # optional profile details (a guest's own, prefilled into bookings by clients)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: free text
    gender: Mapped[str | None] = mapped_column(String(40))
    #: ISO 3166-1 alpha-2
    nationality: Mapped[str | None] = mapped_column(String(2))
    #: the language of the messages the user is sent (``notifications.templating.LOCALES``)
    locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    #: when the holder of ``email`` proved they read it (a verification or reset link); cleared when
    #: the address changes
    email_verified_at: Mapped[datetime | None]

    @property
    def roles(self) -> list[str]:
        return ["customer", "platform_admin"] if self.is_platform_admin else ["customer"]

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class AuthSession(IdMixin, Base):
    """One login on one device. Revoking it kills its access and refresh tokens at once."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_info: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class RefreshToken(IdMixin, Base):
    """Opaque refresh tokens, stored as SHA-256. Each use rotates; a reused one revokes its session."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session_id", "session_id"),)

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class OtpCode(IdMixin, Base):
    __tablename__ = "otp_codes"
    __table_args__ = (Index("ix_otp_codes_phone_created_at", "phone", "created_at"),)

    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None]


class PropertyMembership(IdMixin, Base):
    """A user's role at one property. The catalog's ``properties`` table is the property."""

    __tablename__ = "property_memberships"
    __table_args__ = (
        UniqueConstraint("property_id", "user_id"),
        Index("ix_property_memberships_user_id", "user_id"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvitationStatus(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    revoked = "revoked"


class PropertyInvitation(IdMixin, TimestampMixin, Base):
    """An offer of a role at a property, made to an e-mail address. It grants nothing until the holder
    of that address, signed in, accepts it: only then is a :class:`PropertyMembership` created.

    One row per (property, e-mail): inviting the address again renews this row (role, token, expiry),
    whatever became of the earlier offer."""

    __tablename__ = "property_invitations"
    __table_args__ = (
        UniqueConstraint("property_id", "email"),
        Index("ix_property_invitations_email", "email"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    #: the property's name when invited: shown to the invitee (identity does not read the catalog)
    property_name: Mapped[str] = mapped_column(String(200))
    #: normalised (stripped, lower case), as ``users.email`` is stored
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=InvitationStatus.invited.value)
    #: SHA-256 of the token in the e-mailed link: proof that whoever answers reads that mailbox
    token_hash: Mapped[str] = mapped_column(String(64))
    #: the account that held the address when the invitation was (last) sent; that account may answer
    #: without the link's token, any other (an account made or renamed to the address later) needs it
    invitee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class AccountTokenPurpose(StrEnum):
    password_reset = "password_reset"  # noqa: S105 - a purpose name, not a password
    email_verify = "email_verify"


class AccountToken(IdMixin, Base):
    """A single-use link token e-mailed to a user (password reset, e-mail verification), stored as its
    SHA-256 only. It is bound to the address it was sent to: a changed address kills it."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_id_purpose", "user_id", "purpose"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
