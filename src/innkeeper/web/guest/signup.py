"""Creating an account on the site (placeholder: being built)."""

from __future__ import annotations

from fastapi import APIRouter

from innkeeper.web.errors import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
