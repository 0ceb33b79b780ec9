from __future__ import annotations

import re
import subprocess
import sys

import pytest
from pydantic import ValidationError

from innkeeper.config import DEV_SECRET_KEY, Settings

#: a production configuration with no development default left
PRODUCTION = {
    "env": "production",
    "secret_key": "a-long-production-secret-value",
    "payment_provider": "stripe",
    "stripe_secret_key": "sk_live_example",
    "smtp_url": "smtp://mail.example.com:587?starttls=true",
    "sms_provider": "http",
    "sms_http_url": "https://sms.example.com/send",
    "public_url": "https://booking.example.com",
}
#: each development default, as the setting that brings it back and what production says about it
DEVELOPMENT_DEFAULTS = [
    ({"payment_provider": "simulated"}, "INNKEEPER_PAYMENT_PROVIDER=simulated"),
    ({"smtp_url": None}, "INNKEEPER_SMTP_URL is unset"),
    ({"sms_provider": "console"}, "INNKEEPER_SMS_PROVIDER=console"),
    ({"public_url": ""}, "INNKEEPER_PUBLIC_URL is http://127.0.0.1:8000"),
    ({"public_url": "http://localhost:8000"}, "INNKEEPER_PUBLIC_URL is http://localhost:8000"),
]


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("INNKEEPER_ENV", "INNKEEPER_DATABASE_URL", "INNKEEPER_REDIS_URL", "INNKEEPER_SECRET_KEY"):
        monkeypatch.delenv(key, raising=False)
    s = Settings()
    assert s.env == "development" and s.host == "127.0.0.1" and s.port == 8000
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith("var/innkeeper.db")
    assert s.redis_url is None and s.hold_ttl_seconds == 900 and s.payment_provider == "simulated"
    assert s.run_jobs_in_process and s.sms_provider == "console"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(f"INNKEEPER_{key.upper()}", value)
    monkeypatch.setenv("INNKEEPER_PORT", "9123")
    monkeypatch.setenv("INNKEEPER_ENV", "PRODUCTION")
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
    done = _serve(
        INNKEEPER_ENV="production",
        INNKEEPER_SECRET_KEY=DEV_SECRET_KEY,
        INNKEEPER_UNSAFE_ALLOW_DEVELOPMENT_DEFAULTS="true",
    )
    assert done.returncode == 2
    assert "INNKEEPER_SECRET_KEY is the public development value" in done.stderr + done.stdout


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


def test_production_with_no_development_default_starts() -> None:
    s = Settings(**PRODUCTION)
    assert s.is_production and s.development_defaults() == [] and not s.simulated_payments_allowed


@pytest.mark.parametrize(("change", "named"), DEVELOPMENT_DEFAULTS)
def test_production_refuses_each_development_default(change: dict[str, object], named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**PRODUCTION, **change})
    message = str(refused.value)
    assert named in message and "INNKEEPER_UNSAFE_ALLOW_DEVELOPMENT_DEFAULTS" in message
    variable = re.match(r"INNKEEPER_[A-Z_]+", named)
    assert variable and message.count("  - INNKEEPER_") == 1  # only what is wrong is listed
    assert f"  - {variable.group()}" in message
    # the same outside production is fine
    assert Settings(**{**PRODUCTION, **change, "env": "test"}).development_defaults()


def test_production_lists_every_development_default_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key=DEV_SECRET_KEY)
    message = str(refused.value)
    for variable in ("SECRET_KEY", "PAYMENT_PROVIDER", "SMTP_URL", "SMS_PROVIDER", "PUBLIC_URL"):
        assert f"INNKEEPER_{variable}" in message


def test_unsafe_flag_allows_development_defaults_but_never_the_public_secret() -> None:
    allowed = Settings(env="production", secret_key="x" * 20, unsafe_allow_development_defaults=True)
    assert allowed.simulated_payments_allowed
    assert len(allowed.development_defaults()) == 4  # still known, so that `serve` can warn
    with pytest.raises(ValidationError, match="INNKEEPER_SECRET_KEY is the public development value"):
        Settings(env="production", secret_key=DEV_SECRET_KEY, unsafe_allow_development_defaults=True)
    with pytest.raises(ValidationError, match="INNKEEPER_SECRET_KEY"):
        Settings(**{**PRODUCTION, "secret_key": DEV_SECRET_KEY, "unsafe_allow_development_defaults": True})


def test_simulated_payments_are_allowed_outside_production_only() -> None:
    assert Settings().simulated_payments_allowed
    assert Settings(env="test", secret_key="x" * 20).simulated_payments_allowed
    assert not Settings(payment_provider="stripe", stripe_secret_key="sk_test_x").simulated_payments_allowed


def test_public_url_defaults_from_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INNKEEPER_PUBLIC_URL", raising=False)
    monkeypatch.delenv("INNKEEPER_HOST", raising=False)
    monkeypatch.setenv("INNKEEPER_PORT", "9123")
    assert Settings().public_url == "http://127.0.0.1:9123"
    assert Settings(host="0.0.0.0", port=8080).public_url == "http://127.0.0.1:8080"  # noqa: S104
    assert Settings(host="192.0.2.10", port=80).public_url == "http://192.0.2.10:80"
    assert Settings(host="::1", port=8000).public_url == "http://[::1]:8000"
    assert Settings(public_url="https://booking.example.com").public_url == "https://booking.example.com"


def test_an_empty_variable_is_an_unset_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # compose passes `INNKEEPER_SMTP_URL=` from an .env file through as an empty string
    for key in ("SMTP_URL", "PUBLIC_URL", "PORT", "LOG_JSON"):
        monkeypatch.setenv(f"INNKEEPER_{key}", "")
    s = Settings()
    assert (s.smtp_url, s.public_url, s.port, s.log_json) == (None, "http://127.0.0.1:8000", 8000, None)


def _serve(**env: str) -> subprocess.CompletedProcess[str]:
    import os

    clean = {k: v for k, v in os.environ.items() if not k.startswith("INNKEEPER_")}
    return subprocess.run(
        [sys.executable, "-m", "innkeeper.cli", "serve", "--no-migrate"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_fails_fast_listing_each_development_default_in_production() -> None:
    secret = "a-long-production-secret-value"
    done = _serve(INNKEEPER_ENV="production", INNKEEPER_SECRET_KEY=secret)
    assert done.returncode == 2
    out = done.stderr + done.stdout
    for named in (
        "INNKEEPER_PAYMENT_PROVIDER=simulated",
        "INNKEEPER_SMTP_URL is unset",
        "INNKEEPER_SMS_PROVIDER=console",
        "INNKEEPER_PUBLIC_URL is http://127.0.0.1:8000",
        "INNKEEPER_UNSAFE_ALLOW_DEVELOPMENT_DEFAULTS=true",
    ):
        assert named in out, out
    assert "Traceback" not in out and secret not in out  # a plain list, and no setting's value echoed
