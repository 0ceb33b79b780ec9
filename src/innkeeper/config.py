"""Settings: every knob is an ``INNKEEPER_*`` environment variable (see the README's table)."""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import limits
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - refused outside development
#: lets production start with development defaults (the simulated gateway, no SMTP, console SMS)
UNSAFE_FLAG = "INNKEEPER_UNSAFE_ALLOW_DEVELOPMENT_DEFAULTS"
PROJECT_ROOT = Path.cwd()


class Env(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def local_url(host: str, port: int) -> str:
    """``http://host:port`` for a listening address (a wildcard address becomes the loopback one)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - compared, not bound
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _stripe_mode(key: str) -> str | None:
    """``test`` or ``live`` for a Stripe key (``sk_test_…``, ``pk_live_…``, ``rk_live_…``), else None."""
    parts = key.split("_")
    return parts[1] if len(parts) > 2 and parts[1] in ("test", "live") else None


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


class Settings(BaseSettings):
    # an empty variable is an unset one (compose passes ``VAR=`` from an .env file as it is)
    model_config = SettingsConfigDict(env_prefix="INNKEEPER_", extra="ignore", env_ignore_empty=True)

    env: Env = Env.development
    #: production starts despite the development defaults listed by ``development_defaults``
    unsafe_allow_development_defaults: bool = False
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'innkeeper.db'}"
    database_pool_size: int = Field(10, ge=1)
    database_max_overflow: int = Field(10, ge=0)
    database_echo: bool = False
    #: a pooled PostgreSQL connection idle this long is pinged before use (0: before every use)
    database_ping_idle_seconds: float = Field(5.0, ge=0)
    #: PostgreSQL: the longest a statement waits for a lock (row, advisory) before the request is
    #: answered 503 ``database.busy`` (0: no limit)
    database_lock_timeout_ms: int = Field(10_000, ge=0)
    #: PostgreSQL: the longest a statement runs before it is cancelled (503 ``database.timeout``; 0: no limit)
    database_statement_timeout_ms: int = Field(30_000, ge=0)
    #: PostgreSQL: seconds to open a connection before the request is answered 503
    database_connect_timeout_seconds: float = Field(5.0, gt=0)
    #: SQLite: the longest a writer waits for the database lock before the request is answered 503
    database_sqlite_busy_timeout_ms: int = Field(30_000, ge=0)
    redis_url: str | None = None
    #: connect and read timeout of every Redis call
    redis_timeout_seconds: float = Field(0.5, gt=0)
    #: after a failed Redis call, each process uses the fallbacks this long before trying Redis again
    redis_retry_seconds: float = Field(5.0, ge=0)
    secret_key: str = DEV_SECRET_KEY
    encryption_keys: str | None = None
    #: the address users reach, for links in messages; unset: ``http://{host}:{port}``
    public_url: str = ""
    log_level: str = "INFO"
    log_json: bool | None = None  # default: JSON in production, console otherwise

    # HTTP limits
    max_body_bytes: int = Field(1_048_576, ge=1024)
    # the edge (comma lists): docs/operations.md, "Behind a proxy"
    #: proxies (addresses or CIDRs) whose X-Forwarded-For / X-Forwarded-Proto count; none: the peer is
    #: the client, whatever the headers say
    trusted_proxies: Annotated[list[str], NoDecode] = []
    #: Host header values answered (``*.example.com``: its subdomains); ``*``: any
    allowed_hosts: Annotated[list[str], NoDecode] = ["*"]
    #: browser origins allowed to call the API (CORS); none: no CORS headers at all
    cors_origins: Annotated[list[str], NoDecode] = []

    # identity
    password_time_cost: int = Field(3, ge=1)
    password_memory_kib: int = Field(65536, ge=64)
    password_parallelism: int = Field(4, ge=1)
    access_token_ttl_seconds: int = Field(900, ge=30)
    refresh_token_ttl_days: int = Field(30, ge=1)
    session_cache_ttl_seconds: int = Field(30, ge=0)
    otp_ttl_seconds: int = Field(300, ge=30)
    otp_max_attempts: int = Field(3, ge=1)
    otp_sends_per_window: int = Field(3, ge=1)
    otp_send_window_seconds: int = Field(1800, ge=60)
    login_failures_per_window: int = Field(10, ge=1)
    login_failure_window_seconds: int = Field(900, ge=60)
    auth_rate_limit: str = "120/minute"
    write_rate_limit: str = "600/minute"
    #: per client IP, anonymous callers only: search, locations, availability, calendar, booking lookup,
    #: resource search and slots
    anonymous_read_rate_limit: str = "300/minute"
    default_phone_region: str = "US"

    # bookings
    hold_ttl_seconds: int = Field(900, ge=10)

    # catalog, inventory, search
    inventory_horizon_days: int = Field(365, ge=30, le=1100)
    max_stay_nights: int = Field(30, ge=1, le=365)
    max_guests: int = Field(50, ge=1)
    max_rooms_per_booking: int = Field(10, ge=1)
    search_default_radius_km: float = Field(25.0, gt=0)
    search_max_radius_km: float = Field(500.0, gt=0)
    #: properties whose room types and rate rules search keeps in memory per process
    search_catalog_cache_size: int = Field(20_000, ge=1)

    # images and file storage
    storage_backend: str = "local"
    media_dir: Path = PROJECT_ROOT / "var" / "media"
    image_max_bytes: int = Field(900_000, ge=1024)
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_prefix: str = "media/"

    # jobs
    run_jobs_in_process: bool = True
    job_poll_interval_seconds: float = Field(1.0, gt=0)
    job_lease_seconds: int = Field(300, ge=5)
    job_max_attempts: int = Field(8, ge=1)

    # payments
    payment_provider: str = "simulated"
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    #: Stripe's publishable key (``pk_live_…`` / ``pk_test_…``) for the guest site's card page (the
    #: Payment Element). Public by design: every payer's browser receives it. With ``stripe`` and no key
    #: the API still takes payments (its clients bring their own key) but the site refuses card payments
    stripe_publishable_key: str | None = None
    #: Reject webhooks whose signature timestamp is further than this from now (Stripe's default: 300).
    webhook_tolerance_seconds: int = Field(300, ge=1)
    #: Signs the simulated gateway's webhooks; derived from ``secret_key`` (HKDF) when unset.
    simulated_webhook_secret: str | None = None
    stripe_max_network_retries: int = Field(2, ge=0)
    stripe_timeout_seconds: float = Field(30.0, gt=0)
    #: The wallet currency shown by ``GET /users/me/wallet`` when the user has no wallet yet.
    wallet_default_currency: str = "EUR"

    # notifications
    smtp_url: str | None = None
    mail_from: str = "Innkeeper <no-reply@innkeeper.localhost>"
    sms_provider: str = "console"
    sms_http_url: str | None = None
    sms_http_account: str | None = None
    sms_http_token: str | None = None
    sms_from: str = "Innkeeper"

    # --- services (extras/) ---
    # --- engagement (reviews, loyalty, tickets), content, account recovery ---
    #: how long a password-reset link works (single use)
    password_reset_ttl_seconds: int = Field(3600, ge=60)
    #: how long an e-mail verification link works (single use)
    email_verification_ttl_seconds: int = Field(7 * 86400, ge=60)
    #: reset e-mails per address per window; beyond, the request is answered the same (202) and
    #: nothing is sent, so the answer never tells whether the address has an account
    password_reset_mails_per_window: int = Field(3, ge=1)
    password_reset_window_seconds: int = Field(3600, ge=60)
    #: requests to the recovery routes (forgot, reset, verify, resend) per client IP
    recovery_rate_limit: str = "30/hour"
    #: reviews wait for a moderator before they count; off: published on submission
    reviews_require_moderation: bool = True
    #: the published redemption rate: wallet credit, in minor units of ``loyalty_redeem_currency``,
    #: per loyalty point (1: 100 points are 1.00)
    loyalty_point_value_minor: int = Field(1, ge=1, le=10_000)
    loyalty_redeem_currency: str = Field("EUR", min_length=3, max_length=3)
    # --- reports ---
    #: where reports read (a read replica); unset: the main database. Reports always read in
    #: read-only transactions (docs/reports.md)
    reports_database_url: str | None = None
    # --- operations (telemetry, error reporting, retention, backups) ---
    #: OTLP/HTTP collector for traces, e.g. ``http://otel-collector:4318`` (``/v1/traces`` is added when
    #: the URL has no path); unset: no tracing at all (docs/operations.md, "Traces")
    otel_endpoint: str | None = None
    #: share of traces kept (a request's children follow its decision)
    otel_sample_ratio: float = Field(1.0, ge=0, le=1)
    #: report errors to Sentry; unset: off
    sentry_dsn: str | None = None
    #: the ``kit.prune`` job: rows deleted per table and run at most (it runs hourly, and again a minute
    #: later while a table had more)
    purge_batch_size: int = Field(5000, ge=1, le=100_000)
    #: sessions (with their refresh tokens) are kept this long after they expired or were revoked
    session_retention_days: int = Field(30, ge=1)
    #: phone sign-in codes are kept this long after they expired (never less than the OTP send window)
    otp_retention_hours: int = Field(24, ge=1)
    #: finished jobs (the outbox: e-mails, SMS, webhooks) and development outbox messages are kept this long
    outbox_retention_days: int = Field(7, ge=1)
    #: a city search finding fewer than 5 properties adds the nearest active ones within this many km
    #: of the city's properties (``nearby: true``); 0 turns the widening off
    search_nearby_radius_km: float = Field(50.0, ge=0, le=20_000)
    # --- integrations (webhooks, calendars, meetings, Stripe Connect) ---
    #: webhooks and calendar imports may call private, loopback and link-local addresses (SSRF guard
    #: off); unset: allowed outside production only
    integrations_allow_private_urls: bool | None = None
    #: connect + read timeout of each webhook delivery and calendar download
    integrations_timeout_seconds: float = Field(10.0, gt=0, le=120)
    #: a webhook delivery is retried (exponential backoff, jitter) for this long, then marked failed
    webhook_retry_hours: float = Field(24.0, gt=0, le=168)
    #: the largest .ics file a calendar import downloads
    calendar_import_max_bytes: int = Field(5_000_000, ge=1024)
    #: the gRPC meeting service (``innkeeper meetings``, or with ``innkeeper serve`` when set)
    grpc_port: int = Field(50051, ge=1, le=65535)
    grpc_host: str = "127.0.0.1"
    #: where participants join a meeting (``{join_base_url}/{meeting_id}``); unset: ``{public_url}/meet``
    meeting_join_base_url: str = ""
    #: the platform's fee on a Connect destination charge, in percent of the booking payment
    connect_application_fee_percent: Decimal = Field(Decimal(0), ge=0, le=100, decimal_places=2)
    # --- web pages (guest site, staff console) ---

    @field_validator("env", mode="before")
    @classmethod
    def _lower_env(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("trusted_proxies", "allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        networks = []
        for item in value:
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ValueError(f"trusted_proxies: {item!r} is neither an IP address nor a CIDR") from None
        return networks

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("allowed_hosts is empty: list the host names served, or * for any")
        for pattern in value:
            name = pattern.removeprefix("*.") if pattern != "*" else "any"
            if not name or (any(c in name for c in "*/:@ ") and not _is_ipv6(name)):
                raise ValueError(
                    f"allowed_hosts: {pattern!r} is not a host name (no scheme, port or path;"
                    " '*.example.com' for subdomains, '*' for any)"
                )
        return [pattern.lower() for pattern in value]

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        origins = []
        for origin in value:
            parts = urlsplit(origin)
            extra = parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc
            if parts.scheme not in ("http", "https") or not parts.hostname or extra:
                raise ValueError(f"cors_origins: {origin!r} is not an origin like https://app.example.com")
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
        return origins

    @field_validator("auth_rate_limit", "write_rate_limit", "anonymous_read_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit like '300/minute'") from None
        return value

    @field_validator("sms_provider")
    @classmethod
    def _known_sms(cls, value: str) -> str:
        if value not in {"console", "http"}:
            raise ValueError("sms_provider must be 'console' or 'http'")
        return value

    @field_validator("storage_backend")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        if value not in {"local", "s3"}:
            raise ValueError("storage_backend must be 'local' or 's3'")
        return value

    @field_validator("payment_provider")
    @classmethod
    def _known_payments(cls, value: str) -> str:
        if value not in {"simulated", "stripe"}:
            raise ValueError("payment_provider must be 'simulated' or 'stripe'")
        return value

    @field_validator("stripe_publishable_key")
    @classmethod
    def _publishable_key(cls, value: str | None) -> str | None:
        # a secret key here would be handed to every browser that opens the card page
        if value is not None and not value.startswith("pk_"):
            raise ValueError(
                "INNKEEPER_STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_live_… or pk_test_…):"
                " it is sent to every payer's browser"
            )
        return value

    @model_validator(mode="after")
    def _stripe_needs_keys(self) -> Settings:
        if self.payment_provider == "stripe" and not self.stripe_secret_key:
            raise ValueError("INNKEEPER_PAYMENT_PROVIDER=stripe needs INNKEEPER_STRIPE_SECRET_KEY")
        modes = {_stripe_mode(k) for k in (self.stripe_secret_key, self.stripe_publishable_key) if k}
        if {"test", "live"} <= modes:  # a test key with a live one: intents the page could never confirm
            raise ValueError(
                "INNKEEPER_STRIPE_SECRET_KEY and INNKEEPER_STRIPE_PUBLISHABLE_KEY must both be test keys"
                " or both live keys"
            )
        return self

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        if not self.public_url:
            self.public_url = local_url(self.host, self.port)
        return self

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Settings:
        if not self.is_production:
            return self
        refused = self.development_defaults()
        public_secret = self.secret_key == DEV_SECRET_KEY
        if public_secret:  # no flag allows it: anyone could sign an administrator's access token
            refused.insert(0, "INNKEEPER_SECRET_KEY is the public development value (never allowed)")
        if public_secret or (refused and not self.unsafe_allow_development_defaults):
            raise ValueError(
                "INNKEEPER_ENV=production refuses to start with development defaults:\n"
                + "".join(f"  - {line}\n" for line in refused)
                + f"Set each of them, or set {UNSAFE_FLAG}=true to start anyway on a host without real"
                " guests or money (it never allows the development secret key)."
            )
        return self

    def development_defaults(self) -> list[str]:
        """The development defaults in effect that production refuses unless ``UNSAFE_FLAG`` is set."""
        found: list[str] = []
        if self.payment_provider == "simulated":
            found.append(
                "INNKEEPER_PAYMENT_PROVIDER=simulated: anyone can mark a payment paid"
                " (POST /payments/{id}/simulate); use stripe"
            )
        if not self.smtp_url:
            found.append(
                "INNKEEPER_SMTP_URL is unset: e-mail would only reach the development outbox"
                " (/dev/outbox), which production neither keeps nor serves"
            )
        if self.sms_provider == "console":
            found.append("INNKEEPER_SMS_PROVIDER=console: text messages (sign-in codes) would only be logged")
        if is_loopback_url(self.public_url):
            found.append(
                f"INNKEEPER_PUBLIC_URL is {self.public_url}, a loopback address (unset, it is made of"
                " INNKEEPER_HOST and INNKEEPER_PORT): links in messages would not reach anyone"
            )
        return found

    @property
    def simulated_payments_allowed(self) -> bool:
        """The simulated gateway lets anyone pay with nothing: outside production, or when allowed."""
        return self.payment_provider == "simulated" and (
            not self.is_production or self.unsafe_allow_development_defaults
        )

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == Env.test and self.secret_key == DEV_SECRET_KEY:
            raise ValueError(
                "INNKEEPER_SECRET_KEY is the development default; set a real secret outside development"
            )
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("INNKEEPER_S3_BUCKET is required when INNKEEPER_STORAGE_BACKEND is 's3'")
        if len(self.secret_key) < 16:
            raise ValueError("INNKEEPER_SECRET_KEY must be at least 16 characters")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == Env.production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json


@lru_cache
def get_settings() -> Settings:
    return Settings()
