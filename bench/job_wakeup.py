"""Job wake-up latency: an OTP request through the app, then the time until its SMS is in the outbox.

    .venv/bin/python -m bench.job_wakeup [--url postgresql+asyncpg://…/bench_wakeup | --url sqlite]
        [--runner worker|in-process] [--poll 30] [--samples 30]

What it does (it prints figures; it is not a test):

1. Drops and re-migrates the benchmark database (``bench_wakeup`` by default, created if missing; never
   the shared ``test``/``bench`` ones), or migrates a new SQLite file with ``--url sqlite``.
2. Runs the app in this process over ASGI with its rate limits lifted; the jobs run either in the app
   (``--runner in-process``) or in a separate ``innkeeper worker --poll POLL`` process (``worker``,
   what production does).
3. ``--samples`` times: ``POST /api/v1/auth/otp/send`` for a new number, then polls
   ``/dev/outbox.json`` every 2 ms until the SMS is there, and waits a random 50-400 ms (so a polling
   runner is caught at any point of its interval). Prints the request's time and the delay between the
   202 and the SMS: median, 90th percentile, maximum.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from sqlalchemy.engine import make_url

from bench.pgdb import reset_database

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_wakeup"
SECRET = "bench-secret-key-0123456789abcdef"


def start_worker(url: str, poll: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "INNKEEPER_ENV": "test",
        "INNKEEPER_SECRET_KEY": SECRET,
        "INNKEEPER_DATABASE_URL": url,
        "INNKEEPER_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "innkeeper.cli", "worker", "--poll", str(poll)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def sms_delay(client: httpx.AsyncClient, phone: str) -> tuple[float, float]:
    """(the request's time, the time from its 202 until the SMS is in the outbox)"""
    start = time.perf_counter()
    sent = await client.post("/api/v1/auth/otp/send", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    accepted = time.perf_counter()
    for _ in range(60_000):  # 2 minutes at most
        if (await client.get("/dev/outbox.json", params={"to": phone})).json()["items"]:
            return accepted - start, time.perf_counter() - accepted
        await asyncio.sleep(0.002)
    raise SystemExit(f"no SMS for {phone} after 2 minutes")


async def measure(url: str, in_process: bool, poll: float, samples: int) -> list[tuple[float, float]]:
    from innkeeper.app import create_app
    from innkeeper.config import Settings

    settings = Settings(
        env="test",
        secret_key=SECRET,
        database_url=url,
        run_jobs_in_process=in_process,
        job_poll_interval_seconds=poll,
        log_level="WARNING",
        auth_rate_limit="1000000/minute",
        write_rate_limit="1000000/minute",
    )
    app = create_app(settings)
    results = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await asyncio.sleep(3)  # the worker started, the runners' start-up rounds done
            for number in random.sample(range(10_000), samples + 1):
                results.append(await sms_delay(client, f"+1415555{number:04d}"))
                await asyncio.sleep(random.uniform(0.05, 0.4))
    return results[1:]  # the first one warmed up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("INNKEEPER_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--runner", choices=["worker", "in-process"], default="worker")
    parser.add_argument("--poll", type=float, default=30.0, help="the runners' poll interval, seconds")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()

    from innkeeper.kit.migrate import upgrade

    url = args.url
    if url == "sqlite":
        url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='wakeup-bench-')}/bench.db"
    else:
        name = make_url(url).database or ""
        if name in ("test", "bench") or name.startswith("test_gw"):  # the shared ones
            raise SystemExit(f"refusing to reset {name!r}: it is a shared database")
        asyncio.run(reset_database(url))
    upgrade(url)
    worker = start_worker(url, args.poll) if args.runner == "worker" else None
    try:
        results = asyncio.run(measure(url, worker is None, args.poll, args.samples))
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
    ms = sorted(delay * 1000 for _request, delay in results)
    request_ms = statistics.median(request for request, _delay in results) * 1000
    print(
        f"{make_url(url).get_backend_name()}, {args.runner} runner, poll {args.poll} s, {len(ms)} OTPs: "
        f"request {request_ms:.0f} ms (median); SMS in the outbox after the 202: "
        f"median {statistics.median(ms):.0f} ms, p90 {ms[int(0.9 * len(ms)) - 1]:.0f} ms, max {ms[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
