"""The raw-SQL side of the hourly benchmark (``bench.hourly``): the bare SQL of the reads and pgbench's
booking transaction.

* **Bare SQL of a read**: the statements the endpoint issues for one request, captured from the
  application's own code (the functions the route calls, run on a SQLAlchemy session whose engine has a
  ``before_cursor_execute`` hook: the SQL text in asyncpg's ``$n`` style and the values asyncpg
  receives), then run back to back on a plain asyncpg connection: the database's share of the request
  without any Python ORM, routing or serialisation.
* **pgbench**: the booking transaction in raw SQL, over the dataset's pools of free slots.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import resource
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bench import hourly_data as data
from bench.booking import Result, cpu_now, io_stall_now, stalled_since
from bench.servercpu import server_note
from innkeeper.catalog.cache import CatalogCache
from innkeeper.catalog.resources import public_resource
from innkeeper.config import Settings
from innkeeper.inventory import hourly
from innkeeper.kit.clock import utcnow
from innkeeper.pricing import hourly as hourly_pricing  # registers the slot pricer the endpoint calls
from innkeeper.pricing.resource_cards import ResourceCatalog
from innkeeper.search.resources import ResourceSearchParams, load_search

DURATION_MINUTES = 60

assert hourly_pricing.price_listed_slots  # imported for its registration


# -- results ---------------------------------------------------------------------------------------------


@dataclass
class Reads(Result):
    """Requests answered 200 (or bare SQL runs), their latencies and rate."""

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    def line(self) -> str:
        errors = {k: v for k, v in sorted(self.statuses.items()) if k != 200}
        stalled = f"  I/O-stalled {100 * self.io_stalled / self.elapsed:.0f}%" if self.io_stalled else ""
        return (
            f"{self.label:<44} {self.rate:8.1f}/s  p50 {self.pct(50):7.1f} ms  p95 {self.pct(95):7.1f} ms  "
            f"p99 {self.pct(99):7.1f} ms  n={self.ok}  non-200={errors or 0}  "
            f"client CPU {100 * self.cpu / self.elapsed if self.elapsed else 0:.0f}%{stalled}"
            + server_note(self.server_cpu, self.server_rss_mb)
        )


# -- reads: the bare SQL ---------------------------------------------------------------------------------

Statements = list[tuple[str, list[Any]]]


class Capture:
    """The statements (SQL text in asyncpg's ``$n`` style and their bound values) the application's code
    sends through a SQLAlchemy engine while :meth:`during` runs: what a request's bare SQL is."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.recording: Statements | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if self.recording is not None:
            self.recording.append((statement, list(parameters or ())))

    async def during(self, work: Callable[[], Any]) -> Statements:
        self.recording = []
        try:
            await work()
            return self.recording
        finally:
            self.recording = None


async def slot_statements(url: str, plan: list[tuple[uuid.UUID, date]]) -> list[Statements]:
    """What ``GET /resources/{id}/slots`` reads for each (resource, day): the resource with its property,
    ``inventory.hourly.free_slots``'s windows, exceptions and allocations, and the rates when a slot is
    free (``pricing.hourly.price_listed_slots``)."""
    engine = create_async_engine(url)
    capture, sessions = Capture(engine), async_sessionmaker(engine, expire_on_commit=False)
    out = []
    for resource_id, day in plan:
        async with sessions() as session:

            async def work(
                session: Any = session, resource_id: uuid.UUID = resource_id, day: date = day
            ) -> None:
                res, prop = await public_resource(session, resource_id)
                found = await hourly.free_slots(session, res, prop, day, DURATION_MINUTES, now=utcnow())
                await hourly.price_slots(session, prop, res, found, attendees=None, mode=None)

            out.append(await capture.during(work))
    await engine.dispose()
    return out


async def search_statements(url: str, plan: list[tuple[str, date]]) -> list[Statements]:
    """What ``GET /resources?city=&date=`` reads for each (city, day) once the server's cache of windows
    and rates is warm: the candidates and their properties, exceptions and allocations
    (``search.resources.load_search``: four statements; each search is run once uncaptured first, which
    loads that city's windows and rates into the cache, as the server's first search of it does)."""
    engine = create_async_engine(url)
    capture, sessions = Capture(engine), async_sessionmaker(engine, expire_on_commit=False)
    settings = Settings()
    cache = CatalogCache[ResourceCatalog]()
    out = []
    for city, day in plan:
        params = ResourceSearchParams(day=day, city=city, duration_minutes=DURATION_MINUTES)
        async with sessions() as session:
            await load_search(session, settings, params, cache)

            async def work(session: Any = session, params: ResourceSearchParams = params) -> None:
                await load_search(session, settings, params, cache)

            out.append(await capture.during(work))
    await engine.dispose()
    return out


async def bare_sql(dsn: str, plan: list[Statements], clients: int, duration: float, label: str) -> Reads:
    """Each entry's statements back to back on one asyncpg connection per client; one untimed pass first
    (warm caches, prepared statements), then the plan once (1 client) or round and round (more), bounded
    by ``duration``."""
    conns = [await asyncpg.connect(dsn) for _ in range(clients)]
    result = Reads(label)
    try:
        for statements in plan:
            for sql, args in statements:
                await conns[0].fetch(sql, *args)
        entries = iter(plan) if clients == 1 else itertools.cycle(plan)
        deadline = time.perf_counter() + duration

        async def client(conn: asyncpg.Connection) -> None:
            for statements in entries:
                started = time.perf_counter()
                if started > deadline:
                    return
                for sql, args in statements:
                    await conn.fetch(sql, *args)
                result.latencies.append(time.perf_counter() - started)

        cpu0, t0, io0 = cpu_now(), time.perf_counter(), io_stall_now()
        await asyncio.gather(*(client(c) for c in conns))
        result.elapsed, result.cpu = time.perf_counter() - t0, cpu_now() - cpu0
        result.io_stalled = stalled_since(io0)
        result.statuses = {200: len(result.latencies)}
    finally:
        for c in conns:
            await c.close()
    return result


# -- pgbench ---------------------------------------------------------------------------------------------

PGBENCH_BOOKING = """BEGIN;
SELECT nextval('bench_pool_{pool}_seq') AS k \\gset
SELECT id FROM resources WHERE id = (SELECT resource_id FROM bench_pool_{pool} WHERE n = :k)
FOR NO KEY UPDATE;
{insert_booking};
INSERT INTO resource_allocations (id, resource_id, booking_id, starts_at, ends_at, active)
SELECT gen_random_uuid(), resource_id, booking_id, held_from, held_to, true
FROM bench_pool_{pool} WHERE n = :k;
COMMIT;
"""


async def pgbench_scripts(dsn: str, template_booking: str, workdir: Path) -> dict[bool, Path]:
    """The raw booking transaction for each pool: lock the resource's row (as ``allocations.lock_resource``
    does), insert the booking (a clone of the API-made one, ``reserved`` with a hold like the API's), insert
    the allocation, commit."""
    conn = await asyncpg.connect(dsn)
    out = {}
    try:
        for hot, pool in ((False, "cold"), (True, "hot")):
            insert = await data.clone_sql(
                conn,
                "bookings",
                {
                    "id": "p.booking_id",
                    "reference": f"'PG{pool[0]}' || p.n",
                    "property_id": "p.property_id",
                    "resource_id": "p.resource_id",
                    "start_at": "p.start_at",
                    "end_at": "p.end_at",
                    "checkin": "p.day",
                    "checkout": "p.day + 1",
                    "expires_at": "now() + interval '15 minutes'",
                    "contact_email": "'pg' || p.n || '@example.com'",
                    "created_at": "now()",
                    "updated_at": "now()",
                },
                f"bench_pool_{pool} p CROSS JOIN bookings t WHERE t.id = '{template_booking}' AND p.n = :k",
            )
            path = workdir / f"slot-{pool}.sql"
            path.write_text(PGBENCH_BOOKING.format(pool=pool, insert_booking=insert))
            out[hot] = path
    finally:
        await conn.close()
    return out


async def pool_position(dsn: str, used: dict[bool, int] | None) -> dict[str, tuple[int, int]]:
    """With ``used`` (how many rows of each pool the API took): start the pools' sequences after them.
    Returns each sequence's value and the pool's size (pgbench past the end would insert nothing)."""
    conn = await asyncpg.connect(dsn)
    try:
        out = {}
        for hot, pool in ((False, "cold"), (True, "hot")):
            if used is not None:
                await conn.execute(f"SELECT setval('bench_pool_{pool}_seq', $1)", max(1, used[hot]))
            value = await conn.fetchval(f"SELECT last_value FROM bench_pool_{pool}_seq")
            size = await conn.fetchval(f"SELECT count(*) FROM bench_pool_{pool}")
            out[pool] = (int(value), int(size))
        return out
    finally:
        await conn.close()


def run_pgbench(
    binary: str,
    dsn: str,
    script: Path,
    clients: int,
    duration: int,
    rate: float | None,
    label: str,
    workdir: Path,
) -> Result:
    """``bench.booking``'s pgbench run and log reading, for another script."""
    logdir = workdir / ("log-" + re.sub(r"[^a-z0-9]+", "-", label.lower()))
    logdir.mkdir()
    cmd = [binary, "-n", "-f", str(script), "-c", str(clients), "-j", "2", "-T", str(duration), "-l",
           "--log-prefix", str(logdir / "pgbench")]  # fmt: skip
    if rate:
        cmd += ["-R", str(rate)]
    cpu0, io0 = resource.getrusage(resource.RUSAGE_CHILDREN), io_stall_now()
    done = subprocess.run([*cmd, dsn], capture_output=True, text=True, timeout=duration + 120)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    result = Result(label, elapsed=float(duration))
    for path in logdir.iterdir():
        for row in path.read_text().splitlines():
            parts = row.split()
            latency_us = int(parts[2]) + (int(parts[6]) if len(parts) > 6 else 0)  # -R: schedule lag too
            result.latencies.append(latency_us / 1e6)
    result.statuses = {201: len(result.latencies)}
    result.cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    result.io_stalled = stalled_since(io0)
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    if tps:
        result.elapsed = len(result.latencies) / float(tps.group(1))
    return result
