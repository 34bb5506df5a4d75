"""Participation codes cannot be brute-forced: wrong codes are throttled per account and
per client address in a room, many wrong codes from everyone lock the room's code, and a
throttled guess costs the server no argon2 verification."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from tests.conftest import Server
from tests.factories import auth, error_code, expect, make_room, make_user, throttled

CODE = "open sesame"


class CountingHasher(PasswordHasher):
    """The server's hasher, counting how many codes and passwords it verifies."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        CountingHasher.verified += 1
        return super().verify(hash, password)


class Room:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def setup(self) -> Room:
        _, self.host = await make_user(self.client)
        self.room = (await make_room(self.client, self.host, code=CODE))["room"]
        self.id, self.link = self.room["id"], self.room["link"]
        return self

    async def join(
        self, token: str, code: str | None, address: str = "10.0.0.1", **body: Any
    ) -> httpx.Response:
        if code is not None:
            body["code"] = code
        return await self.client.post(
            f"/api/links/{self.link.removeprefix('/l/')}/join",
            json=body,
            headers={**auth(token), "X-Forwarded-For": address},
        )

    async def code_status(self, token: str | None = None) -> httpx.Response:
        return await self.client.get(f"/api/rooms/{self.id}/code", headers=auth(token or self.host))


@pytest.mark.settings(
    code_failures_per_account=3,
    code_failures_per_address=100,
    code_failures_per_room=100,
    code_window_s=600,
)
async def test_an_account_that_guesses_wrong_is_throttled_without_costing_argon2(
    client: httpx.AsyncClient, server: Server
) -> None:
    server.app.state.ctx.passwords = CountingHasher(time_cost=1, memory_cost=64)
    CountingHasher.verified = 0
    room = await Room(client).setup()
    _, guesser = await make_user(client)
    for guess in ("1111", "2222", "3333"):
        assert error_code(await room.join(guesser, guess), 403) == "wrong_code"
    assert CountingHasher.verified == 3

    # Used up: refused before any verification, the right code included.
    for guess in ("4444", CODE):
        throttled(await room.join(guesser, guess), "too_many_code_attempts", 600)
    assert CountingHasher.verified == 3

    # Another account, from the same address, is not affected.
    _, other = await make_user(client)
    expect(await room.join(other, CODE), 200)


@pytest.mark.settings(
    code_failures_per_account=100,
    code_failures_per_address=3,
    code_failures_per_room=100,
    code_window_s=600,
)
async def test_one_address_guessing_through_many_accounts_is_throttled(
    client: httpx.AsyncClient,
) -> None:
    room = await Room(client).setup()
    for _ in range(3):
        _, account = await make_user(client)
        assert error_code(await room.join(account, "wrong", "10.0.0.7"), 403) == "wrong_code"
    _, fresh = await make_user(client)
    throttled(await room.join(fresh, CODE, "10.0.0.7"), "too_many_code_attempts", 600)
    # The same account from another address gets in with the right code.
    expect(await room.join(fresh, CODE, "10.0.0.8"), 200)


@pytest.mark.settings(
    code_failures_per_account=100,
    code_failures_per_address=100,
    code_failures_per_room=3,
    code_window_s=600,
)
async def test_many_wrong_codes_lock_the_code_until_the_host_changes_it(
    client: httpx.AsyncClient,
) -> None:
    room = await Room(client).setup()
    _, member = await make_user(client)
    expect(await room.join(member, CODE), 200)
    assert expect(await room.code_status(), 200) == {
        "room": room.id,
        "has_code": True,
        "locked_until": None,
    }
    # Plain members do not see the code's state.
    assert error_code(await room.code_status(member), 403) == "not_permitted"

    for i in range(3):
        _, account = await make_user(client)
        assert error_code(await room.join(account, "wrong", f"10.1.0.{i}"), 403) == "wrong_code"
    _, newcomer = await make_user(client)
    # Locked for every newcomer, whatever the address, the right code included.
    throttled(await room.join(newcomer, CODE, "10.2.0.1"), "code_locked", 600)
    by_id = await client.post(
        f"/api/rooms/{room.id}/join", json={"code": CODE}, headers=auth(newcomer)
    )
    throttled(by_id, "code_locked", 600)
    # Members coming back never need the code.
    expect(await room.join(member, None), 200)
    assert expect(await room.code_status(), 200)["locked_until"] is not None

    # A new code lifts the lock.
    patched = await client.patch(
        f"/api/rooms/{room.id}", json={"code": "new words"}, headers=auth(room.host)
    )
    expect(patched, 200)
    assert expect(await room.code_status(), 200)["locked_until"] is None
    assert error_code(await room.join(newcomer, CODE), 403) == "wrong_code"
    expect(await room.join(newcomer, "new words"), 200)


@pytest.mark.settings(
    code_failures_per_account=2,
    code_failures_per_address=1000,
    code_failures_per_room=1000,
    joins_per_account=1000,
)
@pytest.mark.usefixtures("production_hashing")
async def test_wrong_codes_sent_at_once_cannot_overshoot_the_limit(
    client: httpx.AsyncClient,
) -> None:
    room = await Room(client).setup()
    _, guesser = await make_user(client)
    answers = await asyncio.gather(*(room.join(guesser, f"guess-{i:04d}") for i in range(15)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [403] * 2 + [429] * 13, statuses


@pytest.mark.settings(code_failures_per_address=2, code_failures_per_room=2)
async def test_right_codes_count_against_no_limit(client: httpx.AsyncClient) -> None:
    """A class joining from one school address, or a crowd arriving at once, is not
    held back: only wrong codes count."""
    room = await Room(client).setup()
    for _ in range(5):
        _, joiner = await make_user(client)
        expect(await room.join(joiner, CODE, "10.0.0.9"), 200)


async def test_a_room_without_a_code_says_so(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    status = expect(await client.get(f"/api/rooms/{room['id']}/code", headers=auth(host)), 200)
    assert status == {"room": room["id"], "has_code": False, "locked_until": None}
