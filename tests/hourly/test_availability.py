"""Windows, exceptions, notice, horizon, step, durations and buffers decide the slots; windows are wall
clock hours in the property's time zone, correct on the days the clocks change (Lisbon, New York)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from innkeeper.catalog.models import Property, Resource
from innkeeper.context import AppContext
from innkeeper.inventory import allocations
from innkeeper.inventory.errors import OutsideAvailability
from innkeeper.inventory.hourly import check_bookable, free_slots, remove_slot_pricer, slot_pricer
from innkeeper.kit.clock import clock
from innkeeper.kit.money import Money
from tests.catalog_support import freeze
from tests.helpers import API, assert_problem
from tests.hourly.support import add_resource, booking_ids, every_day, set_windows, slots, venue

MONDAY = date(2030, 3, 11)  # Lisbon is on UTC (+00:00) until 2030-03-31


def lisbon(hhmm: str, day: date = MONDAY) -> str:
    return f"{day}T{hhmm}:00+00:00"


async def _hall(client: httpx.AsyncClient, windows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    freeze()  # Monday 2030-03-04 10:00 UTC
    owner, prop = await venue(client, timezone=fields.pop("timezone", "Europe/Lisbon"))
    resource = await add_resource(client, owner, prop["id"], **fields)
    r = await set_windows(client, owner, prop["id"], resource["id"], windows)
    assert r.status_code == 200, r.text
    return {"owner": owner, "prop": prop, "rid": resource["id"], "pid": prop["id"]}


# -- DST ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "day", "expected"),
    [
        # New York springs forward at 02:00: 00:00-06:00 is five real hours, no 02:00 start
        (
            "America/New_York",
            date(2030, 3, 10),
            ["00:00:00-05:00", "01:00:00-05:00", "03:00:00-04:00", "04:00:00-04:00", "05:00:00-04:00"],
        ),
        # ... and falls back at 02:00: 00:00-04:00 is five real hours, 01:00 starts twice
        (
            "America/New_York",
            date(2030, 11, 3),
            ["00:00:00-04:00", "01:00:00-04:00", "01:00:00-05:00", "02:00:00-05:00", "03:00:00-05:00"],
        ),
        # Lisbon springs forward at 01:00 (to 02:00): 00:00-04:00 is three real hours
        ("Europe/Lisbon", date(2030, 3, 31), ["00:00:00+00:00", "02:00:00+01:00", "03:00:00+01:00"]),
        # ... and falls back at 02:00 (to 01:00): five real hours
        (
            "Europe/Lisbon",
            date(2030, 10, 27),
            ["00:00:00+01:00", "01:00:00+01:00", "01:00:00+00:00", "02:00:00+00:00", "03:00:00+00:00"],
        ),
    ],
)
async def test_windows_over_a_dst_change(
    client: httpx.AsyncClient, timezone: str, day: date, expected: list[str]
) -> None:
    end = "06:00" if day == date(2030, 3, 10) else "04:00"
    h = await _hall(
        client,
        every_day("00:00", end) + every_day("09:00", "11:00"),
        timezone=timezone,
        horizon_days=400,
        slot_step_minutes=60,
    )
    found = await slots(client, h["rid"], day, 60)
    starts = [start for start, _ in found]
    assert starts[: len(expected)] == [f"{day}T{t}" for t in expected]
    # each slot lasts one real hour, whatever the wall clock says
    for start, end_ in found:
        assert datetime.fromisoformat(end_) - datetime.fromisoformat(start) == timedelta(hours=1)
    # a window away from the change keeps its wall-clock hours, with the day's offset
    assert [s[11:] for s in starts[len(expected) :]] == [
        f"09:00:00{expected[-1][8:]}",
        f"10:00:00{expected[-1][8:]}",
    ]


# -- windows, steps, durations --------------------------------------------------------------------------


async def test_several_windows_a_day_the_step_and_durations(client: httpx.AsyncClient) -> None:
    windows = [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "14:00", "end": "18:00"},
    ]
    h = await _hall(client, windows, max_duration_minutes=180)
    assert [s for s, _ in await slots(client, h["rid"], MONDAY, 60)] == [
        lisbon(t)
        for t in (
            "09:00",
            "09:30",
            "10:00",
            "10:30",
            "11:00",
            "14:00",
            "14:30",
            "15:00",
            "15:30",
            "16:00",
            "16:30",
            "17:00",
        )
    ]
    assert len(await slots(client, h["rid"], MONDAY, 180)) == 1 + 3
    assert await slots(client, h["rid"], MONDAY + timedelta(days=1), 60) == []  # no window on Tuesday
    for duration in (30, 45, 210):  # below the minimum, off the step, above the maximum
        r = await client.get(
            f"{API}/resources/{h['rid']}/slots", params={"date": str(MONDAY), "duration_minutes": duration}
        )
        body = assert_problem(r, 422, "slot.outside_availability")
        assert body["errors"][0]["field"] == "duration_minutes"
    # windows that overlap, or end before they start, are refused
    for bad in (
        [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}],
        [{"weekday": 0, "start": "12:00", "end": "09:00"}],
        [{"weekday": 7, "start": "09:00", "end": "12:00"}],
        [{"weekday": 0, "start": "09:00", "end": "24:30"}],
    ):
        assert_problem(await set_windows(client, h["owner"], h["pid"], h["rid"], bad), 422)
    r = await client.get(f"{API}/properties/{h['pid']}/resources/{h['rid']}/availability", headers=h["owner"])
    assert r.json()["windows"] == [dict(w) for w in windows]


async def test_a_booking_may_run_through_midnight_when_windows_meet(client: httpx.AsyncClient) -> None:
    h = await _hall(
        client,
        [{"weekday": 0, "start": "22:00", "end": "24:00"}, {"weekday": 1, "start": "00:00", "end": "02:00"}],
    )
    found = await slots(client, h["rid"], MONDAY, 180)
    assert found == [
        (lisbon("22:00"), lisbon("01:00", MONDAY + timedelta(days=1))),
        (lisbon("22:30"), lisbon("01:30", MONDAY + timedelta(days=1))),
        (lisbon("23:00"), lisbon("02:00", MONDAY + timedelta(days=1))),
    ]


# -- notice, horizon, exceptions, buffers -------------------------------------------------------------------


async def test_notice_and_horizon(client: httpx.AsyncClient) -> None:
    h = await _hall(client, every_day("09:00", "12:00"), min_notice_minutes=90, horizon_days=7)
    clock.freeze(datetime(2030, 3, 11, 9, 15, tzinfo=UTC))  # Monday 09:15 in Lisbon
    assert [s for s, _ in await slots(client, h["rid"], MONDAY, 60)] == [lisbon("11:00")]  # 10:45 and on
    assert len(await slots(client, h["rid"], MONDAY + timedelta(days=7), 60)) == 5
    assert await slots(client, h["rid"], MONDAY + timedelta(days=8), 60) == []
    assert await slots(client, h["rid"], MONDAY - timedelta(days=1), 60) == []  # yesterday


async def test_exceptions_close_and_open_time(client: httpx.AsyncClient) -> None:
    h = await _hall(client, every_day("09:00", "12:00"), slot_step_minutes=60)
    base = f"{API}/properties/{h['pid']}/resources/{h['rid']}/exceptions"
    closed = await client.post(
        base,
        headers=h["owner"],
        json={"start": lisbon("10:00"), "end": lisbon("11:00"), "kind": "closed", "reason": "cleaning"},
    )
    assert closed.status_code == 201, closed.text
    # naive local times are read in the property's time zone
    opened = await client.post(
        base, headers=h["owner"], json={"start": f"{MONDAY}T19:00", "end": f"{MONDAY}T21:00", "kind": "open"}
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["start"] == lisbon("19:00")
    assert [s for s, _ in await slots(client, h["rid"], MONDAY, 60)] == [
        lisbon(t) for t in ("09:00", "11:00", "19:00", "20:00")
    ]
    listed = (await client.get(base, headers=h["owner"])).json()
    assert [x["kind"] for x in listed["items"]] == ["closed", "open"] and listed["total"] == 2
    r = await client.delete(f"{base}/{closed.json()['id']}", headers=h["owner"])
    assert r.status_code == 204
    assert_problem(
        await client.delete(f"{base}/{closed.json()['id']}", headers=h["owner"]),
        404,
        "resource_exception.not_found",
    )
    assert len(await slots(client, h["rid"], MONDAY, 60)) == 3 + 2
    # a naive time the clocks skip, and an end before the start, are refused
    gap = {"start": "2030-03-31T01:30", "end": "2030-03-31T03:00", "kind": "closed"}
    body = assert_problem(await client.post(base, headers=h["owner"], json=gap), 422, "time.nonexistent")
    assert body["errors"][0]["field"] == "start"
    backwards = {"start": lisbon("11:00"), "end": lisbon("10:00"), "kind": "closed"}
    assert_problem(await client.post(base, headers=h["owner"], json=backwards), 422)


async def test_buffers_keep_slots_clear_of_bookings_and_closing_booked_time_is_refused(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    h = await _hall(client, every_day("08:00", "13:00"), buffer_after_minutes=30)
    (booking,) = await booking_ids(ctx, h["pid"], 1)
    async with ctx.db.unit_of_work() as session:
        resource = await session.get(Resource, uuid.UUID(h["rid"]))
        assert resource is not None
        await allocations.take(
            session,
            resource,
            booking,
            datetime(2030, 3, 11, 10, tzinfo=UTC),
            datetime(2030, 3, 11, 11, tzinfo=UTC),
        )
    # held: 10:00-11:30; a slot's own buffer after must clear 10:00 too
    assert [s for s, _ in await slots(client, h["rid"], MONDAY, 60)] == [
        lisbon(t) for t in ("08:00", "08:30", "11:30", "12:00")
    ]
    base = f"{API}/properties/{h['pid']}/resources/{h['rid']}/exceptions"
    body = {"start": lisbon("11:15"), "end": lisbon("12:00"), "kind": "closed"}
    refused = assert_problem(
        await client.post(base, headers=h["owner"], json=body), 409, "resource_exception.booked"
    )
    assert refused["bookings"] == [str(booking)]
    assert (await client.post(base, headers=h["owner"], json={**body, "kind": "open"})).status_code == 201
    day = (
        await client.get(
            f"{API}/properties/{h['pid']}/schedule", params={"date": str(MONDAY)}, headers=h["owner"]
        )
    ).json()
    (item,) = day["items"]
    assert item["bookings"] == [
        {"booking_id": str(booking), "start": lisbon("10:00"), "end": lisbon("11:30")}
    ]
    assert item["free"] == [
        {"start": lisbon("08:00"), "end": lisbon("10:00")},
        {"start": lisbon("11:30"), "end": lisbon("13:00")},
    ]
    # the same booking's time released: free again
    async with ctx.db.unit_of_work() as session:
        await allocations.release(session, booking)
    assert len(await slots(client, h["rid"], MONDAY, 60)) == 9


async def test_check_bookable(client: httpx.AsyncClient, ctx: AppContext) -> None:
    h = await _hall(
        client, every_day("09:00", "12:00"), min_notice_minutes=60, horizon_days=30, max_duration_minutes=120
    )
    now = datetime(2030, 3, 11, 8, 30, tzinfo=UTC)

    def t(hhmm: str, day: date = MONDAY) -> datetime:
        return datetime.fromisoformat(lisbon(hhmm, day))

    async with ctx.db.unit_of_work(write=False) as session:
        resource = await session.get(Resource, uuid.UUID(h["rid"]))
        prop = await session.get(Property, uuid.UUID(h["pid"]))
        assert resource is not None and prop is not None
        await check_bookable(session, resource, prop, t("10:00"), t("11:00"), now=now)
        await check_bookable(session, resource, prop, t("09:30"), t("11:30"), now=now)
        refused = {
            "in the past": (t("09:00", MONDAY - timedelta(days=1)), t("10:00", MONDAY - timedelta(days=1))),
            "inside the notice": (t("09:00"), t("10:00")),
            "past the horizon": (
                t("09:00", MONDAY + timedelta(days=31)),
                t("10:00", MONDAY + timedelta(days=31)),
            ),
            "outside the windows": (t("11:30"), t("12:30")),
            "off the step": (t("10:15"), t("11:15")),
            "too short": (t("10:00"), t("10:30")),
            "too long": (t("09:30"), t("12:00")),
            "duration off the step": (t("10:00"), t("11:10")),
            "end before start": (t("11:00"), t("10:00")),
        }
        for reason, (start, end) in refused.items():
            with pytest.raises(OutsideAvailability):
                await check_bookable(session, resource, prop, start, end, now=now)
                pytest.fail(reason)
        # free_slots and check_bookable agree
        for start, end in await free_slots(session, resource, prop, MONDAY, 60, now=now):
            await check_bookable(session, resource, prop, start, end, now=now)


async def test_listed_slots_carry_the_registered_pricers_prices(client: httpx.AsyncClient) -> None:
    """Pricing sits above inventory: it registers how listed slots are priced (``slot_pricer``)."""
    h = await _hall(client, every_day("09:00", "11:00"), slot_step_minutes=60)
    url = f"{API}/resources/{h['rid']}/slots"
    params = {"date": str(MONDAY), "attendees": 3, "mode": "on_site"}
    seen: list[Any] = []

    async def pricer(session: Any, prop: Any, resource: Any, found: Any, *, attendees: Any, mode: Any) -> Any:
        seen.append((resource.name, len(found), attendees, mode))
        return [Money(1000 * (i + 1), prop.currency) for i in range(len(found))]

    slot_pricer(pricer)
    try:
        items = (await client.get(url, params=params)).json()["items"]
    finally:
        remove_slot_pricer(pricer)
    assert [i["price"] for i in items] == [
        {"amount": "10.00", "currency": "EUR"},
        {"amount": "20.00", "currency": "EUR"},
    ]
    assert seen == [("Hall A", 2, 3, "on_site")]
    # without it, the pricing package's own pricer (registered when the app loads it) prices them
    priced = [i["price"] for i in (await client.get(url, params=params)).json()["items"]]
    assert len(priced) == 2 and all(p and p["currency"] == "EUR" for p in priced)
    assert priced != [{"amount": "10.00", "currency": "EUR"}, {"amount": "20.00", "currency": "EUR"}]
    # attendees above capacity and a mode the hall is not offered in are refused before any pricing
    assert_problem(await client.get(url, params={**params, "attendees": 51}), 422, "slot.capacity")
    assert_problem(await client.get(url, params={**params, "mode": "online"}), 422, "slot.mode_unavailable")
