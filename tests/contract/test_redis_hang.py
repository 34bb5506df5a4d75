"""A Redis that accepts connections and then never answers must not hold the server: the
limiter allows, the broker drops the publish, presence falls back to this node's counts,
each within its timeouts. (A Redis that refuses connections: test_redis_broker.py.)

The ``asyncio.timeout`` around each call is a bound, not a measurement: without the
client timeouts these calls wait forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from openlink.ratelimit import Rate, create
from tests.contract.helpers import Inbox
from tests.fakes.hanging import Proxy, SilentServer
from tests.fakes.redis_server import REDIS_SERVER, OwnRedis

TIMEOUTS = {"connect_timeout_s": 0.2, "socket_timeout_s": 0.2}
BOUND_S = 5.0


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer().start()
    yield server
    server.stop()


needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not installed"
)


async def test_the_limiter_fails_open_against_a_redis_that_never_answers(
    silent: SilentServer,
) -> None:
    limiter = create(silent.url, **TIMEOUTS, retry_after_s=60)
    rate = Rate(1, 60)
    try:
        async with asyncio.timeout(BOUND_S):
            assert await limiter.hit("k", rate) is None
        assert limiter.errors == 1
        # During the outage Redis is not asked at all: later calls cost no timeout each.
        async with asyncio.timeout(0.1):
            assert await limiter.peek("k", rate) is None
            assert await limiter.hit("k", rate) is None
            await limiter.refund("k", rate)
            await limiter.reset("k", rate)
        assert limiter.errors == 5
    finally:
        await limiter.stop()


@needs_redis_server
async def test_a_publish_to_a_redis_that_hangs_returns_and_is_counted(
    redis_server: OwnRedis,
) -> None:
    from openlink.broker.redis import RedisBroker

    proxy = await Proxy(redis_server.port).start()
    inbox = Inbox()
    broker = RedisBroker(proxy.url, **TIMEOUTS)
    try:
        await broker.start(inbox.handler)
        await broker.subscribe("room:a")
        await broker.publish("room:a", b"before")
        await inbox.wait_for("room:a", b"before")

        proxy.hang()
        async with asyncio.timeout(BOUND_S):
            await broker.publish("room:a", b"lost")
        assert broker.publish_errors == 1
        async with asyncio.timeout(0.1):  # skipped while the outage lasts
            await broker.publish("room:a", b"also lost")
        assert broker.publish_errors == 2
    finally:
        async with asyncio.timeout(BOUND_S):
            await broker.stop()
        await proxy.stop()


@needs_redis_server
async def test_presence_answers_from_this_node_when_redis_hangs(redis_server: OwnRedis) -> None:
    from openlink.presence.redis import RedisPresence

    proxy = await Proxy(redis_server.port).start()
    presence = RedisPresence(proxy.url, ttl_s=30, cache_s=0.0, **TIMEOUTS)
    try:
        await presence.start()
        presence.joined("r", 1, "en")
        proxy.hang()
        async with asyncio.timeout(BOUND_S):
            assert await presence.online("r") == 1
            assert await presence.reading_languages("r") == {"en"}
    finally:
        async with asyncio.timeout(BOUND_S):
            await presence.stop()
        await proxy.stop()


@needs_redis_server
async def test_presence_remembers_an_outage_and_skips_redis_while_it_lasts(
    redis_server: OwnRedis,
) -> None:
    """Like the limiter and the broker: while Redis hangs, only the first read in each
    period waits out the timeout, not one read per room."""
    from openlink.presence.redis import RedisPresence

    proxy = await Proxy(redis_server.port).start()
    presence = RedisPresence(
        proxy.url, ttl_s=30, retry_after_s=60, connect_timeout_s=0.2, socket_timeout_s=0.2
    )
    try:
        await presence.start()
        for i in range(10):
            presence.joined(f"room-{i}", 1, "ko")
        proxy.hang()
        async with asyncio.timeout(BOUND_S):
            assert await presence.reading_languages("room-0") == {"ko"}  # the one timeout
        assert presence.errors == 1
        async with asyncio.timeout(0.1):  # the outage is remembered: no call to Redis
            for i in range(1, 10):
                assert await presence.reading_languages(f"room-{i}") == {"ko"}
                assert await presence.online(f"room-{i}") == 1
        assert presence.errors == 1 + 18
    finally:
        async with asyncio.timeout(BOUND_S):
            await presence.stop()
        await proxy.stop()
