"""The limiter on the ``limits`` library: its moving-window strategy over memory or Redis.

A moving window of N hits per W seconds admits a burst of N and then one hit per
W/N seconds on average, the guarantee a token bucket of size N gives, and the library
implements it identically in memory and in Redis (atomically, with a Lua script).
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError

from openlink.ratelimit.base import Rate


class LimitsRateLimiter:
    def __init__(self, url: str) -> None:
        scheme = url.partition("://")[0]
        storage: Storage
        if scheme == "memory":
            storage = MemoryStorage()
        elif scheme in ("redis", "rediss"):
            try:
                storage = RedisStorage(
                    f"async+{url}", implementation="redispy", key_prefix="openlink-limits"
                )
            except ConfigurationError as exc:
                raise RuntimeError(
                    "Redis rate limits need the redis extra: pip install 'openlink[redis]'"
                ) from exc
        else:
            raise ValueError(
                f"Unknown rate-limit storage {url!r}: use memory:// or redis://host:port/db"
            )
        self.name = scheme
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._items: dict[Rate, RateLimitItemPerSecond] = {}

    def _item(self, rate: Rate) -> RateLimitItemPerSecond:
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = RateLimitItemPerSecond(rate.amount, rate.per_s)
        return item

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> float | None:
        item = self._item(rate)
        if await self._strategy.hit(item, key, cost=cost):
            return None
        return await self._retry_after(item, key)

    async def peek(self, key: str, rate: Rate) -> float | None:
        item = self._item(rate)
        if await self._strategy.test(item, key):
            return None
        return await self._retry_after(item, key)

    async def reset(self, key: str, rate: Rate) -> None:
        await self._strategy.clear(self._item(rate), key)

    async def _retry_after(self, item: RateLimitItemPerSecond, key: str) -> float:
        stats = await self._strategy.get_window_stats(item, key)
        return max(stats.reset_time - time.time(), 0.001)

    async def stop(self) -> None:
        if isinstance(self._storage, MemoryStorage):
            await self._storage.reset()
