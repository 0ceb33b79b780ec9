"""Run ``innkeeper serve --workers 2 --no-migrate`` as a real process tree for concurrency tests.

The server gets a free loopback port, is waited for on ``/healthz``, and is always torn down with its
whole process group (uvicorn's supervisor and both workers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from tests.conftest import TEST_SECRET

STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self,
        database_url: str,
        workdir: Path,
        *,
        workers: int = 2,
        redis_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.workers = workers
        self.redis_url = redis_url
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> Server:
        last = ""
        for _ in range(3):  # a free port can be taken between probing and binding: retry on a new one
            try:
                self._start_once()
                return self
            except AssertionError as exc:
                last = str(exc)
                self.stop()
        raise AssertionError(f"server did not start:\n{last}")

    def _start_once(self) -> None:
        port = free_port()
        metrics = self.workdir / f"prometheus-{port}"
        metrics.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "INNKEEPER_ENV": "test",
            "INNKEEPER_SECRET_KEY": TEST_SECRET,
            "INNKEEPER_HOST": "127.0.0.1",
            "INNKEEPER_PORT": str(port),
            "INNKEEPER_DATABASE_URL": self.database_url,
            "INNKEEPER_LOG_LEVEL": "WARNING",
            "INNKEEPER_RUN_JOBS_IN_PROCESS": "false",
            "INNKEEPER_WRITE_RATE_LIMIT": "1000000/minute",
            "INNKEEPER_AUTH_RATE_LIMIT": "1000000/minute",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
            **self.extra_env,
        }
        env.pop("INNKEEPER_REDIS_URL", None)
        if self.redis_url:
            env["INNKEEPER_REDIS_URL"] = self.redis_url
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "innkeeper.cli", "serve", "--workers", str(self.workers), "--no-migrate"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.workdir,
        )
        log.close()
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        healthy = 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(self.log_tail())
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    healthy += 1
                    if healthy >= 4:  # a few answers: both workers are likely up, not just the first
                        return
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise AssertionError("no /healthz answer in time:\n" + self.log_tail())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def db_context(url: str) -> Any:
    """Something with ``.db`` for the invariant checks in tests/bookings/support.py."""
    from innkeeper.kit.db import Database

    return SimpleNamespace(db=Database(url, pool_size=2, max_overflow=2))
