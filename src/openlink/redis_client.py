"""What every Redis client of the server shares: bounded waits and a short memory of outages.

A Redis that refuses connections fails fast by itself; one that accepts and then never
answers (a hung process, a black-holed network) would hold every caller forever. So each
client gets a connect timeout and a per-command socket timeout, and no hidden retries:
the callers decide what a failure means (the limiter allows, the broker drops a publish
that the catch-up recovers, presence falls back to this node's own counts).
"""

from __future__ import annotations

import time
from typing import Any


def connect(url: str, *, connect_timeout_s: float, socket_timeout_s: float | None) -> Any:
    """A ``redis.asyncio`` client for ``url``. ``socket_timeout_s=None`` only for a
    connection that blocks on purpose (a pub/sub reader waiting for events)."""
    import redis.asyncio as aioredis

    return aioredis.Redis.from_url(url, **client_options(connect_timeout_s, socket_timeout_s))


def client_options(connect_timeout_s: float, socket_timeout_s: float | None) -> dict[str, Any]:
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return {
        "socket_connect_timeout": connect_timeout_s,
        "socket_timeout": socket_timeout_s,
        # One attempt: a retry would multiply the wait behind a Redis that hangs.
        "retry": Retry(NoBackoff(), 0),
    }


class Outage:
    """After a failed call, skip the backend for ``hold_s``: while Redis hangs, only the
    first call in each period waits out the timeout, not every write."""

    __slots__ = ("_until", "hold_s")

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self._until = 0.0

    @property
    def active(self) -> bool:
        return time.monotonic() < self._until

    def failed(self) -> None:
        self._until = time.monotonic() + self.hold_s

    def clear(self) -> None:
        """The backend is known to answer again."""
        self._until = 0.0
