"""The README's "Try it" block, run as written: a fresh ``innkeeper serve --demo`` (on a free loopback
port, a new SQLite file, no ``INNKEEPER_*`` variables but the database), then the block with bash. It
must end with the booking confirmed and paid, as the README promises."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.concurrency.server import free_port

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"
STARTUP_SECONDS = 120  # imports, migrations and the demo world on a busy two-core machine


def try_it_block() -> str:
    match = re.search(r"^Try it\b.*?^```sh\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)
    assert match, "README.md has no ```sh block after 'Try it'"
    return match.group(1)


def fresh_environment(**extra: str) -> dict[str, str]:
    """This process's environment less every Innkeeper setting: what a new machine has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INNKEEPER_", "PROMETHEUS_"))}
    return {**env, **extra}


def _wait_healthy(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the server exited:\n" + log.read_text(errors="replace")[-4000:])
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)  # polling a starting process, not waiting for time to pass
    raise AssertionError("no /healthz answer in time:\n" + log.read_text(errors="replace")[-4000:])


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``innkeeper serve --demo --port P``: the port given as an option, as a reader would."""
    workdir = tmp_path_factory.mktemp("readme")
    port = free_port()
    env = fresh_environment(
        INNKEEPER_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'innkeeper.db'}",
        INNKEEPER_MEDIA_DIR=str(workdir / "media"),
        INNKEEPER_LOG_LEVEL="WARNING",
    )
    log = workdir / "server.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "innkeeper.cli", "serve", "--demo", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base, log)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("bash")), reason="needs curl and bash")
def test_try_it_block_books_and_pays(demo_server: str) -> None:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", try_it_block()],
        env=fresh_environment(BASE=demo_server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    # links follow the port the server was given (INNKEEPER_PUBLIC_URL defaults from host and port)
    assert any(line.startswith(f"{demo_server}/pay/") for line in lines), done.stdout
    booking_id, status, payment_status = lines[-1].split()
    assert (status, payment_status) == ("confirmed", "paid"), done.stdout + done.stderr

    # and the server agrees, asked directly
    login = httpx.post(
        f"{demo_server}/api/v1/auth/login",
        json={"email": "guest@example.com", "password": "innkeeper-guest"},
        timeout=30,
    )
    token = login.json()["access_token"]
    booking = httpx.get(
        f"{demo_server}/api/v1/bookings/{booking_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert (booking["status"], booking["payment_status"]) == ("confirmed", "paid")
    assert booking["balance_due"]["amount"] in ("0", "0.00")
