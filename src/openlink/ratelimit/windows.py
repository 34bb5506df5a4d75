"""Moving windows in one process's memory, on the app's clock.

Per key, the times of its hits, newest first, as the ``limits`` library keeps them in Redis
(a list the Lua script pushes onto), so that both storages answer alike, refunds
included. Everything runs on the event loop: no lock, no thread. Keys whose newest hit
left its window are swept once a minute.
"""

from __future__ import annotations

from collections.abc import Callable

SWEEP_EVERY_S = 60.0


class MemoryWindows:
    def __init__(self, now: Callable[[], float]) -> None:
        #: Seconds on the app's clock (``clock.now().timestamp()``).
        self._now = now
        self._hits: dict[str, tuple[float, list[float]]] = {}
        self._swept = now()

    def acquire(self, key: str, limit: int, window_s: float, cost: int = 1) -> bool:
        """Count ``cost`` hits at once if the window then holds at most ``limit``."""
        now = self._now()
        self._sweep(now)
        if cost > limit:
            return False
        times = self._hits.setdefault(key, (window_s, []))[1]
        # The hit ``limit - cost`` places back must have left the window.
        if len(times) > limit - cost and times[limit - cost] >= now - window_s:
            return False
        times[:0] = [now] * cost
        del times[limit:]
        return True

    def window(self, key: str, window_s: float) -> tuple[float, int]:
        """The oldest hit still in the window, and how many hits the window holds."""
        now = self._now()
        entry = self._hits.get(key)
        inside = [t for t in entry[1] if t >= now - window_s] if entry else []
        return (inside[-1], len(inside)) if inside else (now, 0)

    def take_back(self, key: str, cost: int) -> None:
        """Forget the latest ``cost`` hits."""
        entry = self._hits.get(key)
        if entry is not None:
            del entry[1][:cost]

    def __len__(self) -> int:
        """How many keys are kept."""
        return len(self._hits)

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    def _sweep(self, now: float) -> None:
        if now - self._swept < SWEEP_EVERY_S:
            return
        self._swept = now
        for key, (window_s, times) in list(self._hits.items()):
            if not times or times[0] < now - window_s:
                del self._hits[key]
