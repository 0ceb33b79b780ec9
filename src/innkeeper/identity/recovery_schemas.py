"""Bodies and answers of the account recovery routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from innkeeper.identity.schemas import Email, Password

#: the raw link token (``secrets.token_urlsafe(32)``: 43 characters); anything far from it is refused
LinkToken = Annotated[str, Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$")]


class ForgotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: LinkToken
    password: Password


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: LinkToken


class Accepted(BaseModel):
    """The request was taken; if it leads to an e-mail, the e-mail says what next."""

    status: Literal["accepted"] = "accepted"


class EmailVerified(BaseModel):
    email: str
    email_verified: bool
