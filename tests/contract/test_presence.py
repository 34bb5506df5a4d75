"""The presence contract (``openlink.presence.base``), against memory and Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from openlink.presence.base import Presence
from openlink.presence.memory import MemoryPresence

REDIS_URL = os.environ.get("OPENLINK_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="OPENLINK_TEST_REDIS_URL is not set")


def _redis(ttl_s: float = 30.0) -> Presence:
    from openlink.presence.redis import RedisPresence

    return RedisPresence(REDIS_URL, ttl_s=ttl_s, cache_s=0.0)


MAKERS: list[object] = [
    pytest.param(MemoryPresence, id="memory"),
    pytest.param(_redis, id="redis", marks=needs_redis),
]


async def settled(check: Callable[[], Awaitable[bool]], timeout: float = 3.0) -> None:  # noqa: ASYNC109
    """Writes to a shared store are buffered: poll until ``check()`` holds."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - nothing to wait on but the store
            await asyncio.sleep(0.02)


@pytest.fixture(params=MAKERS)
async def presence(request: pytest.FixtureRequest) -> AsyncIterator[Presence]:
    p: Presence = request.param()
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
def room() -> str:
    return f"room-{uuid.uuid4().hex[:8]}"


async def test_a_nodes_own_sockets_count_at_once(presence: Presence, room: str) -> None:
    # A reader who just connected must be translated for: the send that follows their
    # connect asks for the reading languages before any shared write could land.
    presence.joined(room, 1, "pt")
    assert await presence.reading_languages(room) == {"pt"}
    assert await presence.online(room) == 1
    presence.left(room, 1, "pt")
    assert await presence.reading_languages(room) == set()
    assert await presence.online(room) == 0


async def test_accounts_count_once_whatever_their_sockets(presence: Presence, room: str) -> None:
    presence.joined(room, 1, "ko")
    presence.joined(room, 1, "ko")  # a second device
    presence.joined(room, 2, "en")
    await settled(lambda: _eq(presence.online(room), 2))
    assert await presence.reading_languages(room) == {"ko", "en"}

    presence.left(room, 1, "ko")  # one device left; the account is still here
    presence.left(room, 2, "en")
    await settled(lambda: _eq(presence.reading_languages(room), {"ko"}))
    assert await presence.online(room) == 1
    presence.left(room, 1, "ko")
    await settled(lambda: _eq(presence.online(room), 0))
    assert await presence.reading_languages(room) == frozenset()


async def test_rooms_are_apart(presence: Presence, room: str) -> None:
    other = room + "-other"
    presence.joined(room, 1, "ja")
    await settled(lambda: _eq(presence.online(room), 1))
    assert await presence.online(other) == 0
    assert await presence.reading_languages(other) == frozenset()


@needs_redis
async def test_nodes_share_counts_and_a_stopped_node_leaves_none(room: str) -> None:
    one, two = _redis(), _redis()
    await one.start()
    await two.start()
    try:
        one.joined(room, 1, "ko")
        two.joined(room, 1, "ko")  # the same account on two nodes
        two.joined(room, 2, "es")
        await settled(lambda: _eq(one.online(room), 2))
        assert await one.reading_languages(room) == {"ko", "es"}
        await two.stop()
        await settled(lambda: _eq(one.online(room), 1))
        assert await one.reading_languages(room) == {"ko"}
    finally:
        await one.stop()
        await two.stop()


@needs_redis
async def test_a_dead_nodes_sockets_expire(room: str) -> None:
    alive, dying = _redis(ttl_s=30.0), _redis(ttl_s=0.6)
    await alive.start()
    await dying.start()
    try:
        dying.joined(room, 7, "zh")
        await settled(lambda: _eq(alive.online(room), 1))
        assert dying._task is not None
        dying._task.cancel()  # as if killed: no refresh, no goodbye
        await settled(lambda: _eq(alive.online(room), 0), timeout=5)
        assert await alive.reading_languages(room) == frozenset()
    finally:
        await alive.stop()
        dying._written.clear()
        await dying.stop()


async def _eq(value: Awaitable[object], expected: object) -> bool:
    return await value == expected
