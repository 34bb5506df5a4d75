"""The rate-limit contract (``openlink.ratelimit.base``), run against every storage reachable.

Redis runs when ``OPENLINK_TEST_REDIS_URL`` is set (``.ci/run`` sets it to this machine's
Redis); a shared storage must also make two limiter instances (two server processes) see
one counter. Windows are measured on the clock the limiter is given: the tests move it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from openlink.ratelimit import LimitsRateLimiter, Rate, RateLimiter
from openlink.ratelimit.windows import SWEEP_EVERY_S, MemoryWindows
from tests.fakes.clock import OffsetClock

REDIS_URL = os.environ.get("OPENLINK_TEST_REDIS_URL", "")
CASES = [
    pytest.param("memory://", id="memory"),
    pytest.param(
        REDIS_URL,
        id="redis",
        marks=pytest.mark.skipif(not REDIS_URL, reason="OPENLINK_TEST_REDIS_URL is not set"),
    ),
]


@pytest.fixture(params=CASES)
async def url(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
async def limiter(url: str, clock: OffsetClock) -> AsyncIterator[RateLimiter]:
    # What these tests check is the windows, not an outage: a loaded machine's slow Redis
    # call must not be taken for one (the limiter would then allow, failing open).
    # tests/contract/test_redis_hang.py checks the short deadlines.
    made = LimitsRateLimiter(url, clock=clock, connect_timeout_s=10, socket_timeout_s=10)
    yield made
    await made.stop()


def key() -> str:
    return f"test:{uuid.uuid4().hex}"


async def test_hits_fit_until_the_window_is_full(limiter: RateLimiter) -> None:
    k, rate = key(), Rate(3, 60)
    assert [await limiter.hit(k, rate) for _ in range(3)] == [None, None, None]
    wait = await limiter.hit(k, rate)
    assert wait is not None and 0 < wait <= 60


async def test_a_refused_hit_is_not_counted(limiter: RateLimiter, clock: OffsetClock) -> None:
    k, rate = key(), Rate(1, 1)
    assert await limiter.hit(k, rate) is None
    assert await limiter.hit(k, rate) is not None
    clock.advance(1.05)
    # Had the refused hit counted, the window would still be full now.
    assert await limiter.hit(k, rate) is None


async def test_the_window_moves_with_the_clock(limiter: RateLimiter, clock: OffsetClock) -> None:
    k, rate = key(), Rate(2, 60)
    assert [await limiter.hit(k, rate) for _ in range(2)] == [None, None]
    clock.advance(30)
    wait = await limiter.hit(k, rate)
    assert wait is not None and 29 < wait <= 30
    clock.advance(29)
    wait = await limiter.peek(k, rate)
    assert wait is not None and 0 < wait <= 1
    clock.advance(1.5)
    # Both hits left the window, and the refused ones were never in it.
    assert [await limiter.hit(k, rate) for _ in range(2)] == [None, None]
    assert await limiter.hit(k, rate) is not None


async def test_peek_counts_nothing(limiter: RateLimiter) -> None:
    k, rate = key(), Rate(1, 60)
    assert await limiter.peek(k, rate) is None
    assert await limiter.peek(k, rate) is None
    assert await limiter.hit(k, rate) is None
    wait = await limiter.peek(k, rate)
    assert wait is not None and 0 < wait <= 60


async def test_keys_and_rates_are_separate(limiter: RateLimiter) -> None:
    a, b = key(), key()
    assert await limiter.hit(a, Rate(1, 60)) is None
    assert await limiter.hit(a, Rate(1, 60)) is not None
    assert await limiter.hit(b, Rate(1, 60)) is None
    assert await limiter.hit(a, Rate(5, 60)) is None


async def test_reset_forgets(limiter: RateLimiter) -> None:
    k, rate = key(), Rate(1, 60)
    assert await limiter.hit(k, rate) is None
    await limiter.reset(k, rate)
    assert await limiter.hit(k, rate) is None


async def test_refund_takes_back_the_latest_hits(limiter: RateLimiter) -> None:
    k, rate = key(), Rate(3, 60)
    assert [await limiter.hit(k, rate) for _ in range(3)] == [None, None, None]
    await limiter.refund(k, rate)
    assert await limiter.hit(k, rate) is None  # the refunded one's room
    assert await limiter.hit(k, rate) is not None
    await limiter.refund(k, rate, cost=2)
    assert [await limiter.hit(k, rate) for _ in range(2)] == [None, None]
    assert await limiter.hit(k, rate) is not None


async def test_refund_takes_back_only_what_was_counted(limiter: RateLimiter) -> None:
    k, rate = key(), Rate(2, 60)
    await limiter.refund(k, rate)  # nothing counted: nothing to take back, no credit
    assert await limiter.hit(k, rate) is None
    await limiter.refund(k, rate, cost=5)
    assert [await limiter.hit(k, rate) for _ in range(2)] == [None, None]
    assert await limiter.hit(k, rate) is not None
    # Other keys and other rates of the same key keep their hits.
    other = key()
    assert await limiter.hit(other, rate) is None
    await limiter.refund(k, Rate(5, 60))
    assert await limiter.hit(k, rate) is not None
    assert await limiter.hit(other, rate) is None
    assert await limiter.hit(other, rate) is not None


async def test_a_shared_storage_holds_one_limit_across_processes(url: str) -> None:
    if url.startswith("memory"):
        pytest.skip("memory: each process keeps its own counters")
    one, two = LimitsRateLimiter(url), LimitsRateLimiter(url)
    try:
        k, rate = key(), Rate(2, 60)
        assert await one.hit(k, rate) is None
        assert await two.hit(k, rate) is None
        assert await one.hit(k, rate) is not None
        assert await two.hit(k, rate) is not None
        await one.refund(k, rate)
        assert await two.hit(k, rate) is None
    finally:
        await one.stop()
        await two.stop()


def test_an_unknown_storage_is_refused_plainly() -> None:
    with pytest.raises(ValueError, match="memory:// or redis://"):
        LimitsRateLimiter("memcached://127.0.0.1")


def test_memory_forgets_the_keys_whose_window_passed() -> None:
    clock = OffsetClock()
    windows = MemoryWindows(lambda: clock.now().timestamp())
    assert windows.acquire("short", 1, 10) and windows.acquire("long", 1, 3600)
    clock.advance(SWEEP_EVERY_S)
    assert windows.acquire("new", 1, 10)
    assert len(windows) == 2  # "short" went; "long" and "new" still count
    assert not windows.acquire("long", 1, 3600)
