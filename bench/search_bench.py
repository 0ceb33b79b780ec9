"""Search benchmark: start the API (PostgreSQL; 1 and 2 processes), drive ``GET /search`` for 3-night stays
in random cities from an asyncio client on loopback, print p50/p95/p99 and requests/s, next to the time of
the bare SQL the search runs (and their ratio).

    .venv/bin/python -m bench.generate   # once
    .venv/bin/python -m bench.search_bench --workers 1 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvloop
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

from bench.generate import DEFAULT_URL
from bench.loadclient import HttpError, Pool
from innkeeper.config import Settings
from innkeeper.search import finder

ROOT = Path(__file__).resolve().parent.parent

# The statements search.finder.load_candidates issues on a warm catalog cache (the matching properties with
# their catalog version; one aggregate row per room type over the stay), compiled from the application's own
# statement objects for asyncpg, so the database's share is measured without any Python ORM work.
PG_DIALECT = pg_asyncpg.dialect()


def compiled(stmt: Any) -> tuple[str, list[str], dict[str, Any]]:
    """SQL text for asyncpg, the names of its positional parameters, the statement's own values."""
    c = stmt.compile(dialect=PG_DIALECT)
    return str(c), list(c.positiontup or []), dict(c.params)


def sql_for(params: dict[str, str | int]) -> list[tuple[str, list[Any]]]:
    p = finder.SearchParams(
        checkin=date.fromisoformat(str(params["checkin"])),
        checkout=date.fromisoformat(str(params["checkout"])),
        guests=int(params["guests"]),
        rooms=int(params["rooms"]),
        city=str(params["city"]),
    )
    shape, binds = finder._search_binds(p, Settings())
    nights = (p.checkout - p.checkin).days
    for i in range(nights):
        binds[f"n{i}"] = p.checkin + timedelta(days=i)
    out = []
    for stmt in (finder._properties_statement(shape), finder._inventory_statement(shape, nights)):
        text, names, own = compiled(stmt)
        values = {**own, **binds}
        out.append((text, [values[n] for n in names]))
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(label: str, latencies: list[float], elapsed: float | None = None) -> str:
    ms = [x * 1000 for x in latencies]
    text = (
        f"{label:<34} n={len(ms):<5} p50={percentile(ms, 50):6.1f} ms  p95={percentile(ms, 95):6.1f} ms  "
        f"p99={percentile(ms, 99):6.1f} ms"
    )
    if elapsed:
        text += f"  {len(ms) / elapsed:7.1f} req/s"
    return text


def requests_plan(n: int, cities: int, seed: int) -> list[dict[str, str | int]]:
    rng = random.Random(seed)
    today = date.today()
    plan: list[dict[str, str | int]] = []
    for _ in range(n):
        checkin = today + timedelta(days=rng.randint(2, 300))
        plan.append(
            {
                "city": f"Benchville {rng.randrange(cities):02d}",
                "checkin": checkin.isoformat(),
                "checkout": (checkin + timedelta(days=3)).isoformat(),
                "guests": 2,
                "rooms": 1,
            }
        )
    return plan


async def bare_sql(dsn: str, plan: list[dict[str, str | int]]) -> list[float]:
    conn = await asyncpg.connect(dsn)
    out = []
    try:
        for params in plan:
            statements = sql_for(params)
            t = time.perf_counter()
            for sql, args in statements:
                await conn.fetch(sql, *args)
            out.append(time.perf_counter() - t)
    finally:
        await conn.close()
    return out


async def drive(
    base: str, plan: list[dict[str, str | int]], concurrency: int
) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    queue = list(plan)
    client = Pool(base)

    async def worker() -> None:
        nonlocal errors
        while queue:
            params = queue.pop()
            t = time.perf_counter()
            try:
                r = await client.request("GET", "/api/v1/search", params=params)
            except HttpError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - t)
            if r.status != 200 or r.json()["total"] < 0:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await client.close()
    return latencies, elapsed, errors


def start_server(url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INNKEEPER_DATABASE_URL": url,
        "INNKEEPER_ENV": "production",
        # a loopback benchmark: no guests, no money, no mail (production refuses these defaults otherwise)
        "INNKEEPER_UNSAFE_ALLOW_DEVELOPMENT_DEFAULTS": "true",
        "INNKEEPER_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "INNKEEPER_RUN_JOBS_IN_PROCESS": "false",
        "INNKEEPER_LOG_LEVEL": "WARNING",
        "INNKEEPER_DATABASE_POOL_SIZE": "10",
        "INNKEEPER_ANONYMOUS_READ_RATE_LIMIT": "100000000/minute",  # one client address drives it all
    }
    env.pop("INNKEEPER_REDIS_URL", None)
    cmd = [
        str(Path(sys.executable).parent / "innkeeper"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-migrate",
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL)


async def wait_ready(base: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not become ready")


async def bench(args: argparse.Namespace) -> None:
    dsn = args.database_url.replace("postgresql+asyncpg://", "postgresql://")
    # other work on the machine skews every figure: say how busy it was
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    plan = requests_plan(args.requests, args.cities, seed=7)
    warm = requests_plan(100, args.cities, seed=1)
    # warm the cache with the measured plan itself: the dataset (~3.7 M inventory rows) is larger than
    # shared_buffers, and a cold OS cache (say, after another benchmark) made the first pass's p95 read
    # the disk, not the statements; the HTTP runs that follow are warm too
    await bare_sql(dsn, plan)
    sql = await bare_sql(dsn, plan)
    print(summary("bare SQL (2 statements, asyncpg)", sql))
    base = f"http://127.0.0.1:{args.port}"
    for workers in args.workers:
        server = start_server(args.database_url, workers, args.port)
        try:
            await wait_ready(base)
            await drive(base, warm, max(2, workers * 2))
            one, elapsed, errors = await drive(base, plan, 1)
            print(summary(f"HTTP, {workers} process(es), 1 client", one, elapsed) + f"  errors={errors}")
            many, elapsed, errors = await drive(base, plan, args.concurrency)
            print(
                summary(f"HTTP, {workers} process(es), {args.concurrency} clients", many, elapsed)
                + f"  errors={errors}"
            )
            print(
                f"{'':<34} ratio HTTP/SQL at p50, 1 client: "
                f"{statistics.median(one) / statistics.median(sql):.1f}x"
            )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cities", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    uvloop.run(bench(args))


if __name__ == "__main__":
    main()
