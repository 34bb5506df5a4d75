"""Participation codes cannot be brute-forced: wrong codes are throttled per account and
per client address in a room, many wrong codes from everyone lock the room's code, and a
throttled guess costs the server no argon2 verification."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from argon2 import PasswordHasher

from tests.conftest import Server
from tests.factories import error_code, expect, throttled
from tests.factory import Account, Room, room, user

CODE = "open sesame"


class CountingHasher(PasswordHasher):
    """The server's hasher, counting how many codes and passwords it verifies."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        CountingHasher.verified += 1
        return super().verify(hash, password)


async def coded_room(client: httpx.AsyncClient) -> Room:
    return await room(client, code=CODE)


async def guess(
    account: Account, r: Room, code: str | None, address: str = "10.0.0.1"
) -> httpx.Response:
    """Join ``r`` through its link with ``code``, from the client ``address``."""
    return await account.join_call(r, code=code, headers={"X-Forwarded-For": address})


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
    r = await coded_room(client)
    guesser = await user(client)
    for attempt in ("1111", "2222", "3333"):
        assert error_code(await guess(guesser, r, attempt), 403) == "wrong_code"
    assert CountingHasher.verified == 3

    # Used up: refused before any verification, the right code included.
    for attempt in ("4444", CODE):
        throttled(await guess(guesser, r, attempt), "too_many_code_attempts", 600)
    assert CountingHasher.verified == 3

    # Another account, from the same address, is not affected.
    other = await user(client)
    expect(await guess(other, r, CODE), 200)


@pytest.mark.settings(
    code_failures_per_account=100,
    code_failures_per_address=3,
    code_failures_per_room=100,
    code_window_s=600,
)
async def test_one_address_guessing_through_many_accounts_is_throttled(
    client: httpx.AsyncClient,
) -> None:
    r = await coded_room(client)
    for _ in range(3):
        account = await user(client)
        assert error_code(await guess(account, r, "wrong", "10.0.0.7"), 403) == "wrong_code"
    fresh = await user(client)
    throttled(await guess(fresh, r, CODE, "10.0.0.7"), "too_many_code_attempts", 600)
    # The same account from another address gets in with the right code.
    expect(await guess(fresh, r, CODE, "10.0.0.8"), 200)


@pytest.mark.settings(
    code_failures_per_account=100,
    code_failures_per_address=100,
    code_failures_per_room=3,
    code_window_s=600,
)
async def test_many_wrong_codes_lock_the_code_until_the_host_changes_it(
    client: httpx.AsyncClient,
) -> None:
    r = await coded_room(client)
    member = await user(client)
    expect(await guess(member, r, CODE), 200)
    assert await r.host.code_state() == {"room": r.id, "has_code": True, "locked_until": None}
    # Plain members do not see the code's state.
    assert await member.at(r).code_state(status=403) == "not_permitted"

    for i in range(3):
        account = await user(client)
        assert error_code(await guess(account, r, "wrong", f"10.1.0.{i}"), 403) == "wrong_code"
    newcomer = await user(client)
    # Locked for every newcomer, whatever the address, the right code included.
    throttled(await guess(newcomer, r, CODE, "10.2.0.1"), "code_locked", 600)
    throttled(await newcomer.join_call(r.id, code=CODE), "code_locked", 600)
    # Members coming back never need the code.
    expect(await guess(member, r, None), 200)
    assert (await r.host.code_state())["locked_until"] is not None

    # A new code lifts the lock.
    await r.host.update(code="new words")
    assert (await r.host.code_state())["locked_until"] is None
    assert error_code(await guess(newcomer, r, CODE), 403) == "wrong_code"
    expect(await guess(newcomer, r, "new words"), 200)


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
    r = await coded_room(client)
    guesser = await user(client)
    answers = await asyncio.gather(*(guess(guesser, r, f"guess-{i:04d}") for i in range(15)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [403] * 2 + [429] * 13, statuses


@pytest.mark.settings(code_failures_per_address=2, code_failures_per_room=2)
async def test_right_codes_count_against_no_limit(client: httpx.AsyncClient) -> None:
    """A class joining from one school address, or a crowd arriving at once, is not
    held back: only wrong codes count."""
    r = await coded_room(client)
    for _ in range(5):
        joiner = await user(client)
        expect(await guess(joiner, r, CODE, "10.0.0.9"), 200)


async def test_a_room_without_a_code_says_so(client: httpx.AsyncClient) -> None:
    r = await room(client)
    assert await r.host.code_state() == {"room": r.id, "has_code": False, "locked_until": None}
