"""The app's time: one clock, passed down, asked by everything that decides by time.

What users see and what the rules decide by (a message's time, a suspension or a ban
that ends, a link that expires, a rate limit's window, a scheduled notice, the loops that
check the database every so often) reads :class:`Clock`. What measures the machine and
the network (I/O timeouts, the liveness of sockets and nodes in presence, a Redis outage's
hold, batching delays, garbage-collector pacing) stays on asyncio's loop: a clock moved
by a test must not make a peer look dead. See docs/decisions/0024-an-injected-clock.md.

``SystemClock`` is the real one. Tests move time with ``tests/fakes/clock.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol


class Timer(Protocol):
    """A callback scheduled by :meth:`Clock.call_at`."""

    def cancel(self) -> None:
        """Do not run it (no-op once it ran)."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The wall time: timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going back: for elapsed times."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` passed on this clock (at once for ``seconds <= 0``,
        after a turn of the loop)."""
        ...

    async def sleep_until(self, when: datetime) -> None:
        """Return once :meth:`now` reached ``when``."""
        ...

    def call_at(self, when: datetime, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` on the running loop once :meth:`now` reached ``when``."""
        ...


class SystemClock:
    """The machine's clock; sleeps and timers on the running loop."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, when: datetime) -> None:
        await self.sleep((when - self.now()).total_seconds())

    def call_at(self, when: datetime, callback: Callable[[], object]) -> Timer:
        delay = max(0.0, (when - self.now()).total_seconds())
        return asyncio.get_running_loop().call_later(delay, callback)
