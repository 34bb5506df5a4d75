"""Sessions: changing the password, signing out everywhere, and sockets that close when
their token is revoked or expires."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import Server
from tests.factories import (
    PASSWORD,
    auth,
    closed_with,
    error_code,
    expect,
    make_user,
    open_socket,
)
from tests.fakes.clock import OffsetClock

NEW_PASSWORD = "a new long passphrase"


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/sessions", json={"username": username, "password": password})


async def second_session(client: httpx.AsyncClient, username: str) -> str:
    return str(expect(await sign_in(client, username, PASSWORD), 200)["token"])


async def change_password(
    client: httpx.AsyncClient, token: str, current: str, new: str = NEW_PASSWORD
) -> httpx.Response:
    body = {"current_password": current, "new_password": new}
    return await client.post("/api/me/password", json=body, headers=auth(token))


async def test_a_password_change_keeps_this_session_and_ends_the_others(
    server: Server, client: httpx.AsyncClient
) -> None:
    user, this = await make_user(client)
    other = await second_session(client, user["username"])
    other_sock = await open_socket(server.ws_url, other)
    this_sock = await open_socket(server.ws_url, this)

    expect(await change_password(client, this, PASSWORD), 200)

    assert await closed_with(other_sock) == (4001, "signed out")
    assert error_code(await client.get("/api/me", headers=auth(other)), 401) == "bad_token"
    expect(await client.get("/api/me", headers=auth(this)), 200)
    assert await this_sock.barrier() == []
    assert error_code(await sign_in(client, user["username"], PASSWORD), 401) == "bad_credentials"
    expect(await sign_in(client, user["username"], NEW_PASSWORD), 200)


async def test_a_password_change_needs_the_current_password_and_a_valid_new_one(
    client: httpx.AsyncClient,
) -> None:
    _user, token = await make_user(client)
    assert error_code(await change_password(client, token, "wrong password"), 403) == (
        "wrong_password"
    )
    assert error_code(await change_password(client, token, PASSWORD, "short"), 422) == (
        "weak_password"
    )
    refused = await client.post("/api/me/password", json={"new_password": NEW_PASSWORD})
    assert error_code(refused, 401) == "unauthenticated"
    expect(await client.get("/api/me", headers=auth(token)), 200)


@pytest.mark.settings(password_change_failures=3)
async def test_wrong_current_passwords_are_limited_per_session(client: httpx.AsyncClient) -> None:
    user, token = await make_user(client)
    for _ in range(3):
        assert error_code(await change_password(client, token, "guess"), 403) == "wrong_password"
    refused = await change_password(client, token, PASSWORD)
    # Refused before the password is even checked, so the right one is refused too.
    assert error_code(refused, 429) == "too_many_password_attempts"
    assert int(refused.headers["Retry-After"]) > 0
    # Another session of the account is not held back by this one's guesses.
    other = await second_session(client, user["username"])
    expect(await change_password(client, other, PASSWORD), 200)


async def test_another_session_cannot_keep_the_owner_from_changing_the_password(
    client: httpx.AsyncClient,
) -> None:
    """With the shipped defaults: whoever holds another token of the account (a thief
    who also knows the password, say) guesses wrong as often as they may; the owner,
    signed out everywhere and back in, still changes the password."""
    user, owner = await make_user(client)
    thief = await second_session(client, user["username"])
    for _ in range(5):
        assert error_code(await change_password(client, thief, "not it"), 403) == ("wrong_password")
    assert error_code(await change_password(client, thief, "not it"), 429) == (
        "too_many_password_attempts"
    )
    expect(await client.post("/api/me/sessions/revoke", headers=auth(owner)), 204)
    owner = await second_session(client, user["username"])
    expect(await change_password(client, owner, PASSWORD), 200)


@pytest.mark.settings(password_changes_per_account=4, password_change_failures=10)
async def test_password_changes_are_limited_per_account_right_or_wrong(
    client: httpx.AsyncClient,
) -> None:
    _user, token = await make_user(client)
    assert error_code(await change_password(client, token, "guess"), 403) == "wrong_password"
    expect(await change_password(client, token, PASSWORD, NEW_PASSWORD), 200)
    expect(await change_password(client, token, NEW_PASSWORD, PASSWORD), 200)
    expect(await change_password(client, token, PASSWORD, NEW_PASSWORD), 200)
    # Each change costs two argon2 runs: a token holder who knows the password cannot
    # keep the server hashing.
    refused = await change_password(client, token, NEW_PASSWORD, PASSWORD)
    assert error_code(refused, 429) == "too_many_password_changes"
    assert int(refused.headers["Retry-After"]) > 0


@pytest.mark.settings(password_change_failures=3, password_changes_per_account=100)
@pytest.mark.usefixtures("production_hashing")
async def test_wrong_current_passwords_sent_at_once_cannot_overshoot_the_limit(
    client: httpx.AsyncClient,
) -> None:
    _user, token = await make_user(client)
    answers = await asyncio.gather(
        *(change_password(client, token, f"guess {i}") for i in range(12))
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [403] * 3 + [429] * 9, statuses


async def test_signing_out_everywhere_revokes_every_token_and_closes_every_socket(
    server: Server, client: httpx.AsyncClient
) -> None:
    user, this = await make_user(client)
    other = await second_session(client, user["username"])
    socks = [await open_socket(server.ws_url, t) for t in (this, other)]

    expect(await client.post("/api/me/sessions/revoke", headers=auth(this)), 204)

    for sock in socks:
        assert await closed_with(sock) == (4001, "signed out")
    for token in (this, other):
        assert error_code(await client.get("/api/me", headers=auth(token)), 401) == "bad_token"
    expect(await sign_in(client, user["username"], PASSWORD), 200)


async def sign_in_from(
    client: httpx.AsyncClient, username: str, password: str, address: str, device: str | None
) -> httpx.Response:
    body = {"username": username, "password": password, "device": device}
    return await client.post("/api/sessions", json=body, headers={"X-Forwarded-For": address})


async def fill_the_account(client: httpx.AsyncClient, username: str, addresses: int) -> None:
    """Failed sign-ins from enough addresses that the account refuses unknown devices."""
    for i in range(addresses):
        wrong = await sign_in_from(client, username, "wrong guess", f"203.0.113.{i + 1}", None)
        assert error_code(wrong, 401) == "bad_credentials"


@pytest.mark.settings(login_addresses_per_account=3)
async def test_signing_out_everywhere_forgets_every_device(client: httpx.AsyncClient) -> None:
    """A device the owner lost would otherwise keep passing the per-account limit, so
    whoever holds it could guess at the password from as many addresses as they have."""
    user, _ = await make_user(client)
    name = user["username"]
    first = expect(await sign_in_from(client, name, PASSWORD, "198.51.100.1", None), 200)
    lost = first["device"]
    expect(await client.post("/api/me/sessions/revoke", headers=auth(first["token"])), 204)

    await fill_the_account(client, name, 3)
    refused = await sign_in_from(client, name, PASSWORD, "192.0.2.50", lost)
    assert error_code(refused, 429) == "too_many_sign_in_attempts"


@pytest.mark.settings(login_addresses_per_account=3)
async def test_a_password_change_hands_this_browser_a_new_device_and_forgets_the_others(
    client: httpx.AsyncClient,
) -> None:
    user, _ = await make_user(client)
    name = user["username"]
    here = expect(await sign_in_from(client, name, PASSWORD, "198.51.100.1", None), 200)
    elsewhere = expect(await sign_in_from(client, name, PASSWORD, "198.51.100.2", None), 200)

    changed = expect(await change_password(client, here["token"], PASSWORD), 200)
    assert set(changed) == {"device"}
    assert changed["device"] not in (here["device"], elsewhere["device"])

    await fill_the_account(client, name, 3)
    for old in (here["device"], elsewhere["device"]):
        refused = await sign_in_from(client, name, NEW_PASSWORD, "192.0.2.7", old)
        assert error_code(refused, 429) == "too_many_sign_in_attempts"
    again = await sign_in_from(client, name, NEW_PASSWORD, "192.0.2.7", changed["device"])
    assert expect(again, 200)["device"] == changed["device"]


async def test_a_socket_closes_when_its_token_expires(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    _user, token = await make_user(client)
    sock = await open_socket(server.ws_url, token)
    clock.advance(server.settings.token_ttl_days * 86_400 - 60)
    await sock.barrier()  # still open a minute before
    expect(await client.get("/api/me", headers=auth(token)), 200)
    clock.advance(60)
    assert await closed_with(sock) == (4001, "token_expired")
    assert error_code(await client.get("/api/me", headers=auth(token)), 401) == "bad_token"
