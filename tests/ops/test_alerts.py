"""The alert rules and the dashboard a Prometheus/Grafana user loads: valid files, and every metric they
name is on /metrics once the application has seen some traffic."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml

from innkeeper.kit.jobs import JobRunner
from tests.bookings.support import book, hotel, stay
from tests.catalog_support import freeze, user
from tests.helpers import API, PASSWORD, bearer, signup

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "innkeeper.json"
#: series Prometheus makes itself for every scrape, never on /metrics
PROMETHEUS_OWN = {"up"}
#: what the issue asks the rules to watch
EXPECTED_ALERTS = {
    "InnkeeperHighErrorRate",
    "InnkeeperSlowRequests",
    "InnkeeperNotReady",
    "InnkeeperJobQueueBacklog",
    "InnkeeperJobsFailing",
    "InnkeeperFailedJobs",
    "InnkeeperPaymentFailureRatio",
    "InnkeeperWebhookLag",
    "InnkeeperDoubleBookingAttempts",
    "InnkeeperLockWaits",
}
#: PromQL's binary keywords (functions are told apart by the parenthesis after them)
_KEYWORDS = {"and", "or", "unless", "bool", "offset"}


def metric_names(expr: str) -> set[str]:
    """The metric names of a PromQL expression: identifiers that are not in strings, label matchers,
    ranges or grouping lists, not functions and not keywords."""
    bare = re.sub(r'"[^"]*"', " ", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", bare)
    bare = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", bare)
    return set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()", bare)) - _KEYWORDS


def rule_expressions() -> dict[str, str]:
    rules = yaml.safe_load(ALERTS.read_text())
    out = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule
            assert rule["labels"]["severity"] in {"page", "ticket"}
            assert rule["annotations"]["summary"]
            out[rule["alert"]] = rule["expr"]
    return out


def dashboard_expressions() -> list[str]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["panels"]
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_rules_cover_what_the_issue_asks() -> None:
    assert set(rule_expressions()) == EXPECTED_ALERTS
    assert metric_names(
        'sum by (le, lock) (rate(innkeeper_x_bucket{status=~"5.."}[5m])) / clamp_min(up, 1e-9) > 0.5 and y'
    ) == {"innkeeper_x_bucket", "up", "y"}


async def traffic(client: httpx.AsyncClient, runner: JobRunner) -> None:
    """A login, a booking, a 409, a payment that succeeds and one that fails, the jobs they enqueue."""
    freeze()
    tokens = await signup(client)
    r = await client.post(f"{API}/auth/login", json={"email": tokens["user"]["email"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    h = await hotel(client, rooms=1)
    await book(client, h, await user(client))
    r = await client.post(f"{API}/bookings", json=stay(h), headers=await user(client))
    assert r.status_code == 409, r.text
    for outcome in ("succeeded", "failed"):
        r = await client.post(
            f"{API}/users/me/wallet/top-ups",
            json={"amount": {"amount": "5.00", "currency": "EUR"}},
            headers=bearer(tokens),
        )
        assert r.status_code == 201, r.text
        await client.post(f"{API}/payments/{r.json()['id']}/simulate", json={"outcome": outcome})
    await runner.drain()
    await runner.report_queue()
    assert (await client.get("/readyz")).status_code == 200


async def test_every_metric_named_exists_on_metrics(client: httpx.AsyncClient, runner: JobRunner) -> None:
    await traffic(client, runner)
    exposed = (await client.get("/metrics")).text
    series = {line.split("{")[0].split(" ")[0] for line in exposed.splitlines() if line and line[0] != "#"}
    named: dict[str, set[str]] = {}
    for where, expr in [*rule_expressions().items(), *(("dashboard", e) for e in dashboard_expressions())]:
        for name in metric_names(expr) - PROMETHEUS_OWN:
            named.setdefault(name, set()).add(where)
    assert named, "no metric named at all"
    missing = {name: sorted(where) for name, where in named.items() if name not in series}
    assert missing == {}
