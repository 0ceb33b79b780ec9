"""Helpers for the operations tests: read a metric's current value."""

from __future__ import annotations

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The current value of one series in this process (0 when it was never touched)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
