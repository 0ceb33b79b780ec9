"""``limit``/``offset`` pagination and the ``{"items": [...], "total": n}`` list shape."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel):
    limit: int = 20
    offset: int = 0


async def _page(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


PageParams = Annotated[Page, Depends(_page)]


class ListOf(BaseModel, Generic[T]):
    items: list[T]
    total: int
