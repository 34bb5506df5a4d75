"""A clock tests can move: real time plus an offset that only grows.

A test that does not care sees time pass as usual. One that does calls ``advance`` or
``advance_to``: the app's wall time and elapsed time jump ahead at once, and every sleep
and timer of the app whose deadline the jump passed wakes on the next turn of the loop,
the others keeping what is left of their wait. The loop's own time is not moved, so I/O
timeouts and the broker and presence liveness stay real (openlink/clock.py says which is
which).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class _Timer:
    def __init__(self, clock: OffsetClock, deadline: float, callback: Callable[[], object]) -> None:
        self.clock = clock
        self.deadline = deadline
        self.callback = callback
        self.loop = asyncio.get_running_loop()
        # Fires by itself when real time gets there; an advance may fire it earlier.
        self.handle = self.loop.call_later(max(0.0, deadline - clock.monotonic()), self.fire)

    def fire(self) -> None:
        if self in self.clock.timers:
            self.cancel()
            self.callback()

    def cancel(self) -> None:
        self.handle.cancel()
        self.clock.timers.discard(self)


class OffsetClock:
    def __init__(self) -> None:
        #: Seconds this clock is ahead of the machine's.
        self.offset = 0.0
        self.timers: set[_Timer] = set()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        woken = asyncio.get_running_loop().create_future()
        timer = self._at(self.monotonic() + seconds, lambda: woken.done() or woken.set_result(None))
        try:
            await woken
        finally:
            timer.cancel()

    async def sleep_until(self, when: datetime) -> None:
        await self.sleep((when - self.now()).total_seconds())

    def call_at(self, when: datetime, callback: Callable[[], object]) -> _Timer:
        return self._at(self.monotonic() + (when - self.now()).total_seconds(), callback)

    def _at(self, deadline: float, callback: Callable[[], object]) -> _Timer:
        timer = _Timer(self, deadline, callback)
        self.timers.add(timer)
        return timer

    def advance(self, seconds: float) -> None:
        """Move time ``seconds`` ahead; what is due by then runs on the next loop turn."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        now = self.monotonic()
        for timer in sorted(self.timers, key=lambda t: t.deadline):
            if timer.deadline <= now:
                timer.handle.cancel()
                timer.handle = timer.loop.call_soon(timer.fire)

    def advance_to(self, when: datetime) -> None:
        """Move time to ``when`` (or not at all if it is past)."""
        self.advance(max(0.0, (when - self.now()).total_seconds()))


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll ``condition`` until it holds (``TimeoutError`` after ``timeout_s``): for what
    the app does once the clock moved, which sets no event a test could wait on."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - nothing to wait on but the state
            await asyncio.sleep(0.005)
