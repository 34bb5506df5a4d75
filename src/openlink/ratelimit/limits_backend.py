"""The limiter: moving windows on the app's clock, in memory or in Redis.

A moving window of N hits per W seconds admits a burst of N and then one hit per
W/N seconds on average, the guarantee a token bucket of size N gives.

In memory the windows are ours (``windows.py``), called right on the event loop: a hit is
a few microseconds of list work. In Redis they are the ``limits`` library's moving
window (atomic Lua scripts over a list of hit times), with the hit times taken from the
app's clock rather than the library's ``time.time()``: the storage's two moving-window
methods are overridden to pass them (``_ClockedRedisStorage``), so a test that moves the
clock moves every window, and tests/contract pins it on both storages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.errors import ConfigurationError

from openlink.clock import Clock, SystemClock
from openlink.ratelimit.base import Rate
from openlink.ratelimit.windows import MemoryWindows
from openlink.redis_client import Outage, client_options

log = logging.getLogger("openlink.ratelimit")


class _ClockedRedisStorage(RedisStorage):
    """The library's Redis storage with the hit times from ``clock``: the same Lua
    scripts its own methods call, given our timestamp instead of ``time.time()``."""

    def __init__(self, uri: str, clock: Clock, **options: Any) -> None:
        super().__init__(uri, **options)
        self._clock = clock

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        bridge: Any = self.bridge
        now = self._clock.now().timestamp()
        acquired = await bridge.lua_acquire_moving_window(
            [bridge.prefixed_key(key)], [now, limit, expiry, amount]
        )
        return bool(acquired)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        bridge: Any = self.bridge
        now = self._clock.now().timestamp()
        window = await bridge.lua_moving_window([bridge.prefixed_key(key)], [now - expiry, limit])
        if window:
            return float(window[0]), int(window[1])
        return now, 0


class LimitsRateLimiter:
    """``connect_timeout_s`` and ``socket_timeout_s`` bound each Redis call; after one
    fails, Redis is skipped (allowed) for ``retry_after_s``. Redis keys start with
    ``{prefix}openlink-limits``."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout_s: float = 1.0,
        socket_timeout_s: float = 0.5,
        retry_after_s: float = 2.0,
        prefix: str = "",
        clock: Clock | None = None,
    ) -> None:
        scheme = url.partition("://")[0]
        self.clock = clock or SystemClock()
        self._memory: MemoryWindows | None = None
        self._redis: AsyncMovingWindow | None = None
        self._redis_storage: RedisStorage | None = None
        if scheme == "memory":
            self._memory = MemoryWindows(lambda: self.clock.now().timestamp())
        elif scheme in ("redis", "rediss"):
            try:
                self._redis_storage = _ClockedRedisStorage(
                    f"async+{url}",
                    self.clock,
                    implementation="redispy",
                    key_prefix=f"{prefix}openlink-limits",
                    **client_options(connect_timeout_s, socket_timeout_s),
                )
            except ConfigurationError as exc:
                raise RuntimeError(
                    "Redis rate limits need the redis extra: pip install 'openlink[redis]'"
                ) from exc
            self._redis = AsyncMovingWindow(self._redis_storage)
        else:
            raise ValueError(
                f"Unknown rate-limit storage {url!r}: use memory:// or redis://host:port/db"
            )
        self.name = scheme
        self._items: dict[Rate, RateLimitItemPerSecond] = {}
        #: Redis calls that failed or were skipped during an outage, and were allowed.
        self.errors = 0
        self._last_warning = -1e9
        self._outage = Outage(retry_after_s)
        #: The longest one call may take: a connect and a command, with some slack.
        self._deadline_s = connect_timeout_s + socket_timeout_s * 2

    def _item(self, rate: Rate) -> RateLimitItemPerSecond:
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = RateLimitItemPerSecond(rate.amount, rate.per_s)
        return item

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> float | None:
        item = self._item(rate)
        if self._memory is not None:
            allowed = self._memory.acquire(item.key_for(key), rate.amount, rate.per_s, cost)
            return None if allowed else await self._retry_after(item, key)
        assert self._redis is not None
        redis = self._redis
        if self._skip():
            return None
        try:
            async with asyncio.timeout(self._deadline_s):
                allowed = await redis.hit(item, key, cost=cost)
                return None if allowed else await self._retry_after(item, key)
        except Exception as exc:
            self._failed_open("hit", exc)
            return None

    async def peek(self, key: str, rate: Rate) -> float | None:
        item = self._item(rate)
        if self._memory is not None:
            held = self._memory.window(item.key_for(key), rate.per_s)[1]
            return None if held < rate.amount else await self._retry_after(item, key)
        assert self._redis is not None
        redis = self._redis
        if self._skip():
            return None
        try:
            async with asyncio.timeout(self._deadline_s):
                allowed = await redis.test(item, key)
                return None if allowed else await self._retry_after(item, key)
        except Exception as exc:
            self._failed_open("peek", exc)
            return None

    async def refund(self, key: str, rate: Rate, cost: int = 1) -> None:
        # The library has no way to take hits back. Its moving window is, in both
        # storages, a list of hit times with the newest first (in memory a Python list
        # under a per-key lock; in Redis a list the Lua script LPUSHes): dropping the
        # first ``cost`` entries takes back the latest hits. tests/contract pins this.
        name = self._item(rate).key_for(key)
        if self._memory is not None:
            self._memory.take_back(name, cost)
            return
        assert self._redis_storage is not None
        if self._skip():
            return
        bridge = self._redis_storage.bridge
        client: Any = getattr(bridge, "storage", None)  # redis-py's, as in ``stop``
        try:
            async with asyncio.timeout(self._deadline_s):
                await client.lpop(bridge.prefixed_key(name), cost)
        except Exception as exc:
            self._failed_open("refund", exc)

    async def reset(self, key: str, rate: Rate) -> None:
        item = self._item(rate)
        if self._memory is not None:
            self._memory.clear(item.key_for(key))
            return
        assert self._redis is not None
        if self._skip():
            return
        try:
            async with asyncio.timeout(self._deadline_s):
                await self._redis.clear(item, key)
        except Exception as exc:
            self._failed_open("reset", exc)

    def _skip(self) -> bool:
        if self._outage.active:
            self.errors += 1
            return True
        return False

    def _failed_open(self, what: str, exc: Exception) -> None:
        """Redis is unreachable or hangs: allow. A limiter outage must not take chat,
        sign-in and sign-up down with it (they would all fail); the limits hold again as
        soon as Redis is back. Counted, and logged at most once every 10 s."""
        self.errors += 1
        self._outage.failed()
        now = time.monotonic()
        if now - self._last_warning >= 10:
            self._last_warning = now
            log.warning("rate limits unavailable (%s: %r): allowing until Redis is back", what, exc)

    async def _retry_after(self, item: RateLimitItemPerSecond, key: str) -> float:
        if self._memory is not None:
            oldest = self._memory.window(item.key_for(key), item.get_expiry())[0]
            reset_time = oldest + item.get_expiry()
        else:
            assert self._redis is not None
            reset_time = (await self._redis.get_window_stats(item, key)).reset_time
        return max(reset_time - self.clock.now().timestamp(), 0.001)

    async def stop(self) -> None:
        if self._redis_storage is not None:
            # The library has no close; its redis-py client is reachable through the bridge.
            client = getattr(self._redis_storage.bridge, "storage", None)
            if client is not None:
                await client.aclose()
