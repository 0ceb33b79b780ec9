"""Request dependencies other packages' routes share to act on a booking: who the caller is (the
signed-in customer or staff, or the guest holding a booking's ``guest_token``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from innkeeper.bookings.access import Caller
from innkeeper.identity.deps import OptionalUser

GuestToken = Annotated[
    str | None,
    Header(
        alias="X-Guest-Token",
        max_length=100,
        description="The guest_token of a booking made without an account",
    ),
]
QueryToken = Annotated[str | None, Query(alias="guest_token", max_length=100)]


async def current_caller(
    user: OptionalUser, x_guest: GuestToken = None, q_guest: QueryToken = None
) -> Caller:
    """The customer, the guest holding the booking's ``guest_token`` (header or query), or staff."""
    return Caller(user=user, guest_token=x_guest or q_guest)


CallerDep = Annotated[Caller, Depends(current_caller)]
