"""Booking benchmark: ``POST /api/v1/bookings`` through 2 API processes on PostgreSQL, next to pgbench.

    .venv/bin/python -m bench.booking [--url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_booking]

What it does (it prints figures; it is not a test):

1. Drops and re-migrates the benchmark database (``bench_booking`` by default; never a test database).
2. Dataset: one active hotel made through the API, then 200 room types with a year of inventory cloned
   in SQL (50 rooms a night each; the first, "hot", room type gets a million so it never sells out).
3. Starts ``innkeeper serve --workers 2 --no-migrate`` (jobs out of process, rate limits lifted).
4. For each scenario, (a) uncontended: every request a distinct room type and 3-night stay, and
   (b) hot: one room type, overlapping 3-night stays over 5 start dates:
   * the maximum rate: a closed loop of ``--concurrency`` clients for ``--duration`` seconds;
   * latency at half that rate: an open loop (requests sent on a fixed schedule; latency is measured
     from the scheduled time, so a slow server cannot hide its queueing).
5. Runs ``pgbench`` with the equivalent raw SQL transaction (BEGIN; SELECT … FOR UPDATE ORDER BY date
   on the 3 nights; conditional UPDATE; INSERT booking; COMMIT) the same two ways, and prints the ratio.

The load generator is one asyncio process on uvloop with the lean keep-alive client of ``bench.loadclient``
(about 0.2 ms of CPU per request, a tenth of httpx's); its CPU share is printed so you can tell when the
client, not the server, is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.loadclient import HttpError, Pool
from bench.pgdb import reset_database
from bench.servercpu import ServerCpu, server_note

ROOM_TYPES = 200
NIGHTS = 3
UNCONTENDED_TOTAL = 50
HOT_TOTAL = 1_000_000
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_booking"
PROTECTED = {"test", "test_conc", "test_issue3", "test_payments", "bench"}


# -- database and dataset --------------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def api_hotel(base: str) -> dict[str, str]:
    """Owner, hotel, one room type with one room, active: through the API like a real manager."""
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post(
            "/api/v1/auth/signup",
            json={
                "email": "bench-owner@example.com",
                "password": "correct horse battery",
                "full_name": "B O",
            },
        )
        r.raise_for_status()
        auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
        prop = c.post(
            "/api/v1/properties",
            headers=auth,
            json={
                "name": "Bench Hotel",
                "kind": "hotel",
                "city": "Lisbon",
                "country": "PT",
                "timezone": "UTC",
                "currency": "EUR",
                "latitude": 38.72,
                "longitude": -9.14,
            },
        )
        prop.raise_for_status()
        pid = prop.json()["id"]
        rt = c.post(
            f"/api/v1/properties/{pid}/room-types",
            headers=auth,
            json={"code": "RT1", "name": "Room 1", "capacity": 2, "base_price": "100.00"},
        )
        rt.raise_for_status()
        room = c.post(
            f"/api/v1/properties/{pid}/rooms",
            headers=auth,
            json={"room_type_id": rt.json()["id"], "number": "1"},
        )
        room.raise_for_status()
        c.post(f"/api/v1/properties/{pid}/activate", headers=auth).raise_for_status()
        return {"property_id": pid, "room_type_id": rt.json()["id"]}


async def clone_dataset(url: str, hotel: dict[str, str]) -> list[str]:
    """199 more room types like the first, a year of inventory each; ``bench_rt`` numbers them for pgbench."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO room_types (id, property_id, code, name, capacity, base_price_minor, currency,
                                        bed_config, size_sqm, amenities, description, created_at, updated_at)
                SELECT gen_random_uuid(), property_id, 'RT' || n, 'Room ' || n, capacity, base_price_minor,
                       currency, bed_config, size_sqm, amenities, description, now(), now()
                FROM room_types, generate_series(2, :n) AS n WHERE id = :rt
                """
            ),
            {"n": ROOM_TYPES, "rt": hotel["room_type_id"]},
        )
        await conn.execute(
            text(
                """
                INSERT INTO inventory_days (id, room_type_id, property_id, date, total, sold, held, closed,
                       price_minor, currency, min_stay, max_stay, closed_to_arrival, closed_to_departure)
                SELECT gen_random_uuid(), rt.id, rt.property_id, d.date, :total, 0, 0, false, NULL,
                       rt.currency, 1, NULL, false, false
                FROM room_types rt
                CROSS JOIN (SELECT date FROM inventory_days WHERE room_type_id = :rt) AS d
                WHERE rt.property_id = :pid AND rt.id <> :rt
                """
            ),
            {"total": UNCONTENDED_TOTAL, "rt": hotel["room_type_id"], "pid": hotel["property_id"]},
        )
        await conn.execute(
            text("UPDATE inventory_days SET total = :t WHERE room_type_id = :rt"),
            {"t": HOT_TOTAL, "rt": hotel["room_type_id"]},
        )
        await conn.execute(
            text(
                """
                CREATE TABLE bench_rt AS
                SELECT (row_number() OVER (ORDER BY (code = 'RT1') DESC, id))::int AS n, id, property_id
                FROM room_types WHERE property_id = :pid
                """
            ),
            {"pid": hotel["property_id"]},
        )
        await conn.execute(text("ALTER TABLE bench_rt ADD PRIMARY KEY (n)"))
        await conn.execute(text("ANALYZE"))
        ids = [str(r[0]) for r in (await conn.execute(text("SELECT id FROM bench_rt ORDER BY n"))).all()]
    # the schema was just dropped and re-made: write it out now, or a checkpoint's sync phase (seconds
    # with thousands of new files) stalls every commit in the middle of a measured run
    async with engine.connect() as conn:
        await conn.execute(text("CHECKPOINT"))
    await engine.dispose()
    return ids  # ids[0] is the hot room type


# -- the server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "INNKEEPER_ENV": "test",
        "INNKEEPER_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "INNKEEPER_HOST": "127.0.0.1",
        "INNKEEPER_PORT": str(port),
        "INNKEEPER_DATABASE_URL": url,
        "INNKEEPER_LOG_LEVEL": "WARNING",
        "INNKEEPER_RUN_JOBS_IN_PROCESS": "false",
        "INNKEEPER_WRITE_RATE_LIMIT": "100000000/minute",
        "INNKEEPER_AUTH_RATE_LIMIT": "100000000/minute",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir),
    }
    env.pop("INNKEEPER_REDIS_URL", None)
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "innkeeper.cli", "serve", "--workers", str(workers), "--no-migrate"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit((workdir / "server.log").read_text())
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.25)
    stop_server(proc)
    raise SystemExit("the server did not start")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


# -- load ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, successful bookings only
    statuses: dict[int, int] = field(default_factory=dict)
    cpu: float = 0.0  # client CPU seconds
    io_stalled: float | None = None  # seconds every task on the machine waited for I/O (PSI "full")
    #: ms of CPU per request of the API processes and of PostgreSQL (``bench.servercpu.ServerCpu``)
    server_cpu: tuple[float, float] | None = None
    server_rss_mb: float | None = None  # the largest API process's resident memory after the run

    @property
    def ok(self) -> int:
        return self.statuses.get(201, 0)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1000

    def line(self) -> str:
        errors = {k: v for k, v in sorted(self.statuses.items()) if k != 201}
        return (
            f"{self.label:<34} {self.rate:8.1f}/s  p50 {self.pct(50):7.1f} ms  p95 {self.pct(95):7.1f} ms  "
            f"p99 {self.pct(99):7.1f} ms  n={self.ok}  non-201={errors or 0}  "
            f"client CPU {100 * self.cpu / self.elapsed if self.elapsed else 0:.0f}%"
            + (
                f"  I/O-stalled {100 * self.io_stalled / self.elapsed:.0f}%"
                if self.io_stalled is not None
                else ""
            )
            + server_note(self.server_cpu, self.server_rss_mb)
        )


def io_stall_now() -> float | None:
    """Seconds all tasks have been stalled on I/O since boot (Linux PSI), or None where unavailable: a
    run during which the disk stalled everything shows it next to its latencies."""
    try:
        with open("/proc/pressure/io") as f:
            for line in f:
                if line.startswith("full"):
                    return int(line.rsplit("total=", 1)[1]) / 1e6
    except (OSError, ValueError, IndexError):
        return None
    return None


def stalled_since(start: float | None) -> float | None:
    now = io_stall_now()
    return None if start is None or now is None else now - start


def cpu_now() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class Stays:
    """Request bodies: uncontended (distinct room type and nights each time) or hot (one room type)."""

    def __init__(self, room_types: list[str], hot: bool) -> None:
        self.room_types, self.hot = room_types, hot
        self.counter = itertools.count()
        self.first = date.today() + timedelta(days=2)

    def next(self) -> dict[str, Any]:
        i = next(self.counter)
        if self.hot:
            rt, start = self.room_types[0], i % 5
        else:
            cold = self.room_types[1:]
            rt, start = cold[i % len(cold)], NIGHTS * (i // len(cold)) % 330
        checkin = self.first + timedelta(days=start)
        return {
            "room_type_id": rt,
            "checkin": checkin.isoformat(),
            "checkout": (checkin + timedelta(days=NIGHTS)).isoformat(),
            "rooms": 1,
            "guests": 1,
            "contact": {"name": "Bench Guest", "email": f"guest{i}@example.com"},
        }


async def one(client: Pool, body: dict[str, Any], result: Result, started: float) -> None:
    try:
        status = (await client.request("POST", "/api/v1/bookings", json=body)).status
    except HttpError:
        status = 0
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if status == 201:
        result.latencies.append(time.perf_counter() - started)


async def closed_loop(base: str, stays: Stays, concurrency: int, duration: float, label: str) -> Result:
    result = Result(label)
    client = Pool(base)
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await one(client, stays.next(), result, time.perf_counter())

    cpu0, t0, io0 = cpu_now(), time.perf_counter(), io_stall_now()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed, result.cpu = time.perf_counter() - t0, cpu_now() - cpu0
    result.io_stalled = stalled_since(io0)
    await client.close()
    return result


async def open_loop(base: str, stays: Stays, rate: float, duration: float, label: str) -> Result:
    result = Result(label)
    client = Pool(base)
    tasks = []
    cpu0, t0, io0 = cpu_now(), time.perf_counter(), io_stall_now()
    for i in range(int(rate * duration)):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(client, stays.next(), result, scheduled)))
    await asyncio.gather(*tasks)
    result.elapsed, result.cpu = time.perf_counter() - t0, cpu_now() - cpu0
    result.io_stalled = stalled_since(io0)
    await client.close()
    return result


# -- pgbench ---------------------------------------------------------------------------------------------

PGBENCH_SCRIPT = """\\set r {r}
\\set s {s}
BEGIN;
SELECT id FROM inventory_days WHERE room_type_id = (SELECT id FROM bench_rt WHERE n = :r)
  AND date >= CURRENT_DATE + 2 + :s AND date < CURRENT_DATE + 2 + :s + 3 ORDER BY date FOR UPDATE;
UPDATE inventory_days SET held = held + 1 WHERE room_type_id = (SELECT id FROM bench_rt WHERE n = :r)
  AND date >= CURRENT_DATE + 2 + :s AND date < CURRENT_DATE + 2 + :s + 3
  AND NOT closed AND total - sold - held >= 1;
INSERT INTO bookings (id, reference, property_id, room_type_id, contact_name, contact_email, source,
  checkin, checkout, rooms, guests, status, payment_status, currency, total_minor, refund_due_minor,
  quote, cancellation_policy, payment_policy, expires_at, created_at, updated_at)
SELECT gen_random_uuid(), 'PG-' || substr(md5(random()::text), 1, 12), property_id, id, 'Bench',
  'bench@example.com', 'web', CURRENT_DATE + 2 + :s, CURRENT_DATE + 2 + :s + 3, 1, 1, 'reserved',
  'unpaid', 'EUR', 30000, 0, '{{}}', '{{}}', '{{}}', now() + interval '15 minutes', now(), now()
FROM bench_rt WHERE n = :r;
COMMIT;
"""


def pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    return None


def pgbench(
    binary: str,
    url: str,
    workdir: Path,
    hot: bool,
    clients: int,
    duration: int,
    rate: float | None,
    label: str,
) -> Result:
    script = workdir / f"booking-{'hot' if hot else 'cold'}.sql"
    r, s = ("1", "random(0, 4)") if hot else (f"random(2, {ROOM_TYPES})", "random(0, 329)")
    script.write_text(PGBENCH_SCRIPT.format(r=r, s=s))
    logdir = workdir / ("log-" + re.sub(r"[^a-z0-9]+", "-", label.lower()))
    logdir.mkdir()
    cmd = [
        binary,
        "-n",
        "-f",
        str(script),
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        str(duration),
        "-l",
        "--log-prefix",
        str(logdir / "pgbench"),
    ]
    if rate:
        cmd += ["-R", str(rate)]
    cpu0, io0 = resource.getrusage(resource.RUSAGE_CHILDREN), io_stall_now()
    done = subprocess.run([*cmd, libpq_url(url)], capture_output=True, text=True, timeout=duration + 120)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    result = Result(label, elapsed=float(duration))
    for path in logdir.iterdir():
        for row in path.read_text().splitlines():
            parts = row.split()
            latency_us = int(parts[2])
            if len(parts) > 6:  # with -R: add the schedule lag, as the API's open loop measures it
                latency_us += int(parts[6])
            result.latencies.append(latency_us / 1e6)
    result.statuses = {201: len(result.latencies)}
    result.cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    result.io_stalled = stalled_since(io0)
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    if tps:  # pgbench's own figure (excludes connection set-up)
        result.elapsed = len(result.latencies) / float(tps.group(1))
    return result


# -- main ------------------------------------------------------------------------------------------------


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_scenario(
    name: str, runner: Callable[[bool, int, float, str], Result], hot: bool, args: argparse.Namespace
) -> tuple[Result, Result]:
    best = None
    for c in args.concurrency:
        res = runner(hot, c, 0.0, f"{name} max, {c} clients")
        print(res.line(), flush=True)
        if best is None or res.rate > best.rate:
            best = res
    assert best is not None
    half = runner(hot, max(args.concurrency), best.rate / 2, f"{name} at half ({best.rate / 2:.0f}/s)")
    print(half.line(), flush=True)
    return best, half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("INNKEEPER_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument(
        "--concurrency",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[16, 48],
        help="closed-loop client counts to try for the maximum rate (comma-separated)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-pgbench", action="store_true")
    args = parser.parse_args()
    dbname = args.url.rsplit("/", 1)[-1].split("?")[0]
    if dbname in PROTECTED:
        raise SystemExit(f"refusing to reset {dbname!r}: it is a shared database")

    from innkeeper.kit.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="conc-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {loadavg()} (1/5/15 min) before the run")
    asyncio.run(reset_database(args.url))
    upgrade(args.url)
    proc, base = start_server(args.url, args.workers, workdir)
    try:
        hotel = api_hotel(base)
        room_types = asyncio.run(clone_dataset(args.url, hotel))
        print(f"dataset: {len(room_types)} room types x 365 nights; {args.workers} API processes at {base}")

        meter = ServerCpu(proc.pid, libpq_url(args.url))

        def api(hot: bool, clients: int, rate: float, label: str) -> Result:
            stays = api_stays[hot]
            if rate:
                return meter.measure(lambda: uvloop.run(open_loop(base, stays, rate, args.duration, label)))
            uvloop.run(closed_loop(base, stays, clients, 2, "warm-up"))
            return meter.measure(lambda: uvloop.run(closed_loop(base, stays, clients, args.duration, label)))

        api_stays = {False: Stays(room_types, hot=False), True: Stays(room_types, hot=True)}
        print("\nAPI: POST /api/v1/bookings")
        api_results = {
            hot: run_scenario(n, api, hot, args) for n, hot in (("uncontended", False), ("hot", True))
        }
    finally:
        stop_server(proc)
    print(f"load average after the API runs: {loadavg()}")

    binary = None if args.skip_pgbench else pgbench_binary()
    if binary is None:
        print("pgbench not run" + ("" if args.skip_pgbench else " (not found)"))
        return

    def raw(hot: bool, clients: int, rate: float, label: str) -> Result:
        return pgbench(binary, args.url, workdir, hot, clients, args.duration, rate or None, label)

    print(f"\npgbench ({binary}): the same transaction in raw SQL")
    pg_results = {hot: run_scenario(n, raw, hot, args) for n, hot in (("uncontended", False), ("hot", True))}
    print(f"load average after pgbench: {loadavg()}")

    print("\nsummary (bookings/s at the maximum; latency at half of it)")
    for hot, name in ((False, "uncontended"), (True, "hot")):
        (a_max, a_half), (p_max, p_half) = api_results[hot], pg_results[hot]
        print(
            f"  {name:<12} API {a_max.rate:7.1f}/s (p99 at half {a_half.pct(99):6.1f} ms)   "
            f"pgbench {p_max.rate:8.1f}/s (p99 at half {p_half.pct(99):6.1f} ms)   "
            f"API/pgbench = {a_max.rate / p_max.rate:.3f}"
        )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
