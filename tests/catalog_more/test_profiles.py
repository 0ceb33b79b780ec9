"""Saved guest profiles are editable; users and guests may carry a date of birth, a gender and a
nationality; a booking's special requests are kept and shown to staff."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from innkeeper.context import AppContext
from tests.catalog_more.support import audit_after
from tests.catalog_support import d, freeze, make_hotel, user
from tests.helpers import API, assert_problem


@pytest.fixture(autouse=True)
def _frozen() -> None:
    freeze()


PERSON = {"date_of_birth": "1990-05-17", "gender": "non-binary", "nationality": "pt"}


async def test_a_saved_guest_profile_is_edited_in_place(client: httpx.AsyncClient, ctx: AppContext) -> None:
    me, other = await user(client), await user(client)
    r = await client.post(
        f"{API}/users/me/guests",
        headers=me,
        json={
            "name": "Ann Guest",
            "id_document_type": "passport",
            "id_document_number": "AB123456",
            **PERSON,
        },
    )
    assert r.status_code == 201, r.text
    profile = r.json()
    assert (profile["date_of_birth"], profile["gender"], profile["nationality"]) == (
        "1990-05-17",
        "non-binary",
        "PT",
    )
    url = f"{API}/users/me/guests/{profile['id']}"
    r = await client.patch(
        url, headers=me, json={"name": "Ann Other", "gender": None, "id_document_number": "ZZ998877"}
    )
    assert_problem(r, 422)  # a new number comes with its type
    r = await client.patch(
        url,
        headers=me,
        json={
            "name": "Ann Other",
            "gender": None,
            "id_document_type": "national_id",
            "id_document_number": "ZZ998877",
        },
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["name"] == "Ann Other" and changed["gender"] is None
    assert changed["id_document_type"] == "national_id" and changed["id_document_number"].endswith("8877")
    assert changed["date_of_birth"] == "1990-05-17" and changed["id"] == profile["id"]
    listed = (await client.get(f"{API}/users/me/guests", headers=me)).json()["items"]
    assert listed == [changed]
    # the audit row names the fields, never the values
    after = await audit_after(ctx, profile["id"], "saved_guest.updated")
    assert after == {"fields": ["gender", "id_document_number", "id_document_type", "name"]}
    # dropping the document drops its number too
    r = await client.patch(url, headers=me, json={"id_document_type": None})
    assert (r.json()["id_document_type"], r.json()["id_document_number"]) == (None, None)
    # another's profile does not exist for them; bad values change nothing
    assert_problem(await client.patch(url, headers=other, json={"name": "Mine"}), 404, "guest.not_found")
    assert_problem(await client.patch(url, json={"name": "Mine"}), 401)
    for bad in (
        {"name": None},
        {"nationality": "XX"},
        {"date_of_birth": "2999-01-01"},
        {"gender": "x" * 41},
        {"colour": "blue"},
    ):
        assert_problem(await client.patch(url, headers=me, json=bad), 422)
    assert (await client.get(f"{API}/users/me/guests", headers=me)).json()["items"][0]["name"] == "Ann Other"


async def test_users_carry_their_details(client: httpx.AsyncClient) -> None:
    me = await user(client)
    r = await client.patch(f"{API}/users/me", headers=me, json=PERSON)
    assert r.status_code == 200, r.text
    shown = (await client.get(f"{API}/users/me", headers=me)).json()
    assert {k: shown[k] for k in PERSON} == {**PERSON, "nationality": "PT"}
    assert_problem(await client.patch(f"{API}/users/me", headers=me, json={"nationality": "Portugal"}), 422)
    assert_problem(
        await client.patch(f"{API}/users/me", headers=me, json={"date_of_birth": "1850-01-01"}), 422
    )
    r = await client.patch(f"{API}/users/me", headers=me, json={"gender": None})
    assert r.json()["gender"] is None and r.json()["nationality"] == "PT"


async def test_guests_details_and_special_requests_reach_the_staff(client: httpx.AsyncClient) -> None:
    owner, me = await user(client), await user(client)
    prop, rt = await make_hotel(client, owner)
    stay = {"room_type_id": rt["id"], "checkin": d(3), "checkout": d(5), "guests": 2}
    too_long = {**stay, "special_requests": "x" * 2001}
    assert_problem(await client.post(f"{API}/bookings", headers=me, json=too_long), 422)
    r = await client.post(
        f"{API}/bookings", headers=me, json={**stay, "special_requests": "  Late arrival, a cot  "}
    )
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["special_requests"] == "Late arrival, a cot"
    saved = await client.post(f"{API}/users/me/guests", headers=me, json={"name": "Bo Saved", **PERSON})
    guests: list[dict[str, Any]] = [
        {"name": "Cy Given", "date_of_birth": "2015-01-02", "nationality": "es"},
        {"saved_guest_id": saved.json()["id"]},
    ]
    r = await client.put(f"{API}/bookings/{booking['id']}/guests", headers=me, json=guests)
    assert r.status_code == 200, r.text
    staff_view = (await client.get(f"{API}/bookings/{booking['id']}", headers=owner)).json()
    assert staff_view["special_requests"] == "Late arrival, a cot"
    people = [
        (g["name"], g["date_of_birth"], g["gender"], g["nationality"]) for g in staff_view["guest_list"]
    ]
    assert people == [("Cy Given", "2015-01-02", None, "ES"), ("Bo Saved", "1990-05-17", "non-binary", "PT")]
    listed = (await client.get(f"{API}/bookings", headers=owner, params={"property_id": prop["id"]})).json()
    assert listed["items"][0]["special_requests"] == "Late arrival, a cot"
