"""iCalendar: the secret-URL feed of a room type's or a resource's booked and closed times, and imports
of external .ics URLs (served by a real local HTTP server) that close nights or block times,
idempotently, reopening only what they closed."""

from __future__ import annotations

from typing import Any

import httpx
from icalendar import Calendar
from sqlalchemy import func, select

from innkeeper.audit.models import AuditEntry
from innkeeper.context import AppContext
from innkeeper.kit.jobs import JobRunner
from tests.catalog_support import d, day, freeze
from tests.helpers import API, assert_problem, bearer, signup
from tests.hourly.support import add_resource, every_day, set_windows, venue
from tests.integrations.support import book, hotel, ics, local_site


async def closed_nights(client: httpx.AsyncClient, h: dict[str, Any]) -> set[str]:
    r = await client.get(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        params={"room_type_id": h["rt"]["id"], "from": d(0), "to": d(30)},
    )
    assert r.status_code == 200, r.text
    return {i["date"] for i in r.json()["items"] if i["closed"]}


async def audit_rows(ctx: AppContext) -> int:
    async with ctx.db.unit_of_work(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def test_a_room_type_feed_shows_booked_and_closed_nights_behind_its_secret_url(
    client: httpx.AsyncClient,
) -> None:
    freeze()
    h = await hotel(client)
    booking = (await book(client, h, bearer(await signup(client)), start=3, nights=2)).json()
    closed = await client.put(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        json={"room_type_id": h["rt"]["id"], "from": d(10), "to": d(12), "closed": True},
    )
    assert closed.status_code == 200, closed.text
    created = await client.post(
        f"{API}/properties/{h['pid']}/calendars", headers=h["owner"], json={"room_type_id": h["rt"]["id"]}
    )
    assert created.status_code == 201, created.text
    url = created.json()["url"]
    path = url[url.index("/api/v1/") :]
    feed = await client.get(path)  # no credentials but the URL
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert events[f"Booked {booking['reference']}"].decoded("dtstart") == day(3)
    assert events[f"Booked {booking['reference']}"].decoded("dtend") == day(5)
    assert (events["Closed"].decoded("dtstart"), events["Closed"].decoded("dtend")) == (day(10), day(12))
    assert b"example.com" not in feed.content  # no guest details

    listed = (await client.get(f"{API}/properties/{h['pid']}/calendars", headers=h["owner"])).json()
    assert listed["total"] == 1 and "url" not in listed["items"][0]
    assert_problem(await client.get(f"{API}/calendars/not-a-token.ics"), 404, "calendar.not_found")
    gone = await client.delete(
        f"{API}/properties/{h['pid']}/calendars/{created.json()['id']}", headers=h["owner"]
    )
    assert gone.status_code == 204
    assert_problem(await client.get(path), 404, "calendar.not_found")

    other = await hotel(client)
    bad = {"room_type_id": other["rt"]["id"]}  # another property's room type
    assert_problem(
        await client.post(f"{API}/properties/{h['pid']}/calendars", headers=h["owner"], json=bad),
        422,
        "calendar.invalid_target",
    )
    both = {"room_type_id": h["rt"]["id"], "resource_id": h["rt"]["id"]}
    assert_problem(
        await client.post(f"{API}/properties/{h['pid']}/calendars", headers=h["owner"], json=both),
        422,
        "calendar.invalid_target",
    )


async def test_an_import_closes_nights_idempotently_and_reopens_only_what_it_closed(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    freeze()
    h = await hotel(client)
    # night 6 was closed by hand before the import covers it
    await client.put(
        f"{API}/properties/{h['pid']}/inventory",
        headers=h["owner"],
        json={"room_type_id": h["rt"]["id"], "from": d(6), "to": d(7), "closed": True},
    )
    with local_site() as site:
        url = site.serve("/cal.ics", ics(("a@x", d(4), d(7)), ("b@x", d(9), d(10))))
        created = await client.post(
            f"{API}/properties/{h['pid']}/calendar-imports",
            headers=h["owner"],
            json={"url": url, "room_type_id": h["rt"]["id"]},
        )
        assert created.status_code == 201, created.text
        iid = created.json()["id"]
        assert await closed_nights(client, h) == {d(6)}  # nothing before the job runs
        await runner.drain()
        assert await closed_nights(client, h) == {d(4), d(5), d(6), d(9)}
        status = (
            await client.get(f"{API}/properties/{h['pid']}/calendar-imports/{iid}", headers=h["owner"])
        ).json()
        assert (status["last_status"], status["events_count"]) == ("ok", 2)

        before = await audit_rows(ctx)  # the same feed again changes nothing
        await client.post(f"{API}/properties/{h['pid']}/calendar-imports/{iid}/sync", headers=h["owner"])
        await runner.drain()
        assert await closed_nights(client, h) == {d(4), d(5), d(6), d(9)}
        assert await audit_rows(ctx) == before + 0

        site.serve("/cal.ics", ics(("b@x", d(9), d(10))))  # event a is gone
        await client.post(f"{API}/properties/{h['pid']}/calendar-imports/{iid}/sync", headers=h["owner"])
        await runner.drain()
        assert await closed_nights(client, h) == {d(6), d(9)}  # night 6 was closed by hand: it stays

        site.serve("/cal.ics", b"<html>not a calendar</html>", content_type="text/html")
        await client.post(f"{API}/properties/{h['pid']}/calendar-imports/{iid}/sync", headers=h["owner"])
        await runner.drain()
        status = (
            await client.get(f"{API}/properties/{h['pid']}/calendar-imports/{iid}", headers=h["owner"])
        ).json()
        assert status["last_status"] == "error" and "calendar_import.invalid_feed" in status["last_error"]
        assert await closed_nights(client, h) == {d(6), d(9)}  # a broken feed changes nothing

        gone = await client.delete(f"{API}/properties/{h['pid']}/calendar-imports/{iid}", headers=h["owner"])
        assert gone.status_code == 204
        assert await closed_nights(client, h) == {d(6)}


async def test_a_feed_too_large_or_a_bad_url_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, runner: JobRunner
) -> None:
    h = await hotel(client)
    base = f"{API}/properties/{h['pid']}/calendar-imports"
    for url in ("file:///etc/passwd", "javascript:alert(1)", "not a url"):
        r = await client.post(base, headers=h["owner"], json={"url": url, "room_type_id": h["rt"]["id"]})
        assert_problem(r, 422, "integrations.url_refused")
    with local_site() as site:
        huge = ics(("a@x", d(4), d(5))).replace(b"END:VCALENDAR", b"X-PAD:" + b"x" * 70 + b"\r\n") * 80_000
        url = site.serve("/big.ics", huge)
        # the feed is fetched and checked in the request, before anything is written
        created = await client.post(
            base, headers=h["owner"], json={"url": url, "room_type_id": h["rt"]["id"]}
        )
        assert_problem(created, 413, "calendar_import.too_large")
        for path, body, kind in (
            ("/page.html", b"<html>not a calendar</html>", "text/html"),
            ("/empty.ics", b"", "text/calendar"),
        ):
            r = await client.post(
                base,
                headers=h["owner"],
                json={"url": site.serve(path, body, content_type=kind), "room_type_id": h["rt"]["id"]},
            )
            assert_problem(r, 422, "calendar_import.invalid_feed")
        missing = await client.post(
            base, headers=h["owner"], json={"url": site.url("/nowhere.ics"), "room_type_id": h["rt"]["id"]}
        )
        assert_problem(missing, 422, "calendar_import.invalid_feed")
        # someone who may not manage the property makes us call nothing: 404 as before
        calls = len(site.received)
        stranger = await hotel(client)
        r = await client.post(
            base, headers=stranger["owner"], json={"url": url, "room_type_id": h["rt"]["id"]}
        )
        assert_problem(r, 404, "property.not_found")
        assert len(site.received) == calls
    assert (await client.get(base, headers=h["owner"])).json()["total"] == 0
    await runner.drain()
    assert await closed_nights(client, h) == set()


async def test_a_resource_import_blocks_times_and_a_removed_event_unblocks_them(
    client: httpx.AsyncClient, runner: JobRunner
) -> None:
    freeze()
    owner, prop = await venue(client)
    pid = prop["id"]
    resource = await add_resource(client, owner, pid)
    await set_windows(client, owner, pid, resource["id"], every_day("08:00", "20:00"))
    timed = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:meet-1\r\n"
        f"DTSTAMP:20300101T000000Z\r\nDTSTART:{d(3).replace('-', '')}T100000Z\r\n"
        f"DTEND:{d(3).replace('-', '')}T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    with local_site() as site:
        url = site.serve("/r.ics", timed)
        created = await client.post(
            f"{API}/properties/{pid}/calendar-imports",
            headers=owner,
            json={"url": url, "resource_id": resource["id"]},
        )
        assert created.status_code == 201, created.text
        await runner.drain()
        exceptions = f"{API}/properties/{pid}/resources/{resource['id']}/exceptions"
        params = {"from": d(0), "to": d(10)}
        items = (await client.get(exceptions, headers=owner, params=params)).json()["items"]
        assert [(x["kind"], x["reason"]) for x in items] == [("closed", "calendar import")]
        await client.post(
            f"{API}/properties/{pid}/calendar-imports/{created.json()['id']}/sync", headers=owner
        )
        await runner.drain()
        assert len((await client.get(exceptions, headers=owner, params=params)).json()["items"]) == 1
        site.serve(
            "/r.ics",
            timed.replace(b"BEGIN:VEVENT", b"X-NONE:1\r\nBEGIN:VTODO").replace(b"END:VEVENT", b"END:VTODO"),
        )
        await client.post(
            f"{API}/properties/{pid}/calendar-imports/{created.json()['id']}/sync", headers=owner
        )
        await runner.drain()
        assert (await client.get(exceptions, headers=owner, params=params)).json()["items"] == []
