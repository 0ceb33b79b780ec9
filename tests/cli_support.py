"""Run the ``innkeeper`` command inside the test process.

A subprocess pays for a whole interpreter and the application's imports (1 to 3 s each on a busy two-core
machine); Typer's runner calls the same command in milliseconds. Only tests that need a real process
(a server on a port, signals, several workers at once) still start one."""

from __future__ import annotations

import asyncio

from click.testing import Result
from typer.testing import CliRunner

from innkeeper import cli
from innkeeper.config import Settings, get_settings


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The variables a command needs to reach the test's database, with cheap argon2 like the test's
    app: the command configures the process-wide hasher, and this process is the test's."""
    return {
        "INNKEEPER_ENV": "test",
        "INNKEEPER_SECRET_KEY": settings.secret_key,
        "INNKEEPER_DATABASE_URL": settings.database_url,
        "INNKEEPER_PASSWORD_TIME_COST": str(settings.password_time_cost),
        "INNKEEPER_PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
        "INNKEEPER_PASSWORD_PARALLELISM": str(settings.password_parallelism),
        **extra,
    }


def invoke_cli(environ: dict[str, str], *args: str) -> Result:
    """``innkeeper ARGS`` with these variables set (a value of None unsets one) while it runs."""
    get_settings.cache_clear()  # the command reads its settings from ``environ``
    try:
        return CliRunner().invoke(cli.app, list(args), env=environ)
    finally:
        get_settings.cache_clear()  # and the test process reads its own again


async def run_cli(settings: Settings, *args: str, **env: str) -> Result:
    """``innkeeper ARGS`` against the test's database (:func:`cli_env` plus ``env``). In a worker
    thread: every command runs its own ``asyncio.run``, which cannot nest in the test's running loop."""
    return await asyncio.to_thread(invoke_cli, cli_env(settings, **env), *args)
