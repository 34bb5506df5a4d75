"""``OPENLINK_REDIS_PREFIX``: instances that share one Redis never see each other's events,
presence or rate-limit counters (the test suite relies on it to run in parallel)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from openlink.actions.context import Context
from openlink.app import build_context
from openlink.config import Settings
from openlink.ratelimit import Rate

REDIS_URL = os.environ.get("OPENLINK_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="OPENLINK_TEST_REDIS_URL is not set")
WAIT_S = 3.0

Instance = Callable[[str], Context]


@pytest.fixture
async def instance(tmp_path: Path) -> AsyncIterator[Instance]:
    """``instance(prefix)``: the backends an app with that prefix would use, on one Redis."""
    made: list[Context] = []

    def make(prefix: str) -> Context:
        settings = Settings(
            data_dir=tmp_path / str(len(made)),
            broker="redis",
            redis_url=REDIS_URL,
            limits_url=REDIS_URL,
            redis_prefix=prefix,
            embedder="none",
        )
        made.append(build_context(settings))
        return made[-1]

    yield make
    for ctx in made:
        await ctx.broker.stop()
        await ctx.limiter.stop()
        await ctx.db.dispose()


def run_id() -> str:
    return uuid.uuid4().hex[:8]


async def test_a_prefix_keeps_channels_apart(instance: Instance) -> None:
    run = run_id()
    ours, theirs, ours_too = instance(f"{run}-a:"), instance(f"{run}-b:"), instance(f"{run}-a:")
    got: dict[str, list[tuple[str, bytes]]] = {"ours": [], "theirs": []}
    arrived = asyncio.Event()

    def inbox(name: str) -> Callable[[str, bytes], None]:
        def handler(channel: str, data: bytes) -> None:
            got[name].append((channel, data))
            arrived.set()

        return handler

    await ours.broker.start(inbox("ours"))
    await theirs.broker.start(inbox("theirs"))
    await ours_too.broker.start(inbox("unused"))
    # User ids are small integers: every instance has a ``user:1``.
    await ours.broker.subscribe("user:1")
    await theirs.broker.subscribe("user:1")
    await ours_too.broker.publish("user:1", b"for our instance")
    async with asyncio.timeout(WAIT_S):
        await arrived.wait()
    await theirs.broker.publish("user:2", b"sentinel")  # not subscribed: only a round trip
    await ours_too.broker.publish("user:1", b"second")
    async with asyncio.timeout(WAIT_S):
        while len(got["ours"]) < 2:  # noqa: ASYNC110 - the handler sets no event per count
            await asyncio.sleep(0.01)
    # Subscribers see the names without the prefix.
    assert got["ours"] == [("user:1", b"for our instance"), ("user:1", b"second")]
    assert got["theirs"] == []


async def test_a_prefix_keeps_presence_apart(instance: Instance) -> None:
    run = run_id()
    ours, theirs, ours_too = instance(f"{run}-a:"), instance(f"{run}-b:"), instance(f"{run}-a:")
    for ctx in (ours, theirs, ours_too):
        await ctx.presence.start()
    try:
        ours.presence.joined("room-1", 7, "ko")
        async with asyncio.timeout(WAIT_S):
            while await ours_too.presence.reading_languages("room-1") != {"ko"}:
                ours_too.presence.invalidate("room-1")
                await asyncio.sleep(0.02)
        assert await theirs.presence.reading_languages("room-1") == set()
        assert await theirs.presence.online("room-1") == 0
    finally:
        for ctx in (ours, theirs, ours_too):
            await ctx.presence.stop()


async def test_a_prefix_keeps_rate_limit_counters_apart(instance: Instance) -> None:
    run = run_id()
    ours, theirs, ours_too = instance(f"{run}-a:"), instance(f"{run}-b:"), instance(f"{run}-a:")
    rate = Rate(1, 60)
    assert await ours.limiter.hit("signup:127.0.0.1", rate) is None
    # The same instance's other process shares the counter; another instance does not.
    assert await ours_too.limiter.hit("signup:127.0.0.1", rate) is not None
    assert await theirs.limiter.hit("signup:127.0.0.1", rate) is None
