"""Benchmark dataset: N properties x R room types x D days of inventory on PostgreSQL, in set-based SQL.

    .venv/bin/python -m bench.generate --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Migrates the database, wipes the catalog tables, then builds active hotels spread over --cities cities
(two currencies, several time zones), their room types, rooms (3-10 per type), a year of inventory with
some rooms already sold, and a few rate rules per hotel. Foreign-key triggers are switched off for the
bulk insert (session_replication_role = replica; needs a superuser), everything else is the real schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import asyncpg

from innkeeper.kit.migrate import upgrade

DEFAULT_URL = os.environ.get(
    "INNKEEPER_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
)
ZONES = [
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
]


INVENTORY_SQL = """
    INSERT INTO inventory_days (id, room_type_id, property_id, date, total, sold, held, closed, price_minor,
        currency, min_stay, max_stay, closed_to_arrival, closed_to_departure)
    SELECT gen_random_uuid(), rt.id, rt.property_id, current_date - 1 + d, c.n,
        floor(random() * c.n * 0.8)::int, 0, random() < 0.01,
        CASE WHEN random() < 0.1 THEN rt.base_price_minor + 1000 END, rt.currency,
        CASE WHEN random() < 0.05 THEN 2 ELSE 1 END, NULL, false, false
    FROM room_types rt
    JOIN (SELECT room_type_id,
        count(*)::int AS n FROM rooms GROUP BY room_type_id) c ON c.room_type_id = rt.id
    CROSS JOIN generate_series(0, $1) AS d
    WHERE abs(hashtext(rt.id::text)) % $3 = $2"""


async def run(dsn: str, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def fill_inventory(dsn: str, days: int, part: int, parts: int) -> None:
    await run(dsn, INVENTORY_SQL, days, part, parts)


async def generate(url: str, properties: int, room_types: int, days: int, cities: int) -> None:
    started = time.perf_counter()
    upgrade(url)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:

        async def step(label: str, sql: str, *args: object) -> None:
            t = time.perf_counter()
            await conn.execute(sql, *args)
            print(f"  {label:<28} {time.perf_counter() - t:6.1f} s", flush=True)

        await conn.execute("SET session_replication_role = replica")
        await step(
            "wipe",
            "TRUNCATE inventory_days, rate_rules, promo_codes, rooms, room_types, property_images, "
            "property_memberships, properties CASCADE",
        )
        await step(
            "properties",
            """
            INSERT INTO properties (id, kind, name, slug, city, city_key, country, address,
                latitude, longitude,
                timezone, currency, check_in_time, check_out_time, star_rating, rating_x10,
                    amenities, description,
                is_active, payment_policy, cancellation_policy, refund_destination, vat_bp, vat_included,
                city_tax_minor, city_tax_max_nights, created_at, updated_at)
            SELECT gen_random_uuid(), 'hotel', 'Bench Hotel ' || g, 'bench-hotel-' || g,
                'Benchville ' || lpad((g % $2)::text, 2, '0'), 'benchville ' || lpad((g % $2)::text, 2, '0'),
                'PT', g || ' Bench Street',
                30 + (g % $2) * 0.5 + (random() - 0.5) * 0.1, -10 + (g % $2) * 0.7 + (random() - 0.5) * 0.1,
                ($3::text[])[1 + g % array_length($3::text[], 1)],
                    CASE WHEN g % 7 = 0 THEN 'USD' ELSE 'EUR' END,
                '15:00', '11:00', 1 + (g % 5), 30 + (g % 20),
                CASE WHEN g % 3 = 0 THEN '["wifi", "pool", "parking"]'::jsonb ELSE '["wifi",
                    "breakfast"]'::jsonb END,
                'Benchmark hotel', true, '{"mode": "prepay"}', '{"preset": "moderate"}', 'card',
                CASE WHEN g % 2 = 0 THEN 1000 ELSE 600 END, false, CASE WHEN g % 4 = 0 THEN 200 ELSE 0 END,
                CASE WHEN g % 4 = 0 THEN 7 END, now(), now()
            FROM generate_series(1, $1) AS g""",
            properties,
            cities,
            ZONES,
        )
        await step(
            "room types",
            """
            INSERT INTO room_types (id, property_id, code, name, capacity, base_price_minor,
                currency, bed_config,
                size_sqm, amenities, description, created_at, updated_at)
            SELECT gen_random_uuid(), p.id, 'RT' || r, 'Room type ' || r, 1 + r % 4,
                (6000 + r * 2500 + (abs(hashtext(p.slug)) % 40) * 500)::bigint, p.currency, 'beds',
                    20 + r * 5,
                '["wifi"]', NULL, now(), now()
            FROM properties p CROSS JOIN generate_series(1, $1) AS r""",
            room_types,
        )
        await step(
            "rooms",
            """
            INSERT INTO rooms (id, property_id, room_type_id, number, floor, status, housekeeping, created_at,
                updated_at)
            SELECT gen_random_uuid(), rt.property_id, rt.id, rt.code || '-' || n, 1 + n / 10,
                'available', 'clean',
                now(), now()
            FROM room_types rt CROSS JOIN LATERAL generate_series(1,
                3 + abs(hashtext(rt.id::text)) % 8) AS n""",
        )
        # bulk load without the indexes (rebuilt after, much faster than row-by-row maintenance), two halves
        # in parallel on two connections
        await step(
            "drop inventory indexes",
            """
            ALTER TABLE inventory_days DROP CONSTRAINT pk_inventory_days,
                DROP CONSTRAINT uq_inventory_days_room_type_id_date;
            DROP INDEX ix_inventory_days_property_id_date""",
        )
        t = time.perf_counter()
        await asyncio.gather(*(fill_inventory(dsn, days, part, 2) for part in range(2)))
        print(f"  {'inventory days':<28} {time.perf_counter() - t:6.1f} s", flush=True)
        t = time.perf_counter()
        await asyncio.gather(
            run(dsn, "ALTER TABLE inventory_days ADD CONSTRAINT pk_inventory_days PRIMARY KEY (id)"),
            run(
                dsn,
                "ALTER TABLE inventory_days ADD CONSTRAINT uq_inventory_days_room_type_id_date "
                "UNIQUE (room_type_id, date)",
            ),
        )
        await conn.execute(
            "CREATE INDEX ix_inventory_days_property_id_date ON inventory_days (property_id, date)"
        )
        print(f"  {'rebuild inventory indexes':<28} {time.perf_counter() - t:6.1f} s", flush=True)
        await step(
            "rate rules",
            """
            INSERT INTO rate_rules (id, property_id, room_type_id, kind, name, priority, start_date, end_date,
                weekdays, min_occupancy_pct, min_lead_days, max_lead_days, min_nights, factor_bp,
                    override_minor,
                currency, is_active, created_at, updated_at)
            SELECT gen_random_uuid(), p.id, NULL, k.kind, k.kind, 0,
                CASE WHEN k.kind = 'season' THEN current_date + 60 END,
                CASE WHEN k.kind = 'season' THEN current_date + 150 END,
                CASE WHEN k.kind = 'weekday' THEN 48 END, CASE WHEN k.kind = 'occupancy' THEN 80 END,
                CASE WHEN k.kind = 'lead_time' THEN 60 END, NULL,
                CASE WHEN k.kind = 'length_of_stay' THEN 7 END, k.factor, NULL, p.currency, true, now(), now()
            FROM properties p CROSS JOIN (VALUES ('season', 12500), ('weekday', 11500), ('occupancy', 11500),
                ('lead_time', 9000), ('length_of_stay', 9000)) AS k(kind, factor)""",
        )
        await conn.execute("SET session_replication_role = DEFAULT")
        await step("analyze", "ANALYZE")
        # write the new tables out now, not in a checkpoint's sync phase during the benchmark
        await step("checkpoint", "CHECKPOINT")
        counts = await conn.fetchrow("""SELECT (SELECT count(*) FROM properties) p,
            (SELECT count(*) FROM room_types) t,
            (SELECT count(*) FROM rooms) r, (SELECT count(*) FROM inventory_days) d""")
    finally:
        await conn.close()
    print(
        f"{counts['p']} properties, {counts['t']} room types, {counts['r']} rooms, "
        f"{counts['d']} inventory days "
        f"in {time.perf_counter() - started:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--properties", type=int, default=2000)
    parser.add_argument("--room-types", type=int, default=5)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--cities", type=int, default=50)
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the benchmark dataset is for PostgreSQL")
    asyncio.run(generate(args.database_url, args.properties, args.room_types, args.days, args.cities))


if __name__ == "__main__":
    main()
