"""What the server spends per request during a benchmark run, read from ``/proc`` (Linux only): the
CPU of the API processes (the server's session) and of the benchmark database's PostgreSQL backends."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import asyncpg

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Measured(Protocol):
    statuses: dict[int, int]
    server_cpu: tuple[float, float] | None
    server_rss_mb: float | None


R = TypeVar("R", bound=Measured)


def server_note(server_cpu: tuple[float, float] | None, rss_mb: float | None = None) -> str:
    if server_cpu is None:
        return ""
    rss = f", largest API process {rss_mb:.0f} MB" if rss_mb else ""
    return f"  server CPU/request: API {server_cpu[0]:.1f} ms, PostgreSQL {server_cpu[1]:.1f} ms{rss}"


def rss_mb(pid: int) -> float:
    """Resident memory of a process (``VmRSS``), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def proc_stat(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` from its third field (the state) on, or None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        stat = proc_stat(pid)
        if stat is not None:
            out[pid] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS  # utime + stime
    return out


class ServerCpu:
    """The CPU the API processes (the server's session) and the benchmark database's PostgreSQL backends
    spend during a run, per request: where the two cores went (the client's share is its own column).
    Backends that connect or leave during the run are not counted."""

    def __init__(self, session_id: int, dsn: str) -> None:
        self.session_id, self.dsn = session_id, dsn

    def _api_pids(self) -> list[int]:
        return [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and (stat := proc_stat(int(p.name))) and int(stat[3]) == self.session_id
        ]

    async def _backend_pids(self) -> list[int]:
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()
        return [r["pid"] for r in rows]

    def _snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(self._api_pids()), cpu_seconds(asyncio.run(self._backend_pids()))

    def measure(self, run: Callable[[], R]) -> R:
        (api0, pg0), result, (api1, pg1) = self._snapshot(), run(), self._snapshot()
        requests = sum(result.statuses.values())
        if requests and proc_stat(self.session_id) is not None:
            spent = [
                sum(after[p] - before[p] for p in after if p in before)
                for before, after in ((api0, api1), (pg0, pg1))
            ]
            result.server_cpu = (1000 * spent[0] / requests, 1000 * spent[1] / requests)
            result.server_rss_mb = max((rss_mb(p) for p in self._api_pids()), default=0.0)
        return result
