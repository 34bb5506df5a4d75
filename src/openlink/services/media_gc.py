"""The media collector, every ``media_gc_interval_s``: fails uploads whose node died
mid-job and tells their uploaders, forgets uploads never attached to a message within
``media_orphan_ttl_s``, deletes the blobs nothing refers to any more
(:func:`openlink.actions.media.do_collect`), and prunes the link-preview cache and the
pictures only it showed (:func:`openlink.actions.previews.do_prune`)."""

from __future__ import annotations

import asyncio
import logging

from openlink.actions import media, previews
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
        now = self.ctx.now()
        done = await media.do_collect(self.ctx, now)
        pruned = await previews.do_prune(self.ctx, now)
        done.previews, done.images = pruned.previews, pruned.images
        if done.uploads or done.blobs or done.stalled or done.previews or done.images:
            log.info(
                "media collector: %d stalled uploads failed, %d orphan uploads, %d blobs, "
                "%d link previews, %d preview pictures",
                done.stalled,
                done.uploads,
                done.blobs,
                done.previews,
                done.images,
            )
        return done

    async def _run(self) -> None:
        # A failing pass propagates: the supervisor logs it and starts the loop again.
        while True:
            await asyncio.sleep(self.ctx.settings.media_gc_interval_s)
            await self.collect()
