"""Password reset and e-mail verification over HTTP."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["auth"])
