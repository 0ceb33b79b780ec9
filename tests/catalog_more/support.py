"""Shared steps of the catalog completeness tests: bookings made through the API, audit rows read back."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from tests.catalog_support import d
from tests.helpers import API


async def hold(
    client: httpx.AsyncClient, headers: dict[str, str], room_type_id: str, start: int = 3, nights: int = 2
) -> dict[str, Any]:
    """A customer's reservation (a live hold) of one room."""
    r = await client.post(
        f"{API}/bookings",
        headers=headers,
        json={"room_type_id": room_type_id, "checkin": d(start), "checkout": d(start + nights), "guests": 2},
    )
    assert r.status_code == 201, r.text
    booking: dict[str, Any] = r.json()
    return booking


async def confirmed_at_desk(
    client: httpx.AsyncClient, owner: dict[str, str], prop_id: str, room_type_id: str, start: int = 3
) -> dict[str, Any]:
    """A booking the desk takes and confirms at once (the property is paid at arrival)."""
    r = await client.patch(
        f"{API}/properties/{prop_id}", headers=owner, json={"payment_policy": {"mode": "at_property"}}
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{API}/properties/{prop_id}/bookings",
        headers=owner,
        json={
            "room_type_id": room_type_id,
            "checkin": d(start),
            "checkout": d(start + 2),
            "guests": 1,
            "confirm": True,
            "contact": {"name": "Desk Guest", "email": "desk@example.com"},
        },
    )
    assert r.status_code == 201, r.text
    booking: dict[str, Any] = r.json()
    return booking


async def audit_actions(ctx: AppContext, entity_id: str, prefix: str = "") -> list[str]:
    """The audit log's actions on an entity (those starting with ``prefix``), oldest first."""
    async with ctx.db.unit_of_work(write=False) as session:
        rows = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_id == entity_id, AuditEntry.action.startswith(prefix))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return list(rows.all())


async def audit_after(ctx: AppContext, entity_id: str, action: str) -> dict[str, Any] | None:
    async with ctx.db.unit_of_work(write=False) as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.entity_id == entity_id, AuditEntry.action == action)
        )
        assert entry is not None, f"no {action} audit row"
        return entry.after
