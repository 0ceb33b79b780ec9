from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Literal

from babel import Locale
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from innkeeper.config import get_settings
from innkeeper.kit.clock import utcnow


def normalise_phone(value: str) -> str:
    """Validate and normalise to E.164 (``+14155550123``)."""
    import phonenumbers  # its metadata is ~1 MB of every process; only phone fields need it

    try:
        number = phonenumbers.parse(value, get_settings().default_phone_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    return value.strip().lower()


Phone = Annotated[str, StringConstraints(min_length=3, max_length=32), AfterValidator(normalise_phone)]
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(normalise_email)]
Password = Annotated[str, Field(min_length=1, max_length=128)]
FullName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
DeviceInfo = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").territories)
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha())


def check_nationality(value: str) -> str:
    value = value.upper()
    if value not in _countries():
        raise ValueError("unknown ISO 3166 country code")
    return value


def check_date_of_birth(value: date) -> date:
    # (the earliest day anywhere on earth: nobody is born "tomorrow" in any time zone)
    if not date(1900, 1, 1) <= value <= (utcnow() + timedelta(hours=14)).date():
        raise ValueError("a date of birth between 1900-01-01 and today")
    return value


#: a person's optional details (users, saved guest profiles, guests on a booking)
DateOfBirth = Annotated[date, AfterValidator(check_date_of_birth)]
Gender = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Nationality = Annotated[str, StringConstraints(min_length=2, max_length=2), AfterValidator(check_nationality)]


#: the language of the messages a user is sent (``notifications.templating.LOCALES``)
MessageLocale = Literal["en", "pt"]


class SignupIn(BaseModel):
    email: Email
    password: Password
    full_name: FullName
    phone: Phone | None = None
    device_info: DeviceInfo | None = None
    locale: MessageLocale = "en"


class LoginIn(BaseModel):
    email: Email
    password: Password
    device_info: DeviceInfo | None = None


class OtpSendIn(BaseModel):
    phone: Phone


class OtpVerifyIn(BaseModel):
    phone: Phone
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    device_info: DeviceInfo | None = None


class RefreshIn(BaseModel):
    refresh_token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    phone: str | None
    full_name: str
    roles: list[str]
    loyalty_tier: str
    date_of_birth: date | None = None
    gender: str | None = None
    nationality: str | None = Field(None, description="ISO 3166-1 alpha-2")
    locale: str = "en"
    #: the e-mail address was confirmed through a link sent to it
    email_verified: bool = False


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    email: Email | None = None
    phone: Phone | None = None
    date_of_birth: DateOfBirth | None = None
    gender: Gender | None = None
    nationality: Nationality | None = None
    locale: MessageLocale | None = None


class TokensOut(BaseModel):
    user: UserOut
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    session_id: uuid.UUID


class RefreshOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    session_id: uuid.UUID


class OtpSent(BaseModel):
    expires_in: int


class SessionOut(BaseModel):
    id: uuid.UUID
    device_info: str | None
    ip: str | None
    created_at: datetime
    last_seen_at: datetime
    current: bool


class SessionList(BaseModel):
    items: list[SessionOut]
    total: int


class InvitationAnswerIn(BaseModel):
    """The token from the e-mailed link: needed when the account did not hold the invited address when
    the invitation was sent (``link_required`` in the list)."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=10, max_length=200)] | None = None


class MyInvitationOut(BaseModel):
    id: uuid.UUID
    property_id: uuid.UUID
    property_name: str
    role: str
    status: str = Field(examples=["invited"])
    expires_at: datetime
    link_required: bool = Field(
        description="Answering needs the token from the e-mailed link (the account is newer than the "
        "invitation, or took the address since)"
    )


class MyInvitationList(BaseModel):
    items: list[MyInvitationOut]
    total: int
