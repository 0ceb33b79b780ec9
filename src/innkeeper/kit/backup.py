"""A consistent copy of the database, and back: ``innkeeper backup PATH`` / ``innkeeper restore PATH``.

* **SQLite** through its online backup API (``sqlite3.Connection.backup``): a page-by-page copy of one
  snapshot, safe while the server runs and writes (WAL mode). The copy is an ordinary SQLite file.
  Restoring copies the backup's pages over the database the same way, so the result is exactly the
  backup; stop the API and the workers first, their open transactions would otherwise be lost.
* **PostgreSQL** through ``pg_dump --format=custom`` (one consistent snapshot, the server keeps
  serving) and ``pg_restore --clean --if-exists --single-transaction`` (all or nothing). Both must be on
  ``PATH``, of the server's major version or newer; the connection is given to them through the
  ``PG*`` environment variables, so the password never shows in the process list.

A backup is written next to ``PATH`` and renamed into place when complete: an interrupted backup never
leaves a truncated file under the name of a good one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

#: a SQLite backup must have this table to be restored (it is an Innkeeper database at some migration)
MARKER_TABLE = "alembic_version"
#: pages copied per step of the SQLite backup API (the writer lock is released between steps)
SQLITE_PAGES_PER_STEP = 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    engine: str
    size_bytes: int

    def __str__(self) -> str:
        return f"{self.engine} backup written to {self.path} ({self.size_bytes:,} bytes)"


def backup(database_url: str, path: Path) -> BackupResult:
    """Write a consistent copy of the database at ``database_url`` to ``path`` (replaced if present)."""
    url = make_url(database_url)
    if path.is_dir():
        raise BackupError(f"{path} is a directory: give the backup file's name")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(_sqlite_file(url, must_exist=True), partial)
            engine = "sqlite"
        elif url.get_backend_name() == "postgresql":
            _run(
                _tool("pg_dump"),
                ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
                url,
                subject=f"database {url.database}",
            )
            engine = "postgresql"
        else:
            raise BackupError(f"cannot back up a {url.get_backend_name()} database")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=path, engine=engine, size_bytes=path.stat().st_size)


def restore(database_url: str, path: Path) -> None:
    """Replace the contents of the database at ``database_url`` with the backup at ``path``."""
    url = make_url(database_url)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    if url.get_backend_name() == "sqlite":
        _check_sqlite_backup(path)
        _sqlite_copy(path, _sqlite_file(url, must_exist=False))
    elif url.get_backend_name() == "postgresql":
        _run(
            _tool("pg_restore"),
            [
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={url.database}",
                str(path),
            ],
            url,
            subject=str(path),
        )
    else:
        raise BackupError(f"cannot restore into a {url.get_backend_name()} database")


def _sqlite_file(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    file = Path(url.database)
    if must_exist and not file.is_file():
        raise BackupError(f"no SQLite database at {file}")
    file.parent.mkdir(parents=True, exist_ok=True)
    return file


def _sqlite_copy(source: Path, target: Path) -> None:
    """The online backup API: ``source`` as of one snapshot, page by page, over ``target``."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst, pages=SQLITE_PAGES_PER_STEP)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite copy failed: {exc}") from exc
    finally:
        src.close()


def _check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()
            marker = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MARKER_TABLE,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    if not check or check[0] != "ok":
        raise BackupError(f"{path} is damaged (quick_check: {check[0] if check else 'no answer'})")
    if marker is None:
        raise BackupError(f"{path} is not an Innkeeper database (no {MARKER_TABLE} table)")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (or not on PATH): install the PostgreSQL client tools, of the"
            " server's major version or newer (Debian/Ubuntu: postgresql-client)"
        )
    return found


def _pg_environment(url: URL) -> dict[str, str]:
    """The connection as libpq variables; the rest of the environment is passed through."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = ssl
    return env


def _run(tool: str, arguments: list[str], url: URL, *, subject: str) -> None:
    command = [tool, *arguments]
    try:
        result = subprocess.run(  # noqa: S603 - a fixed tool found on PATH, arguments built here
            command, env=_pg_environment(url), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise BackupError(f"{Path(tool).name} could not run: {exc}") from exc
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        detail = "; ".join(message[-5:]) if message else f"exit status {result.returncode}"
        raise BackupError(f"{Path(tool).name} failed on {subject}: {detail}")
