"""Builders for engagement tests: guests who paid their stay by card, stayed and checked out."""

from __future__ import annotations

from typing import Any

import httpx

from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import book
from tests.catalog_support import user
from tests.helpers import API


async def paid_today(
    client: httpx.AsyncClient, runner: JobRunner, h: dict[str, Any], guest: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A one-night stay arriving today (the frozen clock's day), paid in full by card by the guest:
    (booking, payment)."""
    b = await book(client, h, guest, start=0, end=1)
    r = await client.post(
        f"{API}/bookings/{b['id']}/payments", json={"method": "card", "amount": b["total"]}, headers=guest
    )
    assert r.status_code == 201, r.text
    payment: dict[str, Any] = r.json()
    sim = await client.post(f"{API}/payments/{payment['id']}/simulate", json={"outcome": "succeeded"})
    assert sim.status_code == 202, sim.text
    await runner.drain()
    r = await client.get(f"{API}/bookings/{b['id']}", headers=guest)
    assert r.json()["status"] == "confirmed", r.text
    return b, payment


async def stay_and_leave(
    client: httpx.AsyncClient, h: dict[str, Any], bookings: list[dict[str, Any]]
) -> None:
    """Check the bookings (arriving today) in and out again: a one-night stay may leave on its arrival
    day (the night stays sold), and the clock (and so everyone's tokens) stays where it is."""
    for b in bookings:
        r = await client.post(f"{API}/bookings/{b['id']}/check-in", headers=h["owner"], json={})
        assert r.status_code == 200, r.text
    for b in bookings:
        r = await client.post(f"{API}/bookings/{b['id']}/check-out", headers=h["owner"], json={})
        assert r.status_code == 200 and r.json()["status"] == "checked_out", r.text


async def finished_guests(
    client: httpx.AsyncClient, runner: JobRunner, h: dict[str, Any], n: int = 1
) -> list[tuple[dict[str, str], dict[str, Any], dict[str, Any]]]:
    """``n`` guests with a paid, checked-out stay each: (headers, booking, payment)."""
    guests = [await user(client) for _ in range(n)]
    made = [await paid_today(client, runner, h, g) for g in guests]
    await stay_and_leave(client, h, [b for b, _ in made])
    return [(g, b, p) for g, (b, p) in zip(guests, made, strict=True)]
