"""The hourly benchmark's dataset (``bench.hourly``): a few rows made through the API, cloned in SQL.

Through the API (like a real owner): a venue with a hall, a meeting room and the *hot* room; a practice
with a professional; their weekly windows, add-ons and rates; one slot booking. Then, set-based, on one
connection per step (foreign-key triggers off, ``session_replication_role = replica``; everything else
is the real schema):

* 500 properties (half venues with 3 halls and 3 meeting rooms, half practices with 6 professionals)
  in 6 cities and 4 time zones, 3,000 resources, their windows (every day 08:00-20:00), add-ons, rates;
* a closed day (an exception) every 30 days per resource;
* 20 % of the next 180 days' open time booked: each 2-hour block of a day holds a 1-hour booking with
  probability 0.4 (at :00 or :30 of its first hour, so buffers never make two of them overlap), each a
  confirmed ``bookings`` row (kind ``slot``, a clone of the API-made one) with its allocation;
* ``bench_pool_cold``: free 2-hour blocks (days 3-30), each a distinct resource and time for the
  uncontended booking runs (the API takes them from the front, pgbench after it, ``bench_pool_cold_seq``);
* ``bench_pool_hot``: consecutive 15-minute slots of the hot room (the API's within its horizon,
  pgbench's past them: the database does not check windows), ``bench_pool_hot_seq``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from innkeeper.catalog.schemas import fold_city

PROPERTIES = 500  # half venues, half practices
PER_PROPERTY = 3  # halls + 3 meeting rooms a venue; 2 x 3 professionals a practice
DAYS = 180
BOOKED_BLOCK_SHARE = 0.4  # of the six 2-hour blocks a day, each holding a 1-hour booking: 20 % of 12 h
CLOSED_EVERY_DAYS = 30
COLD_POOL = 200_000
HOT_POOL = 300_000
HOT_STEP_MINUTES = 15
CITIES = [  # name, country, time zone, latitude, longitude
    ("Lisbon", "PT", "Europe/Lisbon", 38.72, -9.14),
    ("Porto", "PT", "Europe/Lisbon", 41.15, -8.61),
    ("Madrid", "ES", "Europe/Madrid", 40.42, -3.70),
    ("Paris", "FR", "Europe/Paris", 48.86, 2.35),
    ("Berlin", "DE", "Europe/Berlin", 52.52, 13.40),
    ("New York", "US", "America/New_York", 40.71, -74.01),
]
API = "/api/v1"


@dataclass
class Templates:
    venue: str
    practice: str
    hall: str
    room: str
    professional: str
    hot: str
    hot_timezone: str
    booking: str


# -- through the API -------------------------------------------------------------------------------------


def _ok(r: httpx.Response) -> Any:
    if r.status_code >= 400:
        raise SystemExit(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text}")
    return r.json()


def _every_day(start: str, end: str) -> dict[str, Any]:
    return {"windows": [{"weekday": d, "start": start, "end": end} for d in range(7)]}


def api_templates(base: str) -> Templates:
    """The rows the SQL clones, made as an owner would make them."""
    with httpx.Client(base_url=base + API, timeout=30) as c:
        tokens = _ok(
            c.post(
                "/auth/signup",
                json={
                    "email": "bench-hourly@example.com",
                    "password": "correct horse battery",
                    "full_name": "H",
                },
            )
        )
        c.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        city, country, tz, lat, lng = CITIES[0]
        place = {"city": city, "country": country, "timezone": tz, "currency": "EUR", "latitude": lat}
        props = {
            kind: _ok(
                c.post(
                    "/properties", json={**place, "name": f"Bench {kind} 0", "kind": kind, "longitude": lng}
                )
            )
            for kind in ("venue", "practice")
        }
        for prop in props.values():
            _ok(c.post(f"/properties/{prop['id']}/activate"))
        venue, practice = props["venue"]["id"], props["practice"]["id"]

        def resource(pid: str, body: dict[str, Any], windows: dict[str, Any]) -> str:
            rid: str = _ok(c.post(f"/properties/{pid}/resources", json=body))["id"]
            _ok(c.put(f"/properties/{pid}/resources/{rid}/availability", json=windows))
            return rid

        day = _every_day("08:00", "20:00")
        hall = resource(
            venue,
            {
                "kind": "hall",
                "name": "Hall",
                "capacity": 120,
                "hourly_price": "150.00",
                "category": "conference",
                "buffer_after_minutes": 30,
                "amenities": ["projector", "wifi"],
            },
            day,
        )
        room = resource(
            venue,
            {
                "kind": "meeting_room",
                "name": "Room",
                "capacity": 12,
                "hourly_price": "40.00",
                "category": "meeting",
            },
            day,
        )
        professional = resource(
            practice,
            {
                "kind": "professional",
                "name": "Professional",
                "capacity": 1,
                "hourly_price": "60.00",
                "category": "physiotherapy",
                "travel": {"base_fee": "10.00", "per_km": "1.00", "max_km": "25"},
            },
            day,
        )
        hot = resource(
            venue,
            {
                "kind": "meeting_room",
                "name": "Hot room",
                "capacity": 10,
                "hourly_price": "30.00",
                "min_duration_minutes": HOT_STEP_MINUTES,
                "slot_step_minutes": HOT_STEP_MINUTES,
            },
            _every_day("00:00", "24:00"),
        )
        for rid, pid in ((hall, venue), (room, venue)):
            base_path = f"/properties/{pid}/resources/{rid}"
            _ok(
                c.post(
                    f"{base_path}/rates",
                    json={
                        "weekdays": [0, 1, 2, 3, 4],
                        "start_time": "17:00",
                        "end_time": "20:00",
                        "percent": 125,
                    },
                )
            )
            _ok(c.post(f"{base_path}/rates", json={"weekdays": [5], "percent": 130}))
            _ok(
                c.post(
                    f"{base_path}/addons",
                    json={"code": "coffee", "name": "Coffee", "price": "3.00", "unit": "per_person"},
                )
            )
        hall_path = f"/properties/{venue}/resources/{hall}"
        _ok(
            c.post(
                f"{hall_path}/addons",
                json={"code": "projector", "name": "Projector", "price": "25.00", "unit": "per_booking"},
            )
        )
        _ok(
            c.post(
                f"{hall_path}/addons",
                json={"code": "staff", "name": "Staff", "price": "20.00", "unit": "per_hour"},
            )
        )
        _ok(
            c.post(
                f"/properties/{practice}/resources/{professional}/rates",
                json={"weekdays": [5], "percent": 120},
            )
        )
        # the booking every cloned one copies: the last day of the horizon, clear of the bulk bookings
        last = (datetime.now(ZoneInfo(tz)).date() + timedelta(days=DAYS - 1)).isoformat()
        booking = _ok(
            c.post(
                "/bookings",
                json={
                    "resource_id": hall,
                    "start": f"{last}T08:00:00",
                    "end": f"{last}T09:00:00",
                    "attendees": 20,
                    "addons": [{"code": "projector"}],
                    "contact": {"name": "Bench Guest", "email": "guest@example.com"},
                },
            )
        )
    return Templates(venue, practice, hall, room, professional, hot, tz, booking["id"])


# -- in SQL ----------------------------------------------------------------------------------------------


async def columns(conn: asyncpg.Connection, table: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1 "
        "ORDER BY ordinal_position",
        table,
    )
    return [r["column_name"] for r in rows]


async def clone_sql(conn: asyncpg.Connection, table: str, overrides: dict[str, str], source: str) -> str:
    """``INSERT INTO table (every column) SELECT <override or t.column> FROM <source>``: a clone of the
    row(s) ``t`` of ``source`` that stays right when a migration adds a column."""
    cols = await columns(conn, table)
    exprs = [overrides.get(c, f"t.{c}") for c in cols]
    return f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {source}"


async def _bulk(dsn: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def build(dsn: str, t: Templates) -> dict[str, Any]:
    """Clone the templates into the full dataset; returns a few counts."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SELECT setseed(0.11)")

        async def step(label: str, sql: str, *args: Any) -> None:
            started = time.perf_counter()
            await conn.execute(sql, *args)
            print(f"  {label:<34} {time.perf_counter() - started:6.1f} s", flush=True)

        await _properties(conn, step, t)
        await _resources(conn, step, t)
        await _bookings(dsn, conn, step, t)
        await _pools(conn, step, t)
        await conn.execute("SET session_replication_role = DEFAULT")
        # the template properties got resources, windows and rates behind the API's back (the clones
        # above): bump every property's catalog_version, as the application does in the transaction of
        # any such change, or servers that cached a template property's cards while the templates were
        # built keep them (its clones then had no windows: 422 slot.outside_availability)
        await step("catalog versions", "UPDATE properties SET catalog_version = catalog_version + 1")
        await step("analyze", "ANALYZE")
        # the schema was just made: write it out now, not in a checkpoint's sync during a measured run
        await step("checkpoint", "CHECKPOINT")
        counts = dict(
            await conn.fetchrow(
                """SELECT (SELECT count(*) FROM properties) AS properties,
                          (SELECT count(*) FROM resources) AS resources,
                          (SELECT count(*) FROM resource_windows) AS windows,
                          (SELECT count(*) FROM resource_exceptions) AS exceptions,
                          (SELECT count(*) FROM bookings WHERE kind = 'slot') AS bookings,
                          (SELECT count(*) FROM resource_allocations WHERE active) AS allocations,
                          (SELECT sum(extract(epoch FROM end_at - start_at)) FROM bench_slots) / 3600.0
                              / ((SELECT count(*) FROM bench_resources) * ($1 - 1) * 12.0) AS booked_share
                """,
                DAYS,
            )
        )
    finally:
        await conn.close()
    return counts


async def _properties(conn: asyncpg.Connection, step: Any, t: Templates) -> None:
    """249 more venues and 249 more practices like the API-made ones, spread over the cities."""
    cities = [c[0] for c in CITIES]
    overrides = {
        "id": "gen_random_uuid()",
        "name": "t.name || ' ' || g",
        "slug": "t.kind || '-bench-' || g",
        "city": "($1::text[])[1 + g % 6]",
        "city_key": "($2::text[])[1 + g % 6]",
        "country": "($3::text[])[1 + g % 6]",
        "timezone": "($4::text[])[1 + g % 6]",
        "latitude": "($5::float8[])[1 + g % 6] + (random() - 0.5) * 0.1",
        "longitude": "($6::float8[])[1 + g % 6] + (random() - 0.5) * 0.1",
        "created_at": "now()",
        "updated_at": "now()",
    }
    per_kind = PROPERTIES // 2 - 1
    sql = await clone_sql(
        conn,
        "properties",
        overrides,
        f"properties t CROSS JOIN generate_series(1, {per_kind}) g WHERE t.id = ANY($7)",
    )
    await step(
        "properties",
        sql,
        cities,
        [fold_city(c) for c in cities],
        [c[1] for c in CITIES],
        [c[2] for c in CITIES],
        [c[3] for c in CITIES],
        [c[4] for c in CITIES],
        [t.venue, t.practice],
    )


async def _resources(conn: asyncpg.Connection, step: Any, t: Templates) -> None:
    await step(
        "resource plan",
        """
        CREATE TABLE bench_resources AS
        SELECT CASE WHEN p.id = tpl.property_id AND k = 1 THEN tpl.id ELSE gen_random_uuid() END AS id,
               tpl.id AS template_id, p.id AS property_id, p.timezone, k,
               tpl.buffer_before_minutes AS before, tpl.buffer_after_minutes AS after
        FROM properties p
        JOIN resources tpl ON tpl.id = ANY($1)
             AND (tpl.kind = 'professional') = (p.kind = 'practice')
        CROSS JOIN generate_series(1, (CASE WHEN p.kind = 'practice' THEN 2 ELSE 1 END) * $2) AS k
        """,
        [t.hall, t.room, t.professional],
        PER_PROPERTY,
    )
    await conn.execute("ALTER TABLE bench_resources ADD PRIMARY KEY (id)")
    clone = "bench_resources b JOIN resources t ON t.id = b.template_id WHERE b.id <> b.template_id"
    sql = await clone_sql(
        conn,
        "resources",
        {
            "id": "b.id",
            "property_id": "b.property_id",
            "name": "t.name || ' ' || b.k",
            "created_at": "now()",
            "updated_at": "now()",
        },
        clone,
    )
    await step("resources", sql)
    for table, label in (
        ("resource_windows", "windows"),
        ("resource_addons", "add-ons"),
        ("resource_rates", "rates"),
    ):
        sql = await clone_sql(
            conn,
            table,
            {"id": "gen_random_uuid()", "resource_id": "b.id"},
            "bench_resources b JOIN "
            + table
            + " t ON t.resource_id = b.template_id WHERE b.id <> b.template_id",
        )
        await step(label, sql)
    await step(
        "closed days (exceptions)",
        f"""
        INSERT INTO resource_exceptions
            (id, resource_id, starts_at, ends_at, kind, reason, created_by, created_at)
        SELECT gen_random_uuid(), b.id, (current_date + d)::timestamp AT TIME ZONE b.timezone,
               (current_date + d + 1)::timestamp AT TIME ZONE b.timezone, 'closed', 'maintenance', NULL, now()
        FROM bench_resources b CROSS JOIN generate_series(1, {DAYS}) AS d
        WHERE (d + abs(hashtext(b.id::text))) % {CLOSED_EVERY_DAYS} = 0
        """,
    )


async def _bookings(dsn: str, conn: asyncpg.Connection, step: Any, t: Templates) -> None:
    """20 % of the open time booked: confirmed slot bookings and their allocations."""
    await step(
        "booked slots plan",
        f"""
        CREATE TABLE bench_slots AS
        SELECT row_number() OVER ()::int AS n, gen_random_uuid() AS booking_id, s.*,
               s.start_at + interval '1 hour' AS end_at,
               s.start_at - make_interval(mins => s.before) AS held_from,
               s.start_at + make_interval(mins => 60 + s.after) AS held_to
        FROM (
            SELECT b.id AS resource_id, b.property_id, b.timezone, b.before, b.after, current_date + d AS day,
                   blk, (current_date + d
                         + make_interval(mins => 480 + 120 * blk + 30 * (random() < 0.5)::int))
                       AT TIME ZONE b.timezone AS start_at
            FROM bench_resources b CROSS JOIN generate_series(1, {DAYS - 1}) AS d
                 CROSS JOIN generate_series(0, 5) AS blk
            WHERE random() < {BOOKED_BLOCK_SHARE}
              AND (d + abs(hashtext(b.id::text))) % {CLOSED_EVERY_DAYS} <> 0
        ) AS s
        """,
    )
    # the API-made booking's time is taken already
    await conn.execute(
        """DELETE FROM bench_slots s USING resource_allocations a
           WHERE a.resource_id = s.resource_id AND a.active
             AND a.starts_at < s.held_to AND a.ends_at > s.held_from"""
    )
    sql = await clone_sql(
        conn,
        "bookings",
        {
            "id": "s.booking_id",
            "reference": "'HB' || s.n",
            "property_id": "s.property_id",
            "resource_id": "s.resource_id",
            "start_at": "s.start_at",
            "end_at": "s.end_at",
            "checkin": "s.day",
            "checkout": "s.day + 1",
            "status": "'confirmed'",
            "confirmed_at": "now()",
            "expires_at": "NULL",
            "guest_token_hash": "NULL",
            "contact_email": "'guest' || s.n || '@example.com'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "bench_slots s CROSS JOIN bookings t WHERE t.id = $1 AND s.n % 2 = $2",
    )
    await conn.execute("ANALYZE bench_slots")
    # indexes and constraints are built once at the end, much faster than row by row (the exclusion
    # constraint's GiST index most of all); the two tables are filled and indexed in parallel
    remake = {table: await _drop_indexes(conn, table) for table in ("bookings", "resource_allocations")}
    started = time.perf_counter()
    await asyncio.gather(
        *(_bulk(dsn, sql, t.booking, half) for half in (0, 1)),
        _bulk(
            dsn,
            """INSERT INTO resource_allocations (id, resource_id, booking_id, starts_at, ends_at, active)
               SELECT gen_random_uuid(), resource_id, booking_id, held_from, held_to, true
               FROM bench_slots""",
        ),
    )
    print(f"  {'bookings and allocations':<34} {time.perf_counter() - started:6.1f} s", flush=True)
    started = time.perf_counter()
    await asyncio.gather(*(_bulk(dsn, ";\n".join(statements)) for statements in remake.values()))
    print(f"  {'their indexes and constraints':<34} {time.perf_counter() - started:6.1f} s", flush=True)


async def _drop_indexes(conn: asyncpg.Connection, table: str) -> list[str]:
    """Drop ``table``'s indexes and unique or exclusion constraints but its primary key; returns the
    statements that make them again."""
    remake = []
    for name, definition in await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = $1::text::regclass AND contype IN ('u', 'x')",
        table,
    ):
        await conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        remake.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for name, definition in await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1 "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = $1::text::regclass)",
        table,
    ):
        await conn.execute(f"DROP INDEX {name}")
        remake.append(definition)
    return remake


async def _pools(conn: asyncpg.Connection, step: Any, t: Templates) -> None:
    # free blocks: the 2-hour blocks of days 3-30 where the bulk put no booking
    await step(
        "cold pool (free blocks)",
        f"""
        CREATE TABLE bench_pool_cold AS
        SELECT row_number() OVER (
                   ORDER BY c.day, c.blk, abs(hashtext(c.resource_id::text)), c.resource_id
               )::int AS n,
               c.resource_id, c.property_id, c.timezone, c.day, gen_random_uuid() AS booking_id, c.start_at,
               c.start_at + interval '1 hour' AS end_at,
               c.start_at - make_interval(mins => c.before) AS held_from,
               c.start_at + make_interval(mins => 60 + c.after) AS held_to
        FROM (
            SELECT b.id AS resource_id, b.property_id, b.timezone, b.before, b.after, current_date + d AS day,
                   blk, (current_date + d + make_interval(mins => 480 + 120 * blk)) AT TIME ZONE b.timezone
                       AS start_at
            FROM bench_resources b
            CROSS JOIN generate_series(3, 30) AS d
            CROSS JOIN generate_series(0, 5) AS blk
            WHERE (d + abs(hashtext(b.id::text))) % {CLOSED_EVERY_DAYS} <> 0
        ) AS c
        LEFT JOIN bench_slots s ON s.resource_id = c.resource_id AND s.day = c.day AND s.blk = c.blk
        WHERE s.n IS NULL
        ORDER BY n LIMIT {COLD_POOL}
        """,
    )
    first = datetime.now(ZoneInfo(t.hot_timezone)).date() + timedelta(days=1)
    await step(
        "hot pool (15-minute slots)",
        f"""
        CREATE TABLE bench_pool_hot AS
        SELECT n, r.id AS resource_id, r.property_id, p.timezone, gen_random_uuid() AS booking_id,
               s AS start_at, s + interval '{HOT_STEP_MINUTES} minutes' AS end_at,
               s AS held_from, s + interval '{HOT_STEP_MINUTES} minutes' AS held_to,
               (s AT TIME ZONE p.timezone)::date AS day
        FROM resources r JOIN properties p ON p.id = r.property_id
        CROSS JOIN generate_series(1, {HOT_POOL}) AS n
        CROSS JOIN LATERAL (SELECT ($2::date::timestamp AT TIME ZONE p.timezone)
                                   + (n - 1) * interval '{HOT_STEP_MINUTES} minutes' AS s) AS x
        WHERE r.id = $1
        """,
        t.hot,
        first,
    )
    for pool in ("cold", "hot"):
        await conn.execute(f"ALTER TABLE bench_pool_{pool} ADD PRIMARY KEY (n)")
        await conn.execute(f"CREATE SEQUENCE bench_pool_{pool}_seq")


def hot_api_slots(horizon_days: int = DAYS) -> int:
    """How many of the hot pool's slots the API accepts: those that start within the horizon."""
    return (horizon_days - 2) * 24 * 60 // HOT_STEP_MINUTES


def local_day(timezone: str, days: int) -> date:
    return datetime.now(ZoneInfo(timezone)).date() + timedelta(days=days)
