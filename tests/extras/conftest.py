"""Settings for the service tests: tokens outlive the days these tests travel through."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl_seconds": 60 * 86400}
