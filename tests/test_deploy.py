"""The container files: a slim, non-root image whose entrypoint is ``innkeeper serve``, and a
compose.yaml with PostgreSQL, Redis, migrations as a one-off service, the health-checked API and
workers. ``docker compose config`` runs when the docker CLI has compose (skipped visibly otherwise)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from innkeeper.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            logical.append(pending.strip())
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def test_image_is_slim_and_runs_innkeeper_serve_as_a_non_root_user() -> None:
    stage = final_stage()
    assert "slim" in stage[0][1]
    users = [args for op, args in stage if op == "USER"]
    assert users, "the final stage sets no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    entrypoint = [args for op, args in stage if op == "ENTRYPOINT"][-1]
    assert json.loads(entrypoint) == ["innkeeper", "serve"]


def test_build_context_leaves_out_local_state_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env", "var"} <= ignored


def check_stack(config: dict[str, Any]) -> None:
    """What compose.yaml promises, on its parsed or its resolved form."""
    services = config["services"]
    assert {"postgres", "redis", "migrate", "api", "worker"} <= services.keys()
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    for name in ("postgres", "redis", "api"):
        assert services[name]["healthcheck"]["test"], name

    migrate, api, worker = services["migrate"], services["api"], services["worker"]
    assert migrate["entrypoint"] == ["innkeeper", "migrate"] and migrate["restart"] == "no"
    assert worker["entrypoint"] == ["innkeeper", "worker"]
    assert not api.get("entrypoint")  # the image's own: innkeeper serve
    command = api["command"]
    assert "--no-migrate" in command and "--workers" in command
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    for service in (migrate, api, worker):
        env = service["environment"]
        assert env["INNKEEPER_ENV"] == "production"
        assert env["INNKEEPER_RUN_JOBS_IN_PROCESS"] == "false"
        assert env["INNKEEPER_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["INNKEEPER_DATABASE_URL"].split("@")[1].startswith("postgres:5432/")
        assert env["INNKEEPER_REDIS_URL"].startswith("redis://redis:6379")


def test_compose_file_declares_the_production_stack() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML (from uvicorn[standard]) reads compose.yaml")
    check_stack(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def _docker_compose() -> list[str]:
    for command in (["docker", "compose"], ["docker-compose"]):
        try:
            found = subprocess.run([*command, "version"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0 and b"v2." in found.stdout:
            return command
    pytest.skip("docker compose (v2) is not installed: compose.yaml was checked by its structure only")


def _compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``docker compose config`` on compose.yaml with .env.example, in a clean environment."""
    command = [*_docker_compose(), "--project-directory", str(ROOT), "-f", str(ROOT / "compose.yaml")]
    command += ["--env-file", str(ROOT / ".env.example"), "config", "--format", "json"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INNKEEPER_", "POSTGRES_"))}
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, timeout=60)


def test_docker_compose_config_parses_and_starts_production() -> None:
    # what an operator fills in beyond .env.example's placeholders
    filled = {
        "INNKEEPER_STRIPE_SECRET_KEY": "sk_live_example",
        "INNKEEPER_SMS_HTTP_URL": "https://sms.example.com/send",
    }
    done = _compose_config(filled)
    assert done.returncode == 0, shlex.join(done.args) + "\n" + done.stderr
    config = json.loads(done.stdout)
    check_stack(config)
    assert config["services"]["api"]["command"][-1] == "2"  # INNKEEPER_API_WORKERS in .env.example

    # the API's environment, as compose resolves it, passes the production start-up checks
    env = config["services"]["api"]["environment"]
    values = {k.removeprefix("INNKEEPER_").lower(): v for k, v in env.items() if v}
    settings = Settings(**values)
    assert settings.is_production and settings.development_defaults() == []
    assert settings.public_url == "https://booking.example.com"


def test_docker_compose_config_names_a_missing_secret(tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"  # instead of any .env a developer keeps beside compose.yaml
    empty.write_text("")
    command = [*_docker_compose(), "-f", str(ROOT / "compose.yaml"), "--env-file", str(empty), "config"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INNKEEPER_", "POSTGRES_"))}
    done = subprocess.run(command, env=clean, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    required = ("POSTGRES_PASSWORD", "INNKEEPER_SECRET_KEY", "INNKEEPER_PUBLIC_URL")
    assert any(f"required variable {name} is missing" in done.stderr for name in required), done.stderr


def test_readme_production_section_points_at_the_container_files() -> None:
    readme = (ROOT / "README.md").read_text()
    production = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    for named in (
        "compose.yaml",
        "Dockerfile",
        ".env.example",
        "INNKEEPER_UNSAFE_ALLOW_DEVELOPMENT_DEFAULTS",
    ):
        assert named in production, named
