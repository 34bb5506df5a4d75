"""The media collector: forgets uploads never attached to a message within
``media_orphan_ttl_s`` and deletes the blobs nothing refers to any more
(:func:`openlink.actions.media.do_collect`), every ``media_gc_interval_s``."""

from __future__ import annotations

import asyncio
import logging

from openlink.actions import media
from openlink.actions.context import Context
from openlink.services.supervisor import Supervisor

LOOP = "media.collector"
log = logging.getLogger("openlink.media")


class MediaCollector:
    name = "media-gc"

    def __init__(self, ctx: Context, supervisor: Supervisor) -> None:
        self.ctx = ctx
        self.supervisor = supervisor

    async def start(self) -> None:
        await self.ctx.blobs.start()
        self.supervisor.run(LOOP, self._run)

    async def stop(self) -> None:
        await self.supervisor.cancel(LOOP)
        await self.ctx.blobs.stop()

    async def collect(self) -> media.Collected:
        done = await media.do_collect(self.ctx, self.ctx.now())
        if done.uploads or done.blobs:
            log.info("media collector: %d orphan uploads, %d blobs", done.uploads, done.blobs)
        return done

    async def _run(self) -> None:
        # A failing pass propagates: the supervisor logs it and starts the loop again.
        while True:
            await asyncio.sleep(self.ctx.settings.media_gc_interval_s)
            await self.collect()
