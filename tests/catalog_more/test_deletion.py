"""Deleting room types, rooms and properties: soft deletes, refused (409 with the count) while active
future bookings need them, audited, and gone from staff lists, public pages and search afterwards."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from innkeeper.catalog.models import Property, Room, RoomType
from innkeeper.context import AppContext
from innkeeper.kit.clock import clock
from tests.catalog.test_images import PNG
from tests.catalog_more.support import audit_actions, confirmed_at_desk, hold
from tests.catalog_support import add_room_type, d, freeze, make_hotel, user
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"hold_ttl_seconds": 60}  # (a hold lapses before the caller's access token does)


STAY = {"checkin": d(3), "checkout": d(5), "guests": 2}


async def test_a_room_type_with_a_future_booking_is_kept_then_deleted_once_free(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    other = await add_room_type(client, owner, prop["id"], code="SGL", rooms=1)
    url = f"{API}/properties/{prop['id']}/room-types/{rt['id']}"
    booking = await hold(client, await user(client), rt["id"])
    refused = assert_problem(await client.delete(url, headers=owner), 409, "catalog.has_future_bookings")
    assert refused["bookings"] == 1
    # nothing changed: the room type, its rooms and its sale are all still there
    listed = (await client.get(f"{API}/properties/{prop['id']}/room-types", headers=owner)).json()["items"]
    assert {t["code"]: t["rooms"] for t in listed} == {"DBL": 2, "SGL": 1}
    assert "room_type.deleted" not in await audit_actions(ctx, rt["id"], "room_type.")
    r = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=owner)
    assert r.status_code == 200, r.text
    assert (await client.delete(url, headers=owner)).status_code == 204
    assert await audit_actions(ctx, rt["id"], "room_type.") == ["room_type.created", "room_type.deleted"]
    # gone from the staff's lists, the public page, availability, the calendar, quotes and search
    listed = (await client.get(f"{API}/properties/{prop['id']}/room-types", headers=owner)).json()["items"]
    assert [t["code"] for t in listed] == ["SGL"]
    rooms = (await client.get(f"{API}/properties/{prop['id']}/rooms", headers=owner)).json()["items"]
    assert [x["room_type_id"] for x in rooms] == [other["id"]]
    page = (await client.get(f"{API}/properties/{prop['slug']}")).json()
    assert [t["code"] for t in page["room_types"]] == ["SGL"]
    avail = (await client.get(f"{API}/properties/{prop['slug']}/availability", params=STAY)).json()
    assert [i["room_type"]["code"] for i in avail["items"]] == ["SGL"]
    gone = {"room_type_id": rt["id"]}
    assert_problem(
        await client.get(f"{API}/properties/{prop['slug']}/calendar", params=gone), 404, "room_type.not_found"
    )
    assert_problem(
        await client.get(f"{API}/properties/{prop['slug']}/quote", params={**STAY, **gone}),
        404,
        "room_type.not_found",
    )
    found = (await client.get(f"{API}/search", params={**STAY, "city": "Lisbon"})).json()
    assert [o["code"] for o in found["items"][0]["available_room_types"]] == ["SGL"]
    # and it cannot be booked, changed, deleted again, nor its code reused
    assert_problem(
        await client.post(
            f"{API}/bookings", headers=await user(client), json={**STAY, "room_type_id": rt["id"]}
        ),
        409,
    )
    assert_problem(await client.patch(url, headers=owner, json={"name": "Back"}), 404, "room_type.not_found")
    assert_problem(await client.delete(url, headers=owner), 404, "room_type.not_found")
    reuse = {"code": "DBL", "name": "Again", "capacity": 2, "base_price": "90.00"}
    taken = await client.post(f"{API}/properties/{prop['id']}/room-types", headers=owner, json=reuse)
    assert "deleted" in assert_problem(taken, 409, "room_type.code_taken")["detail"]
    async with ctx.db.unit_of_work(write=False) as session:  # soft: the rows stay for the history
        kept = await session.get(RoomType, uuid.UUID(rt["id"]))
        assert kept is not None and kept.deleted_at is not None
        rooms_kept = (await session.scalars(select(Room).where(Room.room_type_id == kept.id))).all()
        assert len(rooms_kept) == 2 and all(x.deleted_at is not None for x in rooms_kept)


async def test_a_lapsed_hold_does_not_block_a_deletion(client: httpx.AsyncClient) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    booking = await hold(client, await user(client), rt["id"])
    clock.advance(timedelta(seconds=61))  # past the hold
    url = f"{API}/properties/{prop['id']}/room-types/{rt['id']}"
    assert (await client.delete(url, headers=owner)).status_code == 204
    shown = (await client.get(f"{API}/bookings/{booking['id']}", headers=owner)).json()
    assert shown["status"] == "expired"


async def test_a_room_with_an_assigned_future_stay_is_kept(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner, rooms=3)
    first, second, third = rt["room_ids"]
    booking = await confirmed_at_desk(client, owner, prop["id"], rt["id"])
    r = await client.post(
        f"{API}/bookings/{booking['id']}/assign-room", headers=owner, json={"room_id": first}
    )
    assert r.status_code == 200, r.text
    rooms_url = f"{API}/properties/{prop['id']}/rooms"
    refused = await client.delete(f"{rooms_url}/{first}", headers=owner)
    assert assert_problem(refused, 409, "catalog.has_future_bookings")["bookings"] == 1
    # a free room goes; its number stays taken
    assert (await client.delete(f"{rooms_url}/{second}", headers=owner)).status_code == 204
    assert await audit_actions(ctx, second, "room.") == ["room.created", "room.deleted"]
    listed = (await client.get(rooms_url, headers=owner)).json()["items"]
    assert sorted(x["id"] for x in listed) == sorted([first, third])
    types = (await client.get(f"{API}/properties/{prop['id']}/room-types", headers=owner)).json()["items"]
    assert types[0]["rooms"] == 2
    again = await client.post(rooms_url, headers=owner, json={"room_type_id": rt["id"], "number": "DBL-2"})
    assert_problem(again, 409, "room.number_taken")
    assert_problem(await client.delete(f"{rooms_url}/{second}", headers=owner), 404, "room.not_found")
    assert_problem(
        await client.patch(f"{rooms_url}/{second}", headers=owner, json={"housekeeping": "dirty"}),
        404,
        "room.not_found",
    )
    # the last free room cannot go while its type has sold what it has: inventory says no
    await hold(client, await user(client), rt["id"])
    assert_problem(await client.delete(f"{rooms_url}/{third}", headers=owner), 409, "inventory.below_sold")
    assert len((await client.get(rooms_url, headers=owner)).json()["items"]) == 2


async def test_a_property_is_deleted_once_its_future_bookings_are_gone(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await user(client)
    prop, rt = await make_hotel(client, owner)
    upload = await client.post(
        f"{API}/properties/{prop['id']}/images", headers=owner, files={"file": ("a.png", PNG, "image/png")}
    )
    assert upload.status_code == 201, upload.text
    url = f"{API}/properties/{prop['id']}"
    bookings = [await hold(client, await user(client), rt["id"], start=s) for s in (3, 6)]
    refused = assert_problem(await client.delete(url, headers=owner), 409, "catalog.has_future_bookings")
    assert refused["bookings"] == 2
    assert (await client.get(f"{API}/properties/{prop['slug']}")).status_code == 200
    for b in bookings:
        assert (await client.post(f"{API}/bookings/{b['id']}/cancel", headers=owner)).status_code == 200
    assert (await client.delete(url, headers=owner)).status_code == 204
    assert (await audit_actions(ctx, prop["id"], "property."))[-1] == "property.deleted"
    # gone: public page, search, locations, images, the staff list and every staff route
    assert_problem(await client.get(f"{API}/properties/{prop['slug']}"), 404, "property.not_found")
    assert (await client.get(f"{API}/search", params={**STAY, "city": "Lisbon"})).json()["total"] == 0
    assert (await client.get(f"{API}/locations")).json()["items"] == []
    assert_problem(await client.get(upload.json()["url"]), 404, "image.not_found")
    assert (await client.get(f"{API}/staff/properties", headers=owner)).json()["items"] == []
    assert_problem(await client.get(f"{url}/manage", headers=owner), 404, "property.not_found")
    assert_problem(await client.post(f"{url}/activate", headers=owner), 404, "property.not_found")
    assert_problem(await client.delete(url, headers=owner), 404, "property.not_found")
    # the bookings keep their history: they still name the property
    assert (await client.get(f"{API}/bookings/{bookings[0]['id']}", headers=owner)).status_code == 200
    async with ctx.db.unit_of_work(write=False) as session:
        kept = await session.get(Property, uuid.UUID(prop["id"]))
        assert kept is not None and kept.deleted_at is not None and not kept.is_active


async def test_deletion_bad_input_and_strangers(client: httpx.AsyncClient) -> None:
    owner, stranger = await user(client), await user(client)
    prop, rt = await make_hotel(client, owner)
    base = f"{API}/properties/{prop['id']}"
    for path in ("", f"/room-types/{rt['id']}", f"/rooms/{rt['room_ids'][0]}"):
        assert_problem(await client.delete(base + path, headers=stranger), 404, "property.not_found")
        assert_problem(await client.delete(base + path), 401)
    assert_problem(await client.delete(f"{base}/room-types/not-a-uuid", headers=owner), 422)
    assert_problem(await client.delete(f"{base}/rooms/{rt['id']}", headers=owner), 404, "room.not_found")
    assert_problem(
        await client.delete(f"{base}/room-types/{rt['room_ids'][0]}", headers=owner),
        404,
        "room_type.not_found",
    )
    # another property's room type is not found at this one
    theirs, their_rt = await make_hotel(client, stranger, name="Theirs")
    assert_problem(await client.delete(f"{base}/room-types/{their_rt['id']}", headers=owner), 404)
    assert (await client.get(f"{API}/properties/{theirs['slug']}")).json()["room_types"][0]["id"] == their_rt[
        "id"
    ]
