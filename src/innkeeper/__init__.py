"""Innkeeper: booking and property-management platform."""

import sys

# structlog imports rich and pygments when they are installed (typer brings them), for tracebacks we never
# render: kit.logging renders plain ones. That is ~2-4 MB of every process. While structlog is first
# imported, ``import rich`` fails (a None in sys.modules), so structlog takes its plain path; whoever
# imports rich afterwards (the CLI's output) gets it as usual.
_rich = sys.modules.get("rich")
sys.modules["rich"] = None  # type: ignore[assignment]
try:
    import structlog  # noqa: F401  (imported here for the reason above)
finally:
    if _rich is None:
        del sys.modules["rich"]
    else:
        sys.modules["rich"] = _rich
del _rich

__version__ = "0.1.0"
