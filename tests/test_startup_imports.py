"""Every process pays for what is imported at start (each API and worker process, every ``innkeeper``
command, every test run): a heavy library that one feature uses is imported where that feature runs."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "innkeeper"
#: fpdf2 loads Pillow, fontTools and unittest.mock: about 0.35 s of every start, for invoice PDFs only
HEAVY = {"fpdf"}
#: what an API process on the embedded default (no Redis, simulated payments, development outbox)
#: must not load: each is the resident memory of every process for a feature it does not run
#: (Stripe's SDK ~10 MB, redis ~8 MB, aiosmtplib ~2 MB, icalendar ~3 MB, httpx ~3 MB, nh3 ~1.5 MB,
#: phonenumbers ~1 MB, rich with pygments ~4 MB: structlog's, see innkeeper/__init__.py; typer, the
#: CLI's; measured with /proc)
NOT_AT_START = (
    *("fpdf", "stripe", "redis", "icalendar", "aiosmtplib", "httpx", "nh3", "phonenumbers"),
    *("rich", "pygments", "typer"),
)


def imports_run_at_import_time(nodes: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports in module and class bodies (and their if/try/with blocks), not inside functions and not
    under ``if TYPE_CHECKING:``."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                yield from imports_run_at_import_time(node.body)
            yield from imports_run_at_import_time(node.orelse)
        elif isinstance(node, ast.ClassDef | ast.With | ast.Try):
            for block in ("body", "orelse", "finalbody"):
                yield from imports_run_at_import_time(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                yield from imports_run_at_import_time(handler.body)


def test_heavy_libraries_are_imported_where_they_are_used() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text()
        if not any(name in text for name in HEAVY):
            continue  # parsing every module costs a second on a busy machine
        for node in imports_run_at_import_time(ast.parse(text, str(path)).body):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if any(name.split(".")[0] in HEAVY for name in names):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_an_api_process_without_redis_or_stripe_does_not_load_them(tmp_path: Path) -> None:
    """Measured on the whole app, in a fresh interpreter, so imports made through other packages count."""
    program = (
        "import sys\n"
        "from innkeeper.app import create_app\n"
        "create_app()\n"
        f"print(sorted(m for m in {NOT_AT_START!r} if m in sys.modules))\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("INNKEEPER_") or key == "INNKEEPER_ENV"
    }
    env.update(
        INNKEEPER_ENV="test",
        INNKEEPER_SECRET_KEY="startup-imports-secret-0123456789abcdef",
        INNKEEPER_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        INNKEEPER_PAYMENT_PROVIDER="simulated",
    )
    out = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
