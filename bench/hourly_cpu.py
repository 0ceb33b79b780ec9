"""CPU per resource search and per slot list, in process, on the dataset ``bench.hourly`` leaves behind.

Process CPU time (``time.process_time``) rather than wall time: on a shared machine it is the figure
that other work disturbs least. A checksum of the results is printed so two versions of the code can be
compared on the same plan (same seed, same cities and days)::

    .venv/bin/python -m bench.hourly_cpu 15 [--url postgresql+asyncpg://…/bench_hourly]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import time
from datetime import date, timedelta

import uvloop
from sqlalchemy import text

from innkeeper.catalog.models import Property, Resource
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.inventory import hourly
from innkeeper.kit.clock import utcnow
from innkeeper.search.resources import ResourceSearchParams, search_resources

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_hourly"


async def measure(url: str, n: int) -> None:
    settings = Settings(database_url=url, env="test", secret_key="bench-" + "x" * 40)
    ctx = AppContext.build(settings)
    async with ctx.db.unit_of_work(write=False) as s:
        cities = [c for (c,) in await s.execute(text("SELECT DISTINCT city FROM properties ORDER BY city"))]
        rids = [r for (r,) in await s.execute(text("SELECT id FROM resources ORDER BY id LIMIT 200"))]
    rng = random.Random(7)
    today = date.today()
    plans = [(rng.choice(cities), today + timedelta(days=rng.randint(3, 60))) for _ in range(n)]
    # the server's per-process cache of windows and rates, warm as in a running server (code before it
    # took no cache: run with PYTHONPATH at an older checkout to compare)
    try:
        from innkeeper.pricing.resource_cards import resource_catalog_cache
    except ImportError:
        cache = {}
    else:
        cache = {"cache": resource_catalog_cache(ctx)}
    async with ctx.db.unit_of_work(write=False) as s:
        for city in cities:
            await search_resources(s, settings, ResourceSearchParams(day=today, city=city), None, **cache)
    for city, day in plans[:3]:  # warm the caches and the connection
        async with ctx.db.unit_of_work(write=False) as s:
            await search_resources(s, settings, ResourceSearchParams(day=day, city=city), None, **cache)
    cpu, wall = time.process_time(), time.perf_counter()
    found = []
    for city, day in plans:
        async with ctx.db.unit_of_work(write=False) as s:
            params = ResourceSearchParams(day=day, city=city)
            items, total = await search_resources(s, settings, params, None, **cache)
            found.append((total, items[0]["from_price"]["amount"] if items else None))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    checksum = hashlib.sha256(repr(found).encode()).hexdigest()[:12]
    print(f"search: {n} requests, CPU {1000 * cpu / n:.1f} ms, wall {1000 * wall / n:.1f} ms; {checksum}")
    cpu, priced = time.process_time(), 0
    for i in range(5 * n):
        async with ctx.db.unit_of_work(write=False) as s:
            resource = await s.get(Resource, rids[i % len(rids)])
            assert resource is not None
            prop = await s.get(Property, resource.property_id)
            assert prop is not None
            day = today + timedelta(days=3 + i % 50)
            slots = await hourly.free_slots(s, resource, prop, day, 60, now=utcnow())
            priced += len(await hourly.price_slots(s, prop, resource, slots, attendees=None, mode=None))
    cpu = time.process_time() - cpu
    print(f"slots: {5 * n} requests, CPU {1000 * cpu / (5 * n):.2f} ms each ({priced} slots priced)")
    await ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("requests", type=int, nargs="?", default=15)
    parser.add_argument("--url", default=os.environ.get("INNKEEPER_BENCH_HOURLY_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    uvloop.run(measure(args.url, args.requests))


if __name__ == "__main__":
    main()
