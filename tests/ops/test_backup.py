"""``innkeeper backup`` / ``innkeeper restore``: the demo world and a booking, backed up and restored into
a fresh database, come back row for row (SQLite's online backup API; pg_dump/pg_restore)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from innkeeper.bookings.models import Booking
from innkeeper.config import Settings
from innkeeper.context import AppContext
from innkeeper.demo import load_demo
from innkeeper.kit.backup import BackupError, backup
from innkeeper.kit.db import Base, Database
from tests.bookings.support import book, hotel
from tests.catalog_support import freeze, user
from tests.cli_support import run_cli
from tests.conftest import reset_postgres


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"inventory_horizon_days": 30}  # the demo world with a month of nights: quicker, same tables


async def table_counts(db: Database) -> dict[str, int]:
    async with db.unit_of_work(write=False) as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def booking_row(db: Database, booking_id: Any) -> dict[str, Any]:
    async with db.unit_of_work(write=False) as session:
        booking = await session.get(Booking, booking_id)
        assert booking is not None
        return {column.key: getattr(booking, column.key) for column in Booking.__table__.columns}


async def fresh_database(settings: Settings, tmp_path: Path) -> str:
    if settings.database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    url = make_url(settings.database_url)
    target = url.set(database=f"{url.database}_restore").render_as_string(hide_password=False)
    await reset_postgres(target)  # an empty database
    return target


async def test_backup_restore_round_trip(
    client: httpx.AsyncClient, ctx: AppContext, settings: Settings, tmp_path: Path
) -> None:
    if not ctx.db.is_sqlite and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    freeze()
    await load_demo(ctx)
    booking = await book(client, await hotel(client), await user(client))
    path = tmp_path / "backups" / "innkeeper.backup"
    done = await run_cli(settings, "backup", str(path))
    assert done.exit_code == 0, done.output
    assert path.is_file() and not path.with_name(path.name + ".partial").exists()

    target = await fresh_database(settings, tmp_path)
    restored = await run_cli(settings, "restore", str(path), "--yes", INNKEEPER_DATABASE_URL=target)
    assert restored.exit_code == 0, restored.output
    copy = Database(target)
    try:
        original = await table_counts(ctx.db)
        assert original["inventory_days"] > 1000 and original["bookings"] >= 1
        assert await table_counts(copy) == original
        booking_id = uuid.UUID(booking["id"])
        assert await booking_row(copy, booking_id) == await booking_row(ctx.db, booking_id)
    finally:
        await copy.dispose()


async def test_refusals_are_one_clear_line(settings: Settings, tmp_path: Path) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    r = await run_cli(settings, "restore", str(not_a_backup), "--yes")
    assert r.exit_code == 1
    assert "notes.txt" in r.output and "Traceback" not in r.output
    r = await run_cli(settings, "restore", str(tmp_path / "missing.backup"), "--yes")
    assert r.exit_code == 1 and "no backup file" in r.output
    r = await run_cli(settings, "restore", str(not_a_backup))  # no --yes, and "no" answered
    assert r.exit_code == 1 and "Aborted" in r.output
    if not settings.database_url.startswith("sqlite"):
        r = await run_cli(settings, "backup", str(tmp_path / "x.backup"), PATH=str(tmp_path))
        assert r.exit_code == 1
        assert "pg_dump is not installed" in r.output and "Traceback" not in r.output
        assert not (tmp_path / "x.backup").exists()


def test_sqlite_backup_of_a_missing_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no SQLite database"):
        backup(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", tmp_path / "x.backup")
    with pytest.raises(BackupError, match="is a directory"):
        backup(f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", tmp_path)
