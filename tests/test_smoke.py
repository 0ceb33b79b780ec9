"""Start ``innkeeper serve`` as a real process against a fresh database, as a newcomer would."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from innkeeper.demo import DEMO_ACCOUNTS
from tests.cli_support import invoke_cli

pytestmark = pytest.mark.slow

#: argon2id at its cheapest, as in tests/conftest.py
CHEAP_HASHING = {
    "INNKEEPER_PASSWORD_TIME_COST": "1",
    "INNKEEPER_PASSWORD_MEMORY_KIB": "1024",
    "INNKEEPER_PASSWORD_PARALLELISM": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    tmp_path: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "INNKEEPER_ENV": "development",
        "INNKEEPER_PORT": str(port),
        "INNKEEPER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}",
        "INNKEEPER_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    env.pop("INNKEEPER_REDIS_URL", None)
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "innkeeper.cli", "serve", *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError((tmp_path / "server.log").read_text())
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start:\n" + (tmp_path / "server.log").read_text())


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    proc, base = start(tmp_path, "--demo")
    try:
        yield base
    finally:
        stop(proc)


def test_serve_demo_answers_health_and_demo_logins(demo_server: str) -> None:
    base = demo_server
    assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{base}/readyz").status_code == 200
    assert "Innkeeper" in httpx.get(f"{base}/").text
    assert httpx.get(f"{base}/docs").status_code == 200
    for account in DEMO_ACCOUNTS:
        r = httpx.post(
            f"{base}/api/v1/auth/login", json={"email": account.email, "password": account.password}
        )
        assert r.status_code == 200, (account.email, r.text)
    admin = next(a for a in DEMO_ACCOUNTS if a.admin)
    token = httpx.post(
        f"{base}/api/v1/auth/login", json={"email": admin.email, "password": admin.password}
    ).json()["access_token"]
    me = httpx.get(f"{base}/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert "platform_admin" in me["roles"]
    # OTP through the in-process job runner into the development outbox
    assert httpx.post(f"{base}/api/v1/auth/otp/send", json={"phone": "+14155550142"}).status_code == 202
    for _ in range(50):
        items = httpx.get(f"{base}/dev/outbox.json").json()["items"]
        if any(m["to"] == "+14155550142" for m in items):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the OTP SMS never reached the development outbox")


def test_demo_is_idempotent(tmp_path: Path) -> None:
    env = {
        "INNKEEPER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        "INNKEEPER_ENV": "development",
        **CHEAP_HASHING,  # in this process: the command sets the process-wide hasher
    }
    outputs = []
    for _ in range(2):
        done = invoke_cli(env, "demo")
        assert done.exit_code == 0, done.output
        outputs.append(done.output)
    created = [re.findall(r"\b[1-9]\d*\s+new\b", output) for output in outputs]
    assert created[0] and not created[1], outputs  # the second run finds everything there


def test_sqlite_with_two_processes_never_reports_locked(tmp_path: Path) -> None:
    """Concurrent writes through two API processes on one SQLite file: all succeed, no 5xx."""
    # cheap hashing: at the production cost the 40 sign-ups spend ~15 s hashing on two cores, which
    # only spreads the writes out; cheap hashing packs them closer
    proc, base = start(tmp_path, "--workers", "2", extra_env=CHEAP_HASHING)

    async def hammer() -> list[int]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:

            async def one(i: int) -> int:
                r = await client.post(
                    "/api/v1/auth/signup",
                    json={
                        "email": f"load{i}@example.com",
                        "password": "correct horse battery",
                        "full_name": f"L {i}",
                    },
                )
                return r.status_code

            return list(await asyncio.gather(*(one(i) for i in range(40))))

    try:
        statuses = asyncio.run(hammer())
    finally:
        stop(proc)
    assert statuses == [201] * 40, statuses


#: a module of the application that the command does not import: one line per API process
WORKER_MODULE = "innkeeper.bookings.router"


def test_api_processes_import_the_application_only(tmp_path: Path) -> None:
    """With ``--workers 2`` each API process imports the application, not the command that started it
    (typer, rich: ~3 MB of each, what a spawned interpreter re-imports of its parent's main module) nor
    rich for structlog (~2 MB more). Python's import report (``PYTHONPROFILEIMPORTTIME``, inherited by
    every process) has a line per module each process imports: typer's is the command's alone."""
    proc, _ = start(tmp_path, "--workers", "2", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _imported(tmp_path).count(WORKER_MODULE) < 2:
            time.sleep(0.2)  # (the second worker may still be starting)
    finally:
        stop(proc)
    imported = _imported(tmp_path)
    assert imported.count(WORKER_MODULE) == 2, imported  # both workers started, the command imports none
    assert imported.count("typer") == 1  # the command's
    assert imported.count("pygments") <= 1  # the command's rich, if any: not structlog's in each worker


def _imported(tmp_path: Path) -> list[str]:
    """The modules in the server's import report, one entry per process that imported each."""
    report = (tmp_path / "server.log").read_text(errors="replace")
    return re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", report, re.M)
