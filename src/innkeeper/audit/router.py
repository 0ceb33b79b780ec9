"""The audit log for staff and platform admins."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["audit"])
