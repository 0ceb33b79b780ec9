"""CPU per ``POST /api/v1/bookings``, in process, on the dataset ``bench.booking`` leaves behind.

The app is called as ASGI directly (no socket, no HTTP parsing: what uvicorn adds is the same for
every version of our code), one request at a time, and the process's CPU time is divided by the
bookings made. Run ``bench.booking`` once first (it builds ``bench_booking``); each run here books
on distinct room types and dates after those the last run took, so it can be repeated::

    .venv/bin/python -m bench.booking_cpu 400 [--profile out.prof] [--url …/bench_booking]

``--profile`` writes a cProfile of the measured requests (read it with ``python -m pstats`` or
snakeviz) and prints the Python function calls per booking: on a shared virtual machine CPU time
varies by ±20 % from run to run, the call count by well under 1 %, so it shows a change's effect
where the time cannot (the CPU figures then include the profiler's own overhead).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import time
from datetime import date, timedelta
from typing import Any

import uvloop
from sqlalchemy import text

from innkeeper.app import create_app
from innkeeper.config import Settings

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_booking"
NIGHTS = 3


async def call(app: Any, body: bytes) -> int:
    """One POST through the ASGI app; its status code."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/bookings",
        "raw_path": b"/api/v1/bookings",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    answer = b""

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, answer
        if message["type"] == "http.response.start":
            status = message["status"]
        elif status != 201:
            answer += message.get("body", b"")

    await app(scope, receive, send)
    if status != 201:
        print(f"{status}: {answer.decode(errors='replace')[:500]}")
    return status


async def plan(app: Any, n: int) -> list[bytes]:
    """``n`` bodies, round robin over the cold room types, each on 3 nights that still have a free room
    (the benchmark's pgbench phase and earlier runs sold many): a run never books the same window of a
    room type twice."""
    async with app.state.ctx.db.unit_of_work() as s:
        # holds of earlier runs lapse after the hold TTL, and a booking reclaiming them does more work:
        # keep them live, so every run measures the same path (the benchmark's: holds not yet lapsed)
        await s.execute(
            text("UPDATE bookings SET expires_at = now() + interval '1 day' WHERE status = 'reserved'")
        )
        rows = (
            await s.execute(
                text(
                    "SELECT r.n, d.date FROM bench_rt r JOIN inventory_days d ON d.room_type_id = r.id "
                    "WHERE r.n > 1 AND d.sold + d.held < d.total AND d.date > CURRENT_DATE + 1 "
                    "ORDER BY r.n, d.date"
                )
            )
        ).all()
        ids = dict((await s.execute(text("SELECT n, id FROM bench_rt"))).all())
    free: dict[int, set[date]] = {}
    for n_rt, day in rows:
        free.setdefault(n_rt, set()).add(day)
    windows = {
        n_rt: [d for d in sorted(days) if all(d + timedelta(days=k) in days for k in range(NIGHTS))][::NIGHTS]
        for n_rt, days in free.items()
    }
    order = sorted(windows)
    bodies = []
    for i in range(n):
        n_rt = order[i % len(order)]
        checkin = windows[n_rt][i // len(order)]
        body = {
            "room_type_id": str(ids[n_rt]),
            "checkin": checkin.isoformat(),
            "checkout": (checkin + timedelta(days=NIGHTS)).isoformat(),
            "rooms": 1,
            "guests": 1,
            "contact": {"name": "Bench Guest", "email": f"guest{i}@example.com"},
        }
        bodies.append(json.dumps(body).encode())
    return bodies


async def measure(url: str, n: int, profile: str | None) -> None:
    settings = Settings(
        database_url=url,
        env="test",
        secret_key="bench-secret-key-0123456789abcdef",
        run_jobs_in_process=False,
        write_rate_limit="100000000/minute",
        auth_rate_limit="100000000/minute",
        log_level="WARNING",
    )
    app = create_app(settings, run_jobs=False)
    async with app.router.lifespan_context(app):
        bodies = await plan(app, n + 20)
        for body in bodies[:20]:  # warm the caches, the compiled statements and the connection
            assert await call(app, body) == 201
        profiler = cProfile.Profile() if profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        statuses: dict[int, int] = {}
        for body in bodies[20:]:
            status = await call(app, body)
            statuses[status] = statuses.get(status, 0) + 1
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler and profile:
        profiler.dump_stats(profile)
        calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
        print(f"Python function calls per booking: {calls / n:.0f} (steady where CPU time is not)")
    print(
        f"{n} bookings {statuses}: CPU {1000 * cpu / n:.2f} ms each, wall {1000 * wall / n:.2f} ms "
        "(API process only; the database's share is not in the CPU figure)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("requests", type=int, nargs="?", default=400)
    parser.add_argument("--url", default=os.environ.get("INNKEEPER_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--profile", help="write a cProfile of the measured requests to this file")
    args = parser.parse_args()
    uvloop.run(measure(args.url, args.requests, args.profile))


if __name__ == "__main__":
    main()
