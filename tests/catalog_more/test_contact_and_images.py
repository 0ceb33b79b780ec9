"""A property's contact details and a room type's images, shown on the public view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from innkeeper.context import AppContext
from tests.catalog.test_images import JPEG, PNG
from tests.catalog_more.support import audit_after
from tests.catalog_support import add_room_type, create_property, freeze, make_hotel, user
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"media_dir": tmp_path / "media", "image_max_bytes": 4096}


async def test_contact_details_are_kept_and_shown_publicly(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop = await create_property(
        client, owner, contact_email="Front@Example.COM", contact_phone="+351 21 123 4567"
    )
    assert (prop["contact_email"], prop["contact_phone"]) == ("front@example.com", "+351211234567")
    url = f"{API}/properties/{prop['id']}"
    bad = await client.patch(
        url, headers=owner, json={"contact_email": "not-an-address", "contact_phone": "12"}
    )
    problem = assert_problem(bad, 422)
    assert {e["field"] for e in problem["errors"]} >= {"contact_email", "contact_phone"}
    r = await client.patch(url, headers=owner, json={"contact_phone": None})
    assert r.status_code == 200 and r.json()["contact_phone"] is None
    await add_room_type(client, owner, prop["id"])
    assert (await client.post(f"{url}/activate", headers=owner)).status_code == 200
    public = (await client.get(f"{API}/properties/{prop['slug']}")).json()
    assert (public["contact_email"], public["contact_phone"]) == ("front@example.com", None)


async def test_room_type_images_upload_show_and_go(
    client: httpx.AsyncClient, ctx: AppContext, tmp_path: Path
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    url = f"{API}/properties/{prop['id']}/room-types/{rt['id']}/images"
    first = await client.post(url, headers=owner, files={"file": ("a.png", PNG, "image/png")})
    assert first.status_code == 201, first.text
    second = await client.post(url, headers=owner, files={"file": ("b.jpg", JPEG, "image/jpeg")})
    assert (second.json()["content_type"], second.json()["position"]) == ("image/jpeg", 1)
    ids = [first.json()["id"], second.json()["id"]]
    # the same storage as the property's images, under the room type
    stored = list((tmp_path / "media").rglob("*.*"))
    assert len(stored) == 2 and all(f"room-types/{rt['id']}" in str(f) for f in stored)
    assert (await audit_after(ctx, ids[0], "image.uploaded") or {})["room_type_id"] == rt["id"]
    served = await client.get(first.json()["url"])
    assert served.status_code == 200 and served.content == PNG
    listed = (await client.get(url, headers=owner)).json()
    assert [i["id"] for i in listed["items"]] == ids and listed["total"] == 2
    # on the public page and the staff's view, with the room type; not among the property's own images
    page = (await client.get(f"{API}/properties/{prop['slug']}")).json()
    assert page["images"] == [] and [i["id"] for i in page["room_types"][0]["images"]] == ids
    manage = (await client.get(f"{API}/properties/{prop['id']}/manage", headers=owner)).json()
    assert [i["id"] for i in manage["room_types"][0]["images"]] == ids and manage["images"] == []
    patched = await client.patch(
        f"{API}/properties/{prop['id']}/room-types/{rt['id']}", headers=owner, json={"name": "Renamed"}
    )
    assert [i["id"] for i in patched.json()["images"]] == ids
    # deleted through the property's image route
    r = await client.delete(f"{API}/properties/{prop['id']}/images/{ids[0]}", headers=owner)
    assert r.status_code == 204
    assert [i["id"] for i in (await client.get(url, headers=owner)).json()["items"]] == ids[1:]
    assert_problem(await client.get(first.json()["url"]), 404, "image.not_found")


async def test_room_type_image_bad_input_changes_nothing(client: httpx.AsyncClient, tmp_path: Path) -> None:
    owner, stranger = await user(client), await user(client)
    prop, rt = await make_hotel(client, owner)
    _, their_rt = await make_hotel(client, stranger, name="Theirs")
    base = f"{API}/properties/{prop['id']}/room-types"
    png = {"file": ("a.png", PNG, "image/png")}
    assert_problem(await client.post(f"{base}/{their_rt['id']}/images", headers=owner, files=png), 404)
    assert_problem(await client.post(f"{base}/{rt['id']}/images", headers=stranger, files=png), 404)
    assert_problem(await client.post(f"{base}/{rt['id']}/images", files=png), 401)
    svg = {"file": ("a.png", b"<svg></svg>", "image/png")}
    assert_problem(
        await client.post(f"{base}/{rt['id']}/images", headers=owner, files=svg),
        415,
        "image.unsupported_type",
    )
    big = {"file": ("a.png", PNG * 100, "image/png")}
    assert_problem(await client.post(f"{base}/{rt['id']}/images", headers=owner, files=big), 413)
    assert_problem(await client.post(f"{base}/{rt['id']}/images", headers=owner), 422)
    assert_problem(await client.post(f"{base}/nope/images", headers=owner, files=png), 422)
    assert not list((tmp_path / "media").rglob("*.*"))
    assert (await client.get(f"{base}/{rt['id']}/images", headers=owner)).json()["total"] == 0
    # a deleted room type's images are not served any more
    image = await client.post(f"{base}/{rt['id']}/images", headers=owner, files=png)
    assert (await client.delete(f"{base}/{rt['id']}", headers=owner)).status_code == 204
    assert_problem(await client.get(image.json()["url"]), 404, "image.not_found")
    assert_problem(await client.get(f"{base}/{rt['id']}/images", headers=owner), 404, "room_type.not_found")
