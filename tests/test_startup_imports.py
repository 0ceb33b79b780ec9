"""Every process pays for what is imported at start (each API and worker process, every ``innkeeper``
command, every test run): a heavy library that one feature uses is imported where that feature runs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "innkeeper"
#: fpdf2 loads Pillow, fontTools and unittest.mock: about 0.35 s of every start, for invoice PDFs only
HEAVY = {"fpdf"}


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
