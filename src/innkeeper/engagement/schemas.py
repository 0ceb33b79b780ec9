"""Requests and answers of reviews, favorites and loyalty (built as dicts by the ``*_to_api`` functions)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from innkeeper.kit.outputs import DecimalText, Instant, Out
from innkeeper.kit.pagination import ListOf
from innkeeper.kit.schemas import MoneyOut

#: whitespace around a text does not count: a body of spaces is empty (422)
ReviewBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
ReviewTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- reviews ------------------------------------------------------------------------------------------------


class ReviewIn(_In):
    rating: int = Field(ge=1, le=5, strict=True, description="1 (poor) to 5 (excellent)")
    title: ReviewTitle | None = None
    body: ReviewBody


class ModerateIn(_In):
    decision: Literal["publish", "reject"]
    reason: Reason | None = Field(None, description="Required to reject; shown to the author")

    @model_validator(mode="after")
    def _reason_to_reject(self) -> ModerateIn:
        if self.decision == "reject" and not self.reason:
            raise ValueError("give a reason to reject a review")
        return self


class ReplyIn(_In):
    body: ReviewBody


class ReplyOut(Out):
    body: str
    replied_at: Instant


class PublicReviewOut(Out):
    """A published review as anyone sees it."""

    id: uuid.UUID
    property_id: uuid.UUID
    rating: int
    title: str | None
    body: str
    author_name: str = Field(description="First name and initial, fixed when written")
    created_at: Instant
    published_at: Instant | None
    reply: ReplyOut | None = Field(description="The property's answer, at most one")


class ReviewOut(PublicReviewOut):
    """A review as its author and the property's moderators see it."""

    booking_id: uuid.UUID
    status: str = Field(examples=["pending"], description="pending, published or rejected")
    rejection_reason: str | None
    moderated_at: Instant | None


class PropertyReviewsOut(ListOf[PublicReviewOut]):
    rating: DecimalText | None = Field(description="Average of the published reviews, one decimal")
    review_count: int


# -- favorites ----------------------------------------------------------------------------------------------


class FavoritePropertyOut(Out):
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    city: str
    country: str
    rating: DecimalText | None
    review_count: int


class FavoriteOut(Out):
    property: FavoritePropertyOut
    created_at: Instant


# -- loyalty ------------------------------------------------------------------------------------------------


class LoyaltyEntryOut(Out):
    id: uuid.UUID
    kind: str = Field(examples=["earn"], description="earn, reversal or redeem")
    points: int = Field(description="Signed change of the balance")
    booking_id: uuid.UUID | None
    credit: MoneyOut | None = Field(description="The wallet credit a redemption gave")
    memo: str | None
    created_at: Instant


class RedeemRateOut(Out):
    points: int
    value: MoneyOut


class LoyaltyOut(ListOf[LoyaltyEntryOut]):
    tier: str = Field(
        examples=["silver"], description="standard (nothing earned yet), bronze, silver, gold, platinum"
    )
    points: int = Field(description="Balance that may be redeemed")
    points_12_months: int = Field(description="Points earned over the last 12 months: what sets the tier")
    next_tier: str | None
    points_to_next_tier: int | None
    redeem_rate: RedeemRateOut = Field(description="What one point is worth as wallet credit")


class RedeemIn(_In):
    points: int = Field(ge=1, le=1_000_000_000, strict=True)


class RedeemOut(Out):
    redeemed: int
    credit: MoneyOut
    points: int = Field(description="Balance after the redemption")
    wallet_entry_id: uuid.UUID
    entry: LoyaltyEntryOut
