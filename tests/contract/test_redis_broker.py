"""What only a network broker does: lose its server and come back, telling the hub that
events may have been missed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.contract.helpers import Inbox
from tests.fakes.redis_server import REDIS_SERVER, OwnRedis

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


async def test_a_restarted_redis_is_resubscribed_and_reported_as_a_gap(
    redis_server: OwnRedis,
) -> None:
    from openlink.broker.redis import RedisBroker

    gaps = asyncio.Event()
    inbox = Inbox()
    broker = RedisBroker(redis_server.url)
    await broker.start(inbox.handler, gaps.set)
    try:
        await broker.subscribe("room:a")
        await broker.publish("room:a", b"before")
        await inbox.wait_for("room:a", b"before")

        redis_server.kill()
        await broker.publish("room:a", b"lost")  # at most once: no error for the caller
        assert broker.publish_errors == 1
        redis_server.start()
        async with asyncio.timeout(15):
            await gaps.wait()
        assert broker.reconnects == 1 and broker.connected
        await broker.publish("room:a", b"after")
        await inbox.wait_for("room:a", b"after")
        assert inbox.on("room:a") == [b"before", b"after"]
    finally:
        await broker.stop()


async def test_a_wrong_address_fails_at_start(tmp_path: Path) -> None:
    from openlink.broker.redis import RedisBroker
    from tests.fakes.redis_server import free_port

    broker = RedisBroker(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(Exception, match=r"(?i)connect"):
        await broker.start(Inbox().handler)
    await broker.stop()


async def test_rate_limits_allow_while_redis_is_down_and_hold_again_after(
    redis_server: OwnRedis,
) -> None:
    from openlink.ratelimit import Rate, create

    limiter = create(redis_server.url)
    rate = Rate(1, 60)
    try:
        assert await limiter.hit("k", rate) is None
        assert await limiter.hit("k", rate) is not None  # the limit holds
        redis_server.kill()
        # Unreachable: allowed (fail open), never an exception the caller turns into a 500.
        assert await limiter.peek("k", rate) is None
        assert await limiter.hit("k", rate) is None
        assert limiter.errors == 2

        async def limit_holds() -> bool:
            key = f"after-{limiter.errors}"
            return await limiter.hit(key, rate) is None and await limiter.hit(key, rate) is not None

        redis_server.start()
        async with asyncio.timeout(10):
            while not await limit_holds():  # noqa: ASYNC110 - the pool reconnects on its own
                await asyncio.sleep(0.1)
    finally:
        await limiter.stop()
