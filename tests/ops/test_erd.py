"""docs/erd.md is what ``scripts/erd.py`` generates from the models today (run the script after a
model changes)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "erd.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("innkeeper_erd_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_diagram_is_current() -> None:
    erd = load_script()
    text = erd.render()
    assert "erDiagram" in text
    assert '    properties ||--o{ bookings : "property_id"' in text
    assert "        bigint total_minor" in text  # money as integer minor units
    assert erd.TARGET.read_text() == text, "docs/erd.md is out of date: run python scripts/erd.py"
    assert erd.main(["--check"]) == 0
