"""Odd input to the sign-in, password and participation-code routes is a clear 4xx (or
simply ignored), never a 500. Odd picture addresses and uploads: tests/api/test_images.py."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import PASSWORD, auth, make_room, make_user


@pytest.mark.parametrize(
    "device", ["", ".", "....", "é.é", "a" * 200, "\x00.\x00", "=.=", "AAAA.AAAA", "-_.-_"]
)
async def test_an_odd_device_token_is_ignored_at_sign_in(
    client: httpx.AsyncClient, device: str
) -> None:
    user, _ = await make_user(client)
    r = await client.post(
        "/api/sessions",
        json={"username": user["username"], "password": PASSWORD, "device": device},
    )
    assert r.status_code == 200, (device, r.status_code, r.text)


async def test_odd_password_changes_and_code_status_requests_never_answer_5xx(
    client: httpx.AsyncClient,
) -> None:
    _, token = await make_user(client)
    room = (await make_room(client, token))["room"]
    for body in (
        {},
        {"current_password": PASSWORD},
        {"current_password": "x", "new_password": "y"},
        {"current_password": PASSWORD, "new_password": "\x00" * 20},
        {"current_password": PASSWORD, "new_password": "é" * 300},
        {"current_password": 5, "new_password": None},
    ):
        r = await client.post("/api/me/password", json=body, headers=auth(token))
        assert r.status_code < 500, (body, r.status_code, r.text)
    _, other = await make_user(client)
    for who in (token, other):
        r = await client.get(f"/api/rooms/{room['id']}/code", headers=auth(who))
        assert r.status_code < 500, r.text
