"""The package graph stays as docs/architecture.md draws it.

The import-linter contracts in pyproject.toml (run by ``make lint``) check the directions between
packages and layers; these tests check what the contracts cannot see."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "innkeeper"
#: the command line imports lazily on purpose: ``innkeeper --help`` should not load the application
LAZY_IMPORTS_ALLOWED = {SRC / "cli.py"}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out.append((name, path, ast.parse(path.read_text(), str(path))))
    return out


def test_no_private_name_is_imported_from_another_package() -> None:
    """``_helpers`` are a package's own: another package that needs one needs a public function."""
    offenders = []
    for name, path, tree in modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("innkeeper"):
                continue
            if package_of(node.module or "") == package_of(name):
                continue
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")]
            if private:
                offenders.append(
                    f"{path.relative_to(SRC)}:{node.lineno} imports {private} from {node.module}"
                )
    assert offenders == []


def test_no_import_hides_inside_a_function() -> None:
    """A function-level import of our own code is how a package cycle hides from the import graph."""
    offenders = []
    for _name, path, tree in modules():
        if path in LAZY_IMPORTS_ALLOWED:
            continue
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("innkeeper"):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {node.module}")
                if isinstance(node, ast.Import) and any(a.name.startswith("innkeeper") for a in node.names):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_the_import_contracts_hold() -> None:
    """The same check as ``make lint``, so a plain test run catches a new cycle too."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.skip("import-linter is not installed in this environment")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=SRC.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:]
