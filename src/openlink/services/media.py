"""The media service: owns the pool of worker processes that process uploads
(``media/process``), and the uploads being processed in the background.

It starts the workers with the server (unless ``media_prestart_workers`` is off), as a
supervised loop: workers that cannot start (codecs missing, no memory) are tried again
with the supervisor's backoff, and readiness shows the loop restarting meanwhile.
Uploads still process then (each job starts a worker of its own) or fail with
``media_processing_failed``. At shutdown the uploads under way get the supervisor's
grace period, the rest are cancelled (their uploads marked failed, the uploader told),
then the workers stop. See docs/decisions/0030-media-async-processing.md.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from openlink.config import Settings
from openlink.media.process import MediaLimits, MediaPool, Processed, process, stop_default_pool
from openlink.services.supervisor import DRAIN_GRACE_S, Supervisor

log = logging.getLogger("openlink.media")
#: The loop that starts the workers, as readiness names it.
WORKERS_LOOP = "media.workers"
#: The prefix of the tasks that process one upload each (``actions/media.py``).
JOBS = "media.job"


class MediaService:
    name = "media"

    def __init__(
        self, settings: Settings, supervisor: Supervisor, pool: MediaPool | None = None
    ) -> None:
        self.limits = MediaLimits.from_settings(settings)
        self.supervisor = supervisor
        self.prestart = settings.media_prestart_workers
        #: A pool brought by the caller (several servers of one process sharing their
        #: workers, as the tests do) is the caller's to stop.
        self.owns_pool = pool is None
        self.pool = pool or self._new_pool()

    def _new_pool(self) -> MediaPool:
        return MediaPool.from_limits(self.limits)

    async def process(self, kind_hint: str, src_path: Path, workdir: Path) -> Processed:
        return await process(kind_hint, src_path, workdir, self.limits, pool=self.pool)

    async def start(self) -> None:
        if self.prestart:
            self.supervisor.run(WORKERS_LOOP, self._start_workers)

    async def _start_workers(self) -> None:
        try:
            await self.pool.start()
        except Exception:
            # Workers half started are dropped; the next try starts fresh ones. Jobs that
            # came meanwhile hold the old pool's workers until they end.
            if self.owns_pool:
                old, self.pool = self.pool, self._new_pool()
                await asyncio.to_thread(old.stop)
            raise
        log.info("media workers ready: %d", self.limits.workers)

    async def stop(self) -> None:
        await self.supervisor.cancel(WORKERS_LOOP)
        await self.supervisor.settle(JOBS, timeout=DRAIN_GRACE_S)
        await self.supervisor.cancel_tasks(JOBS)
        if self.owns_pool:
            await asyncio.to_thread(self.pool.stop)
        await asyncio.to_thread(stop_default_pool)

    def stats(self) -> dict[str, int]:
        return {**self.pool.stats, "processing": self.supervisor.running(JOBS)}
