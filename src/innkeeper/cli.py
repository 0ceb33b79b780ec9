"""The ``innkeeper`` command: serve, migrate, demo, worker, create-admin, jobs, reconcile."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from innkeeper.config import UNSAFE_FLAG, Settings, get_settings

app = typer.Typer(
    help="Innkeeper: booking and property management.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
jobs_app = typer.Typer(help="Inspect and retry background jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
console = Console(stderr=True)


def _valid_settings() -> Settings:
    """The settings, or what is wrong with them, one line each, and exit 2. No traceback: pydantic's
    own message would echo the values given, secrets included."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as exc:
        console.print("[red]✗[/] Innkeeper cannot start with these settings:")
        for error in exc.errors(include_url=False, include_input=False):
            field = "_".join(str(part) for part in error["loc"]).upper()
            prefix = f"INNKEEPER_{field}: " if field else ""
            message = prefix + error["msg"].removeprefix("Value error, ")
            console.print(message, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.callback()
def _check_settings() -> None:
    # every command reads the settings: refuse bad ones before any command starts
    _valid_settings()


def _migrate() -> None:
    from innkeeper.kit.migrate import upgrade

    settings = get_settings()
    with console.status("Migrating the database…"):
        upgrade(settings.database_url)
    console.print(f"[green]✓[/] database at head ({settings.database_url.split('://')[0]})")


def _demo() -> None:
    from innkeeper.context import AppContext
    from innkeeper.demo import load_demo

    async def run() -> dict[str, int]:
        ctx = AppContext.build(get_settings())
        try:
            return await load_demo(ctx)
        finally:
            await ctx.close()

    with console.status("Loading demo data…"):
        created = asyncio.run(run())
    console.print(f"[green]✓[/] demo data ready ({', '.join(f'{v} new {k}' for k, v in created.items())})")


@app.command()
def migrate() -> None:
    """Bring the database schema to the latest version (safe to run from several hosts)."""
    _migrate()


@app.command()
def demo() -> None:
    """Load the demo world (idempotent)."""
    _migrate()
    _demo()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (INNKEEPER_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (INNKEEPER_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API processes")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Load demo data first")] = False,
    migrate: Annotated[bool, typer.Option(help="Migrate before serving")] = True,
) -> None:
    """Serve the API and the site."""
    import uvicorn

    # the options are settings, in every worker process too (and public_url follows them)
    if host:
        os.environ["INNKEEPER_HOST"] = host
    if port:
        os.environ["INNKEEPER_PORT"] = str(port)
    get_settings.cache_clear()
    settings = _valid_settings()
    if settings.is_production and settings.development_defaults():
        console.print(f"[yellow]![/] production with development defaults ({UNSAFE_FLAG}):")
        for line in settings.development_defaults():
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
    if migrate:
        _migrate()
    if demo:
        _demo()
    host, port = settings.host, settings.port
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # one /metrics view over all worker processes
        metrics_dir = Path("var") / f"prometheus-{port}"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    console.print(f"[bold]Innkeeper[/] on http://{host}:{port}  (docs: /docs, env: {settings.env.value})")
    log_level = settings.log_level.lower()
    if workers > 1:
        # uvicorn starts each worker in a fresh interpreter (spawn), which imports the parent's main
        # module again: this CLI with typer and rich, ~3 MB of every API process that serves no command.
        # Run as `python -m uvicorn` (a package's __main__, which spawn leaves alone), the supervisor is
        # uvicorn's own command with the options below, and the workers import only the application.
        command = [sys.executable, "-m", "uvicorn", *_uvicorn_options(host, port, workers, log_level)]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, command)  # noqa: S606  (our own interpreter and arguments, no shell)
    uvicorn.run(
        "innkeeper.app:serve_app",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        # the application alone reads X-Forwarded-For, from INNKEEPER_TRUSTED_PROXIES only (kit.http.
        # client_ip); uvicorn's own handling would trust any loopback peer and rewrite the client first
        proxy_headers=False,
        access_log=False,
    )


def _uvicorn_options(host: str, port: int, workers: int, log_level: str) -> list[str]:
    """``uvicorn`` command-line options for what :func:`serve` passes to ``uvicorn.run``."""
    return [
        "innkeeper.app:serve_app",
        "--factory",
        f"--host={host}",
        f"--port={port}",
        f"--workers={workers}",
        f"--log-level={log_level}",
        "--no-proxy-headers",
        "--no-access-log",
    ]


@app.command()
def worker(
    poll: Annotated[
        float | None,
        typer.Option(help="Seconds between polls when idle (on PostgreSQL new jobs also wake it at once)"),
    ] = None,
) -> None:
    """Run background jobs (any number of workers may run against the same database). On PostgreSQL a
    worker LISTENs for the commits that enqueue and starts on them at once; it polls as well."""
    from innkeeper.app import build_runner
    from innkeeper.context import AppContext
    from innkeeper.kit.logging import configure_logging
    from innkeeper.kit.telemetry import install_observability

    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.json_logs)

    async def run() -> None:
        ctx = AppContext.build(settings)
        install_observability(settings, db=ctx.db)  # job spans and error reports, when configured
        runner = build_runner(ctx)
        if poll:
            runner.poll_interval = poll
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"[bold]worker[/] {runner.worker_id} started")
        try:
            await runner.run_forever(stop)
        finally:
            await ctx.close()

    asyncio.run(run())


@app.command("grpc", help="Alias of `innkeeper meetings`: serve the gRPC meeting service.")
@app.command()
def meetings() -> None:
    """Serve the gRPC meeting service (innkeeper.meetings.v1.Meetings) on INNKEEPER_GRPC_HOST:
    INNKEEPER_GRPC_PORT (127.0.0.1:50051), next to `innkeeper serve`; any number may run."""
    from innkeeper.context import AppContext
    from innkeeper.integrations.meetings.server import serve_forever
    from innkeeper.kit.logging import configure_logging

    settings = get_settings()
    configure_logging(level=settings.log_level, json=settings.json_logs)

    async def run() -> None:
        ctx = AppContext.build(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"[bold]meetings[/] gRPC on {settings.grpc_host}:{settings.grpc_port}")
        try:
            await serve_forever(ctx, stop)
        finally:
            await ctx.close()

    asyncio.run(run())


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    full_name: Annotated[str, typer.Option()] = "Administrator",
) -> None:
    """Create a platform administrator, or promote an existing user."""
    from pydantic import TypeAdapter, ValidationError
    from sqlalchemy import select

    from innkeeper.audit.service import Actor, record
    from innkeeper.context import AppContext
    from innkeeper.identity.models import User
    from innkeeper.identity.schemas import Email
    from innkeeper.identity.service import check_password_policy
    from innkeeper.kit.errors import AppError
    from innkeeper.kit.security import hash_password

    try:
        email = TypeAdapter(Email).validate_python(email)
        check_password_policy(password, email)
    except (ValidationError, AppError) as exc:
        console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from exc
    _migrate()

    async def run() -> str:
        ctx = AppContext.build(get_settings())
        try:
            async with ctx.db.unit_of_work() as session:
                user = await session.scalar(select(User).where(User.email == email))
                if user is None:
                    user = User(
                        email=email,
                        full_name=full_name,
                        password_hash=hash_password(password),
                        is_platform_admin=True,
                    )
                    session.add(user)
                    await session.flush()
                    verb = "created"
                else:
                    user.is_platform_admin = True
                    user.password_hash = hash_password(password)
                    verb = "promoted"
                record(
                    session,
                    Actor.system("cli"),
                    "user.platform_admin_granted",
                    "user",
                    user.id,
                    after={"is_platform_admin": True},
                )
                return verb
        finally:
            await ctx.close()

    verb = asyncio.run(run())
    console.print(f"[green]✓[/] {email} {verb} as platform admin")


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt stored personal data with the newest key in INNKEEPER_ENCRYPTION_KEYS."""
    from innkeeper.bookings.service.guests import reseal_all
    from innkeeper.context import AppContext

    async def run() -> int:
        ctx = AppContext.build(get_settings())
        try:
            async with ctx.db.unit_of_work() as session:
                return await reseal_all(ctx, session)
        finally:
            await ctx.close()

    with console.status("Re-encrypting identity documents…"):
        count = asyncio.run(run())
    console.print(f"[green]✓[/] {count} value(s) now sealed with the newest key")


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str, typer.Option(help="queued, running, done or failed")] = "failed",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Show jobs, failed ones by default."""
    from innkeeper.context import AppContext
    from innkeeper.kit.jobs import Job, list_jobs

    async def run() -> list[Job]:
        ctx = AppContext.build(get_settings())
        try:
            async with ctx.db.unit_of_work(write=False) as session:
                return (await list_jobs(session, status, limit=limit))[0]
        finally:
            await ctx.close()

    table = Table("id", "kind", "attempts", "run_at", "last error")
    for job in asyncio.run(run()):
        table.add_row(
            str(job.id),
            job.kind,
            str(job.attempts),
            job.run_at.isoformat(timespec="seconds"),
            (job.last_error or "")[:80],
        )
    Console().print(table)


@app.command("reconcile-billing")
def reconcile_billing() -> None:
    """Check every booking's folio against its payments and refunds, and every wallet against its
    ledger; exit 1 on any finding."""
    from innkeeper.context import AppContext
    from innkeeper.reports.payments import Finding
    from innkeeper.reports.payments import reconcile as run_reconcile

    async def run() -> tuple[int, list[Finding]]:
        ctx = AppContext.build(get_settings())
        try:
            async with ctx.db.unit_of_work(write=False) as session:
                return await run_reconcile(session)
        finally:
            await ctx.close()

    checked, findings = asyncio.run(run())
    if not findings:
        console.print(f"[green]✓[/] {checked} booking folio(s) and every wallet agree with their ledgers")
        return
    table = Table("check", "subject", "expected", "found")
    for f in findings:
        table.add_row(f.kind, f.subject, f.expected, f.found)
    Console().print(table)
    console.print(f"[red]✗[/] {len(findings)} finding(s): the ledgers disagree")
    raise typer.Exit(1)


@app.command()
def reconcile() -> None:
    """Check every wallet balance against its ledger; exit 1 if any disagrees."""
    from innkeeper.billing.wallet import Mismatch
    from innkeeper.billing.wallet import reconcile as run_reconcile
    from innkeeper.context import AppContext
    from innkeeper.kit.money import Money

    async def run() -> tuple[int, list[Mismatch]]:
        from sqlalchemy import func, select

        from innkeeper.billing.models import WalletAccount

        ctx = AppContext.build(get_settings())
        try:
            async with ctx.db.unit_of_work(write=False) as session:
                accounts = int(await session.scalar(select(func.count()).select_from(WalletAccount)) or 0)
                return accounts, await run_reconcile(session)
        finally:
            await ctx.close()

    accounts, mismatches = asyncio.run(run())
    if not mismatches:
        console.print(f"[green]✓[/] {accounts} wallet(s): every balance equals the sum of its ledger")
        return
    table = Table("account", "user", "stored", "ledger")
    for m in mismatches:
        table.add_row(
            str(m.account_id),
            str(m.user_id),
            str(Money(m.stored_minor, m.currency)),
            str(Money(m.ledger_minor, m.currency)),
        )
    Console().print(table)
    console.print(f"[red]✗[/] {len(mismatches)} of {accounts} wallet(s) disagree with their ledger")
    raise typer.Exit(1)


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="The backup file to write (replaced if present)")],
) -> None:
    """Write a consistent copy of the database to PATH while it serves (SQLite: its online backup
    API; PostgreSQL: pg_dump, custom format). Schedule and retention: docs/operations.md."""
    from rich.markup import escape

    from innkeeper.kit.backup import BackupError, backup

    try:
        result = backup(get_settings().database_url, path)
    except BackupError as exc:
        console.print(f"[red]✗[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"[green]✓[/] {escape(str(result))}", highlight=False, soft_wrap=True)


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A file written by `innkeeper backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Replace the database's contents with the backup at PATH (stop the API and workers first)."""
    from rich.markup import escape

    from innkeeper.kit.backup import BackupError, restore

    settings = get_settings()
    target = settings.database_url.split("://")[0]
    if not yes:
        typer.confirm(f"Replace everything in the {target} database with {path}?", abort=True)
    try:
        restore(settings.database_url, path)
    except BackupError as exc:
        console.print(f"[red]✗[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(
        f"[green]✓[/] restored {escape(str(path))}; run `innkeeper migrate` if the backup predates this"
        " version",
        highlight=False,
        soft_wrap=True,
    )


def main() -> None:
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()


if __name__ == "__main__":
    main()
