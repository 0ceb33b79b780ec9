from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from innkeeper.context import AppContext
from innkeeper.kit.storage import LocalStorage, S3Storage, check_key
from tests.catalog_support import create_property, freeze, make_hotel, user
from tests.helpers import API, assert_problem

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
JPEG = b"\xff\xd8\xff\xe0" + b"\x10" * 300


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"media_dir": tmp_path / "media", "image_max_bytes": 4096}


async def test_upload_serve_and_delete(client: httpx.AsyncClient, ctx: AppContext, tmp_path: Path) -> None:
    owner = await user(client)
    prop, _ = await make_hotel(client, owner)
    url = f"{API}/properties/{prop['id']}/images"
    # the client's content type and file name are ignored: the bytes decide
    r = await client.post(url, headers=owner, files={"file": ("photo.txt", PNG, "text/plain")})
    assert r.status_code == 201, r.text
    image = r.json()
    assert image["content_type"] == "image/png" and image["size_bytes"] == len(PNG)
    files = list((tmp_path / "media").rglob("*.png"))
    assert len(files) == 1 and files[0].read_bytes() == PNG
    served = await client.get(image["url"])
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["etag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    assert "max-age" in served.headers["cache-control"]
    again = await client.get(image["url"], headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    page = (await client.get(f"{API}/properties/{prop['slug']}")).json()
    assert [i["id"] for i in page["images"]] == [image["id"]]
    second = await client.post(url, headers=owner, files={"file": ("b.jpg", JPEG, "image/jpeg")})
    assert second.json()["content_type"] == "image/jpeg" and second.json()["position"] == 1
    r = await client.delete(f"{url}/{image['id']}", headers=owner)
    assert r.status_code == 204
    assert_problem(await client.get(image["url"]), 404, "image.not_found")
    assert not list((tmp_path / "media").rglob("*.png"))


async def test_bad_uploads_are_refused_and_store_nothing(client: httpx.AsyncClient, tmp_path: Path) -> None:
    owner = await user(client)
    prop = await create_property(client, owner)
    url = f"{API}/properties/{prop['id']}/images"
    assert_problem(
        await client.post(url, headers=owner, files={"file": ("a.png", b"<svg></svg>", "image/png")}),
        415,
        "image.unsupported_type",
    )
    assert_problem(
        await client.post(url, headers=owner, files={"file": ("a.png", PNG * 100, "image/png")}),
        413,
        "image.too_large",
    )
    assert_problem(
        await client.post(url, headers=owner, files={"file": ("a.png", b"", "image/png")}),
        422,
        "image.invalid",
    )
    assert_problem(await client.post(url, headers=owner), 422)
    assert not list((tmp_path / "media").rglob("*.*"))
    # images of an inactive property are not public
    r = await client.post(url, headers=owner, files={"file": ("a.png", PNG, "image/png")})
    assert_problem(await client.get(r.json()["url"]), 404)
    assert (await client.get(url, headers=owner)).json()["total"] == 1


async def test_local_storage_rejects_path_tricks(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for key in ("../etc/passwd", "/abs", "a//b", "a/../../b", ""):
        with pytest.raises(ValueError):
            check_key(key)
    await storage.put("a/b.png", b"x", "image/png")
    assert await storage.get("a/b.png") == b"x"
    assert await storage.get("a/missing.png") is None
    await storage.delete("a/b.png")
    await storage.delete("a/b.png")  # idempotent


async def test_s3_adapter_shapes_its_requests() -> None:
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    storage = S3Storage("bucket", prefix="media/", client=client)
    with Stubber(client) as stub:
        stub.add_response(
            "put_object",
            {},
            {"Bucket": "bucket", "Key": "media/p/1.png", "Body": PNG, "ContentType": "image/png"},
        )
        stub.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(PNG), len(PNG))},
            {"Bucket": "bucket", "Key": "media/p/1.png"},
        )
        stub.add_client_error(
            "get_object",
            service_error_code="NoSuchKey",
            http_status_code=404,
            expected_params={"Bucket": "bucket", "Key": "media/p/2.png"},
        )
        stub.add_response("delete_object", {}, {"Bucket": "bucket", "Key": "media/p/1.png"})
        await storage.put("p/1.png", PNG, "image/png")
        assert await storage.get("p/1.png") == PNG
        assert await storage.get("p/2.png") is None
        await storage.delete("p/1.png")
        stub.assert_no_pending_responses()
