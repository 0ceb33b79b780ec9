"""Where the SSRF guard is on (production's default; here by the setting), webhook and calendar URLs
that resolve to private, loopback or link-local addresses are refused when saved and when called."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from innkeeper.config import Settings
from innkeeper.integrations import net
from innkeeper.integrations.errors import UrlRefused
from tests.helpers import API, assert_problem, with_settings
from tests.integrations.support import hotel

PRIVATE = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/x",
    "http://192.168.0.10/x",
    "http://[::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://0.0.0.0/x",
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"integrations_allow_private_urls": False}


async def test_private_addresses_are_refused_for_webhooks_and_imports(client: httpx.AsyncClient) -> None:
    h = await hotel(client)
    for url in PRIVATE:
        r = await client.post(
            f"{API}/properties/{h['pid']}/webhooks",
            headers=h["owner"],
            json={"url": url, "events": ["booking.created"]},
        )
        assert_problem(r, 422, "integrations.url_refused")
        r = await client.post(
            f"{API}/properties/{h['pid']}/calendar-imports",
            headers=h["owner"],
            json={"url": url, "room_type_id": h["rt"]["id"]},
        )
        assert_problem(r, 422, "integrations.url_refused")
    assert (await client.get(f"{API}/properties/{h['pid']}/webhooks", headers=h["owner"])).json()[
        "total"
    ] == 0


async def test_calls_are_checked_too_and_the_guard_defaults_on_in_production(settings: Settings) -> None:
    with pytest.raises(UrlRefused):
        await net.call(settings, "POST", "http://127.0.0.1:9/hook", content=b"{}")
    assert (
        net.private_allowed(with_settings(settings, integrations_allow_private_urls=None)) is True
    )  # test env
    production = settings.model_copy(update={"env": "production", "integrations_allow_private_urls": None})
    assert net.private_allowed(production) is False
    pinned, headers, extensions = net._pinned("https://hooks.example.test:8443/a?b=1", "93.184.216.34")
    assert pinned == "https://93.184.216.34:8443/a?b=1"
    assert headers == {"Host": "hooks.example.test:8443"} and extensions == {
        "sni_hostname": "hooks.example.test"
    }
