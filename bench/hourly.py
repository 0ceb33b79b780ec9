"""Hourly benchmark: slots, resource search and slot bookings through 2 API processes on PostgreSQL, next
to the bare SQL of the same work.

    .venv/bin/python -m bench.hourly [--duration 10] [--url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_hourly]

What it does (it prints figures; it is not a test):

1. Drops and re-creates its own database (``bench_hourly`` by default; never a test or shared one), migrates
   it and starts ``innkeeper serve --workers 2 --no-migrate`` (``bench.booking``'s start-up: jobs out of
   process, rate limits lifted).
2. Dataset (``bench.hourly_data``): a few rows made through the API, cloned in set-based SQL into 500
   venues and practices x 6 resources in 6 cities, windows every day 08:00-20:00, a closed day a month,
   20 % of the next 180 days booked (bookings and allocations), rates and add-ons.
3. Reads, each next to its bare SQL (the statements the endpoint issues, captured from the application's
   own code on a SQLAlchemy session for the same request, then run back to back on one asyncpg connection
   per client, after one untimed pass):
   * ``GET /resources/{id}/slots`` for one resource and day: p50/p95 at 1 client, the rate at 8;
   * ``GET /resources?city=&date=``: p50/p95 at 1 client, the rate at 8.
4. ``POST /bookings`` for slots, ``bench.booking``'s method (closed loop for the maximum, open loop at half
   of it for the latency): uncontended (every request a distinct resource and time), hot (distinct
   15-minute slots of one resource: they queue on its row lock and succeed), and all requests for one
   booked time (409s). pgbench runs the equivalent raw transaction for the first two.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench import hourly_data as data
from bench.booking import (
    Result,
    closed_loop,
    cpu_now,
    io_stall_now,
    libpq_url,
    loadavg,
    open_loop,
    pgbench_binary,
    run_scenario,
    stalled_since,
    start_server,
    stop_server,
)
from bench.hourly_sql import (
    DURATION_MINUTES,
    Reads,
    Statements,
    bare_sql,
    pgbench_scripts,
    pool_position,
    run_pgbench,
    search_statements,
    slot_statements,
)
from bench.loadclient import HttpError, Pool
from bench.servercpu import ServerCpu, server_note
from innkeeper.catalog.models import Property, Resource
from innkeeper.kit.migrate import upgrade

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_hourly"
#: shared databases (the test harness's, the other benchmarks') and the server's own: never dropped here
PROTECTED = {"postgres", "template0", "template1", "bench", "bench_booking"}
CLIENTS = 8

# -- database --------------------------------------------------------------------------------------------


def check_database(url: str) -> str:
    name = make_url(url).database or ""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing database name {name!r}")
    if name in PROTECTED or name.startswith("test"):
        raise SystemExit(f"refusing to reset {name!r}: it is a shared database")
    return name


async def recreate_database(url: str, name: str) -> None:
    admin = libpq_url(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@dataclass
class Refusals(Result):
    """Booking requests refused 409: how many a second, how fast."""

    @property
    def ok(self) -> int:
        return self.statuses.get(409, 0)

    def line(self) -> str:
        others = {k: v for k, v in sorted(self.statuses.items()) if k != 409}
        return (
            f"{self.label:<44} {self.rate:8.1f} 409/s  p50 {self.pct(50):7.1f} ms  "
            f"p95 {self.pct(95):7.1f} ms  "
            f"p99 {self.pct(99):7.1f} ms  n={self.ok}  other={others or 0}  "
            f"client CPU {100 * self.cpu / self.elapsed if self.elapsed else 0:.0f}%"
            + server_note(self.server_cpu, self.server_rss_mb)
        )


# -- reads: HTTP -----------------------------------------------------------------------------------------

Request = tuple[str, dict[str, Any]]


async def read_loop(
    base: str, requests: Iterator[Request], clients: int, duration: float, label: str
) -> Reads:
    """``clients`` closed-loop clients sharing ``requests`` (each sent once) until it ends or ``duration``."""
    result = Reads(label)
    pool = Pool(base)
    deadline = time.perf_counter() + duration

    async def client() -> None:
        for path, params in requests:
            started = time.perf_counter()
            if started > deadline:
                return
            try:
                status = (await pool.request("GET", path, params=params)).status
            except HttpError:
                status = 0
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 200:
                result.latencies.append(time.perf_counter() - started)

    cpu0, t0, io0 = cpu_now(), time.perf_counter(), io_stall_now()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed, result.cpu = time.perf_counter() - t0, cpu_now() - cpu0
    result.io_stalled = stalled_since(io0)
    await pool.close()
    return result


# -- reads: plans and runs -------------------------------------------------------------------------------


async def read_plans(
    url: str, n_slots: int, n_searches: int
) -> tuple[list[tuple[uuid.UUID, date]], list[tuple[str, date]]]:
    """Random (resource, local day) and (city, local day) pairs, days 2-170 ahead."""
    rng = random.Random(7)
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(Resource.id, Property.timezone)
                .join(Property, Property.id == Resource.property_id)
                .where(Resource.name != "Hot room")
                .order_by(Resource.id)
            )
        ).all()
    await engine.dispose()
    slots = [
        (rid, data.local_day(tz, rng.randint(2, 170)))
        for rid, tz in (rng.choice(rows) for _ in range(n_slots))
    ]
    cities = [rng.choice(data.CITIES) for _ in range(n_searches)]
    searches = [(c[0], data.local_day(c[2], rng.randint(2, 170))) for c in cities]
    return slots, searches


def measure_reads(
    name: str,
    base: str,
    dsn: str,
    requests: list[Request],
    statements: list[Statements],
    duration: float,
    meter: ServerCpu,
) -> dict[str, Reads]:
    """1 client over the plan once, then ``CLIENTS`` clients over it in a loop; the bare SQL the same."""
    out = {
        "sql 1": uvloop.run(bare_sql(dsn, statements, 1, 6 * duration, f"{name}: bare SQL, 1 connection")),
        "sql 8": uvloop.run(
            bare_sql(dsn, statements, CLIENTS, duration, f"{name}: bare SQL, {CLIENTS} connections")
        ),
    }
    uvloop.run(read_loop(base, itertools.cycle(requests), CLIENTS, 2, "warm-up"))
    out["api 1"] = meter.measure(
        lambda: uvloop.run(read_loop(base, iter(requests), 1, 6 * duration, f"{name}: API, 1 client"))
    )
    out["api 8"] = meter.measure(
        lambda: uvloop.run(
            read_loop(base, itertools.cycle(requests), CLIENTS, duration, f"{name}: API, {CLIENTS} clients")
        )
    )
    for key in ("sql 1", "api 1", "sql 8", "api 8"):
        print(out[key].line(), flush=True)
    return out


# -- bookings --------------------------------------------------------------------------------------------


class Pooled:
    """Booking bodies from a pool table's rows, each a distinct free slot (``.used``: how many handed out)."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows, self.used = rows, 0

    def next(self) -> dict[str, Any]:
        row = self.rows[self.used % len(self.rows)]  # past the end: conflicts, counted as non-201
        self.used += 1
        return {
            "resource_id": str(row["resource_id"]),
            "start": row["start_at"].isoformat(),
            "end": row["end_at"].isoformat(),
            "contact": {"name": "Bench Guest", "email": f"slot{self.used}@example.com"},
        }


async def load_pool(dsn: str, pool: str, limit: int) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(
            await conn.fetch(
                f"SELECT resource_id, start_at, end_at FROM bench_pool_{pool} WHERE n <= $1 ORDER BY n", limit
            )
        )
    finally:
        await conn.close()


async def booked_slot(dsn: str) -> dict[str, Any]:
    """A body for a time a confirmed booking holds: every request for it is refused."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT resource_id, start_at, end_at FROM bench_slots WHERE day >= current_date + 3 "
            "ORDER BY n LIMIT 1"
        )
    finally:
        await conn.close()
    assert row is not None
    return {
        "resource_id": str(row["resource_id"]),
        "start": row["start_at"].isoformat(),
        "end": row["end_at"].isoformat(),
        "contact": {"name": "Bench Guest", "email": "late@example.com"},
    }


async def refused_loop(
    base: str, body: dict[str, Any], clients: int, duration: float, label: str
) -> Refusals:
    result = Refusals(label)
    pool = Pool(base)
    deadline = time.perf_counter() + duration

    async def client() -> None:
        while (started := time.perf_counter()) < deadline:
            try:
                status = (await pool.request("POST", "/api/v1/bookings", json=body)).status
            except HttpError:
                status = 0
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == 409:
                result.latencies.append(time.perf_counter() - started)

    cpu0, t0 = cpu_now(), time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed, result.cpu = time.perf_counter() - t0, cpu_now() - cpu0
    await pool.close()
    return result


# -- main ------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("INNKEEPER_BENCH_HOURLY_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument(
        "--concurrency",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[16, 48],
        help="closed-loop client counts to try for the maximum booking rate (comma-separated)",
    )
    parser.add_argument("--requests", type=int, default=200, help="slot requests in the plan")
    parser.add_argument("--search-requests", type=int, default=100, help="search requests in the plan")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-pgbench", action="store_true")
    return parser.parse_args()


def build_dataset(url: str, base: str) -> data.Templates:
    started = time.perf_counter()
    templates = data.api_templates(base)
    counts = uvloop.run(data.build(libpq_url(url), templates))
    print(
        f"dataset in {time.perf_counter() - started:.0f} s: {counts['properties']} properties, "
        f"{counts['resources']} resources, {counts['windows']} windows, {counts['exceptions']} exceptions, "
        f"{counts['bookings']} slot bookings ({100 * float(counts['booked_share']):.1f} % of the open time "
        f"booked), {counts['allocations']} active allocations",
        flush=True,
    )
    return templates


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def summary(
    reads: dict[str, dict[str, Reads]], api: dict[bool, Any], pg: dict[bool, Any], refused: Refusals
) -> None:
    print("\nsummary (ratio = API / bare SQL)")
    for name, target in (("slots", "p95 <= 20 ms"), ("search", "p95 <= 50 ms, >= 150/s at 8")):
        r = reads[name]
        a1, s1, a8, s8 = r["api 1"], r["sql 1"], r["api 8"], r["sql 8"]
        print(
            f"  {name:<8} 1 client: API p50 {a1.pct(50):6.1f} ms p95 {a1.pct(95):6.1f} ms | bare SQL p50 "
            f"{s1.pct(50):5.1f} ms p95 {s1.pct(95):5.1f} ms | ratio p50 {ratio(a1.pct(50), s1.pct(50))} "
            f"p95 {ratio(a1.pct(95), s1.pct(95))}   {CLIENTS} clients: API {a8.rate:6.1f}/s | bare SQL "
            f"{s8.rate:7.1f}/s | ratio {a8.rate / s8.rate if s8.rate else 0:.2f}   (target {target})"
        )
    for hot, name, target in ((False, "uncontended", ">= 200/s"), (True, "hot", ">= 100/s")):
        (a_max, a_half) = api[hot]
        line = f"  bookings {name:<12} API {a_max.rate:7.1f}/s (p95 at half {a_half.pct(95):6.1f} ms)"
        if hot in pg:
            p_max, p_half = pg[hot]
            line += (
                f" | pgbench {p_max.rate:7.1f}/s (p95 at half {p_half.pct(95):6.1f} ms)"
                f" | API/pgbench = {a_max.rate / p_max.rate:.3f}"
            )
        print(line + f"   (target {target})")
    print(
        f"  bookings all conflicting: {refused.rate:.1f} 409/s, p50 {refused.pct(50):.1f} ms, "
        f"p95 {refused.pct(95):.1f} ms"
    )


def run_reads(args: argparse.Namespace, base: str, dsn: str, meter: ServerCpu) -> dict[str, dict[str, Reads]]:
    slot_plan, search_plan = asyncio.run(read_plans(args.url, args.requests, args.search_requests))
    started = time.perf_counter()
    slot_sql = asyncio.run(slot_statements(args.url, slot_plan))
    search_sql = asyncio.run(search_statements(args.url, search_plan))
    print(f"(captured the bare SQL of both plans in {time.perf_counter() - started:.0f} s)")
    slot_requests = [
        (f"/api/v1/resources/{rid}/slots", {"date": day.isoformat(), "duration_minutes": DURATION_MINUTES})
        for rid, day in slot_plan
    ]
    search_requests = [
        ("/api/v1/resources", {"city": city, "date": day.isoformat()}) for city, day in search_plan
    ]
    reads = {
        "slots": measure_reads(
            "slots (1 resource, 1 day)", base, dsn, slot_requests, slot_sql, args.duration, meter
        ),
        "search": measure_reads(
            "search (city, date)", base, dsn, search_requests, search_sql, args.duration, meter
        ),
    }
    print(f"load average after the reads: {loadavg()}\n", flush=True)
    return reads


def run_api_bookings(
    args: argparse.Namespace, base: str, dsn: str, meter: ServerCpu
) -> tuple[dict[bool, Any], Refusals, dict[bool, Pooled]]:
    pools = {
        False: Pooled(asyncio.run(load_pool(dsn, "cold", 100_000))),
        True: Pooled(asyncio.run(load_pool(dsn, "hot", data.hot_api_slots()))),
    }

    def api(hot: bool, clients: int, rate: float, label: str) -> Result:
        bodies: Any = pools[hot]  # bench.booking's loops call .next() for each request body

        def run() -> Result:
            if rate:
                return uvloop.run(open_loop(base, bodies, rate, args.duration, label))
            return uvloop.run(closed_loop(base, bodies, clients, args.duration, label))

        if not rate:
            uvloop.run(closed_loop(base, bodies, clients, 2, "warm-up"))
        return meter.measure(run)

    print("API: POST /api/v1/bookings (slots)")
    results = {hot: run_scenario(n, api, hot, args) for n, hot in (("uncontended", False), ("hot", True))}
    clients = max(args.concurrency)
    body = asyncio.run(booked_slot(dsn))
    refused = meter.measure(
        lambda: uvloop.run(
            refused_loop(base, body, clients, args.duration, f"all conflicting, {clients} clients")
        )
    )
    print(refused.line())
    print(f"pools used by the API: {pools[False].used} uncontended, {pools[True].used} hot slots")
    return results, refused, pools


def run_raw_bookings(
    args: argparse.Namespace, dsn: str, template_booking: str, pools: dict[bool, Pooled], workdir: Path
) -> dict[bool, Any]:
    binary = None if args.skip_pgbench else pgbench_binary()
    if binary is None:
        print("pgbench not run" + ("" if args.skip_pgbench else " (not found)"))
        return {}
    scripts = asyncio.run(pgbench_scripts(dsn, template_booking, workdir))
    asyncio.run(pool_position(dsn, {hot: pool.used for hot, pool in pools.items()}))

    def raw(hot: bool, clients: int, rate: float, label: str) -> Result:
        return run_pgbench(binary, dsn, scripts[hot], clients, args.duration, rate or None, label, workdir)

    print(f"\npgbench ({binary}): the same transaction in raw SQL")
    results = {hot: run_scenario(n, raw, hot, args) for n, hot in (("uncontended", False), ("hot", True))}
    for pool, (value, size) in asyncio.run(pool_position(dsn, None)).items():
        if value > size:
            print(f"WARNING: pgbench ran past the {pool} pool ({value} > {size}): its rate is too high")
    print(f"load average after pgbench: {loadavg()}")
    return results


def main() -> None:
    args = parse_args()
    name = check_database(args.url)
    dsn = libpq_url(args.url)
    # the reads are anonymous: lift their per-IP budget like bench.booking lifts the write limits
    os.environ["INNKEEPER_ANONYMOUS_READ_RATE_LIMIT"] = "100000000/minute"
    workdir = Path(tempfile.mkdtemp(prefix="hourly-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {loadavg()} (1/5/15 min) before the run", flush=True)
    asyncio.run(recreate_database(args.url, name))
    upgrade(args.url)
    proc, base = start_server(args.url, args.workers, workdir)
    try:
        templates = build_dataset(args.url, base)
        print(f"{args.workers} API processes at {base}; load average {loadavg()}\n", flush=True)
        meter = ServerCpu(proc.pid, dsn)
        reads = run_reads(args, base, dsn, meter)
        api_results, refused, pools = run_api_bookings(args, base, dsn, meter)
    finally:
        stop_server(proc)
    print(f"load average after the API runs: {loadavg()}", flush=True)
    pg_results = run_raw_bookings(args, dsn, templates.booking, pools, workdir)
    summary(reads, api_results, pg_results, refused)
    print(f"load average at the end: {loadavg()}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
