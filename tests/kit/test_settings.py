from __future__ import annotations

import pytest
from pydantic import ValidationError

from innkeeper.config import DEV_SECRET_KEY, Settings


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("INNKEEPER_ENV", "INNKEEPER_DATABASE_URL", "INNKEEPER_REDIS_URL", "INNKEEPER_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    s = Settings()
    assert s.env == "development" and s.host == "127.0.0.1" and s.port == 8000
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("var/innkeeper.db")
    assert s.redis_url is None and s.hold_ttl_seconds == 900 and s.payment_provider == "simulated"
    assert s.run_jobs_in_process and s.sms_provider == "console"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INNKEEPER_PORT", "9123")
    monkeypatch.setenv("INNKEEPER_ENV", "PRODUCTION")
    monkeypatch.setenv("INNKEEPER_SECRET_KEY", "a-long-production-secret-value")
    monkeypatch.setenv("INNKEEPER_HOLD_TTL_SECONDS", "60")
    s = Settings()
    assert (s.port, s.env, s.hold_ttl_seconds, s.is_production, s.json_logs) == (
        9123,
        "production",
        60,
        True,
        True,
    )


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_refused_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="INNKEEPER_SECRET_KEY"):
        Settings(env=env, secret_key=DEV_SECRET_KEY)


def test_short_secret_and_bad_values_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(secret_key="short")
    with pytest.raises(ValidationError):
        Settings(port=0)
    with pytest.raises(ValidationError):
        Settings(sms_provider="pigeon")
    with pytest.raises(ValidationError):
        Settings(payment_provider="cash")


def test_serve_refuses_to_start_with_default_secret_in_production() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "INNKEEPER_ENV": "production", "INNKEEPER_SECRET_KEY": DEV_SECRET_KEY}
    done = subprocess.run(
        [sys.executable, "-m", "innkeeper.cli", "serve", "--no-migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "INNKEEPER_SECRET_KEY" in done.stderr + done.stdout


def test_password_cost_is_configurable_and_old_hashes_still_verify() -> None:
    from innkeeper.kit import security

    security.configure_password_hashing(time_cost=3, memory_kib=65536, parallelism=4)
    strong = security.hash_password("correct horse battery")
    assert "m=65536,t=3,p=4" in strong
    security.configure_password_hashing(time_cost=1, memory_kib=1024, parallelism=1)
    cheap = security.hash_password("correct horse battery")
    assert "m=1024,t=1,p=1" in cheap
    assert security.verify_password("correct horse battery", strong)  # hashes carry their own cost
    assert security.verify_password("correct horse battery", cheap)
    assert not security.verify_password("wrong horse battery", strong)
