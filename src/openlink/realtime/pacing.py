"""Keeping the garbage collector's pauses out of the chat's tail latency.

A node holds a few objects per socket, and a full collection walks all of them: with
1,500 sockets the benchmark measured pauses of 66-250 ms, each delaying every delivery
queued behind it. Nearly all of these objects live as long as their socket, and
reference counting frees everything that is not in a cycle anyway. So once a second the
pacer moves what survived into the collector's permanent generation (``gc.freeze``);
collections then only look at what is new. Cyclic garbage frozen that way is reclaimed
by a full collection every ``full_every_s``: one long pause every few minutes instead of
one every few seconds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("openlink.gc")


class GcPacer:
    def __init__(self, freeze_every_s: float = 1.0, full_every_s: float = 600.0) -> None:
        self.freeze_every_s = freeze_every_s
        self.full_every_s = full_every_s

    def stop(self) -> None:
        """After :meth:`run` was cancelled: hand what was frozen back to the collector."""
        gc.unfreeze()

    async def run(self) -> None:
        """The pacing loop; runs under the supervisor until cancelled."""
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(self.freeze_every_s)
            if time.monotonic() - last_full >= self.full_every_s:
                gc.unfreeze()
                started = time.perf_counter()
                found = gc.collect()
                log.debug(
                    "full collection: %d objects in %.1f ms",
                    found,
                    (time.perf_counter() - started) * 1000,
                )
                last_full = time.monotonic()
            gc.freeze()
