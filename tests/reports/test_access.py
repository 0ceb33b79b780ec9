"""Who may read reports, bad input, CSV, the platform admin's view across properties and currencies,
and the read-only (replica-ready) session reports read through."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from innkeeper.context import AppContext
from innkeeper.reports.source import dispose, read_only, reports_database
from tests.catalog_support import add_member, d, freeze, make_admin, user
from tests.helpers import API, assert_problem, signup, with_settings
from tests.reports.support import desk_booking, eur, hotel, report

REPORTS = ("occupancy", "revenue", "bookings", "utilization", "customers")
RANGE = {"from": d(10), "to": d(12)}


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


async def test_staff_read_front_desk_reads_housekeeping_and_strangers_do_not(
    client: httpx.AsyncClient,
) -> None:
    h = await hotel(client)
    await desk_booking(client, h, 10, 11)
    desk, cleaner = await signup(client), await signup(client)
    await add_member(client, h["owner"], h["pid"], desk, "front_desk")
    await add_member(client, h["owner"], h["pid"], cleaner, "housekeeping")
    desk_h = {"Authorization": f"Bearer {desk['access_token']}"}
    cleaner_h = {"Authorization": f"Bearer {cleaner['access_token']}"}
    stranger = await user(client)
    other = await hotel(client)  # another tenant's owner
    base = f"{API}/properties/{h['pid']}"
    paths = [f"/reports/{name}" for name in REPORTS] + ["/dashboard", "/arrivals", "/departures", "/in-house"]
    for path in paths:
        params = RANGE if path.startswith("/reports") else {"date": d(10)}
        ok = await client.get(base + path, params=params, headers=desk_h)
        assert ok.status_code == 200, (path, ok.text)
        assert_problem(await client.get(base + path, params=params, headers=cleaner_h), 403, "auth.role")
        assert_problem(await client.get(base + path, params=params, headers=stranger), 404)
        assert_problem(await client.get(base + path, params=params, headers=other["owner"]), 404)
        assert_problem(await client.get(base + path, params=params), 401)
    arrivals = (await client.get(f"{base}/arrivals", params={"date": d(10)}, headers=desk_h)).json()
    assert [i["guest_name"] for i in arrivals["items"]] == ["Gina Guest"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": d(12), "to": d(12)}, "to"),  # from = to: an empty range
        ({"from": d(12), "to": d(10)}, "to"),
        ({"from": "2030-01-01", "to": "2031-01-03"}, "to"),  # 367 days
        ({"to": d(12)}, "from"),
    ],
)
async def test_bad_ranges_are_422(client: httpx.AsyncClient, params: dict[str, str], field: str) -> None:
    h = await hotel(client)
    for name in REPORTS:
        r = await client.get(f"{API}/properties/{h['pid']}/reports/{name}", params=params, headers=h["owner"])
        body = assert_problem(r, 422, "report.range")
        assert body["errors"][0]["field"] == field
    # a leap year is fine
    ok = await report(client, h, "occupancy", **{"from": "2032-01-01", "to": "2033-01-01"})
    assert ok["total"] == 366


async def test_unknown_group_by_and_format_are_422(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    base = f"{API}/properties/{h['pid']}/reports"
    for name, params in (
        ("occupancy", {"group_by": "year"}),
        ("revenue", {"group_by": "weather"}),
        ("occupancy", {"format": "xlsx"}),
    ):
        r = await client.get(f"{base}/{name}", params={**RANGE, **params}, headers=h["owner"])
        assert_problem(r, 422)
    assert_problem(
        await client.get(
            f"{API}/properties/{h['pid']}/dashboard", params={"date": "yesterday"}, headers=h["owner"]
        ),
        422,
    )


def read_csv(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(r.text)))


async def test_every_report_answers_csv(client: httpx.AsyncClient) -> None:
    h = await hotel(client, rooms=1)
    await desk_booking(client, h, 10, 11, name="=HYPERLINK(evil)", email="evil@example.com")
    base = f"{API}/properties/{h['pid']}"
    occupancy = read_csv(
        await client.get(f"{base}/reports/occupancy", params={**RANGE, "format": "csv"}, headers=h["owner"])
    )
    assert occupancy[0] == {
        "period": d(10), "start": d(10), "end": d(11), "rooms_available": "1", "rooms_sold": "1",
        "occupancy": "1.0000", "adr": "100.00", "adr_currency": "EUR", "revpar": "100.00",
        "revpar_currency": "EUR", "room_revenue": "100.00", "room_revenue_currency": "EUR",
    }  # fmt: skip
    assert occupancy[1]["rooms_sold"] == "0"
    by_accept = await client.get(
        f"{base}/reports/revenue", params=RANGE, headers={**h["owner"], "Accept": "text/csv"}
    )
    assert read_csv(by_accept) == [
        {"key": "direct", "label": "direct", "bookings": "1", "revenue": "100.00", "revenue_currency": "EUR"}
    ]
    for name in ("bookings", "utilization", "customers"):
        r = await client.get(f"{base}/reports/{name}", params={**RANGE, "format": "csv"}, headers=h["owner"])
        read_csv(r)
    # a guest-typed name is never a formula in a spreadsheet
    arrivals = read_csv(
        await client.get(f"{base}/arrivals", params={"date": d(10), "format": "csv"}, headers=h["owner"])
    )
    assert arrivals[0]["guest_name"] == "'=HYPERLINK(evil)"
    dashboard = read_csv(
        await client.get(f"{base}/dashboard", params={"date": d(10), "format": "csv"}, headers=h["owner"])
    )
    assert (dashboard[0]["arrivals"], dashboard[0]["rooms.clean"], dashboard[0]["revenue"]) == (
        "1",
        "1",
        "100.00",
    )
    # JSON stays the default, and an explicit format wins over Accept
    r = await client.get(
        f"{base}/reports/bookings",
        params={**RANGE, "format": "json"},
        headers={**h["owner"], "Accept": "text/csv"},
    )
    assert r.headers["content-type"].startswith("application/json")


async def test_platform_admin_sees_every_property_grouped_by_currency(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    eur_a = await hotel(client, rooms=2, price="100.00", name="A Lisbon")
    eur_b = await hotel(client, rooms=1, price="80.00", name="B Porto")
    gbp = await hotel(
        client, rooms=1, price="90.00", name="C London", currency="GBP", timezone="Europe/London"
    )
    await desk_booking(client, eur_a, 10, 12)
    await desk_booking(client, eur_b, 10, 11)
    await desk_booking(client, gbp, 10, 11)
    admin = await make_admin(ctx, client)
    r = await client.get(f"{API}/admin/reports/occupancy", params=RANGE, headers=admin)
    assert r.status_code == 200, r.text
    data = r.json()
    rows = {i["property_name"]: i for i in data["items"]}
    assert rows["A Lisbon"]["room_revenue"] == eur("200.00") and rows["A Lisbon"]["occupancy"] == "0.5000"
    assert rows["C London"]["room_revenue"] == eur("90.00", "GBP")
    by_currency = {c["currency"]: c for c in data["by_currency"]}
    # 2 + 1 rooms over 2 nights in euros; 1 room over 2 nights in pounds: never added together
    assert by_currency["EUR"]["rooms_available"] == 6 and by_currency["EUR"]["rooms_sold"] == 3
    assert by_currency["EUR"]["room_revenue"] == eur("280.00")
    assert by_currency["EUR"]["adr"] == eur("93.33")  # 280 / 3
    assert by_currency["GBP"]["room_revenue"] == eur("90.00", "GBP")
    assert (by_currency["EUR"]["properties"], by_currency["GBP"]["properties"]) == (2, 1)

    r = await client.get(f"{API}/admin/reports/revenue", params=RANGE, headers=admin)
    assert r.status_code == 200, r.text
    by_currency = {c["currency"]: c for c in r.json()["by_currency"]}
    assert by_currency["EUR"]["revenue"] == eur("280.00") and by_currency["EUR"]["bookings"] == 2
    assert by_currency["GBP"]["room"] == eur("90.00", "GBP")
    csv_rows = read_csv(
        await client.get(f"{API}/admin/reports/revenue", params={**RANGE, "format": "csv"}, headers=admin)
    )
    assert {row["property_name"] for row in csv_rows} >= {"A Lisbon", "B Porto", "C London"}

    for path in ("/admin/reports/occupancy", "/admin/reports/revenue"):
        assert_problem(
            await client.get(API + path, params=RANGE, headers=eur_a["owner"]), 403, "auth.admin_only"
        )
        assert_problem(await client.get(API + path, params={"from": d(3), "to": d(2)}, headers=admin), 422)


async def test_reports_read_in_a_read_only_transaction(
    client: httpx.AsyncClient, ctx: AppContext, backend: str
) -> None:
    await hotel(client)
    async with read_only(ctx) as session:
        if backend == "postgres":
            assert await session.scalar(text("SHOW transaction_read_only")) == "on"
    if backend == "postgres":
        with pytest.raises(DBAPIError, match="read-only transaction"):
            async with read_only(ctx) as session:
                await session.execute(text("UPDATE properties SET name = 'x'"))


async def test_reports_can_read_another_database_url(client: httpx.AsyncClient, ctx: AppContext) -> None:
    """A replica URL (here: the same database under another URL object) gets an engine of its own."""
    h = await hotel(client, rooms=1)
    await desk_booking(client, h, 10, 11)
    url = ctx.settings.database_url
    if url.startswith("sqlite"):
        head, _, name = url.rpartition("/")
        replica = f"{head}/./{name}"
    else:
        replica = f"{url}?prepared_statement_cache_size=50"
    ctx.settings = with_settings(ctx.settings, reports_database_url=replica)
    try:
        db = reports_database(ctx)
        assert db is not ctx.db and db.url == replica
        data = await report(client, h, "occupancy", **{"from": d(10), "to": d(11)})
        assert data["items"][0]["rooms_sold"] == 1
    finally:
        await dispose(ctx)
        ctx.settings = with_settings(ctx.settings, reports_database_url=None)


async def test_closing_the_context_closes_the_replica(ctx: AppContext) -> None:
    """A worker or a server shutting down leaves no replica connection behind."""
    url = ctx.settings.database_url
    head, _, name = url.rpartition("/")
    replica = f"{head}/./{name}" if url.startswith("sqlite") else f"{url}?prepared_statement_cache_size=50"
    settings = with_settings(ctx.settings, reports_database_url=replica)
    other = AppContext.build(settings)
    db = reports_database(other)
    assert db is not other.db
    async with read_only(other) as session:
        await session.execute(text("SELECT 1"))
    closed: list[bool] = []
    real = db.dispose

    async def dispose_and_note() -> None:
        closed.append(True)
        await real()

    db.dispose = dispose_and_note  # type: ignore[method-assign]
    await other.close()
    assert closed == [True] and not other.extras
