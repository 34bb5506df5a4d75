"""A small pool of worker processes for media work, owned by the server.

Decoding and encoding are CPU work on untrusted input, so they run in separate processes
(never on the event loop, never in threads of the server, where they would hold the GIL
or crash it), at a lower CPU priority (``os.nice``), at most ``workers`` at a time. Files
beyond those wait, ``queue_max`` at most; one more is refused (:class:`MediaBusy`).

A job that runs past ``timeout_s`` has its worker killed; a worker that dies (a decoder
crash, the kernel's out-of-memory killer) fails its job. Either way the job ends with a
:class:`MediaRefused` and the next job starts a fresh worker. Workers are started with
``spawn``: a forked copy of the server would inherit its event loop and threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections import deque
from multiprocessing.process import BaseProcess
from typing import Any

from openlink.media.process.model import MediaBusy, MediaLimits, MediaRefused, Processed
from openlink.media.process.worker import Job, worker_main

log = logging.getLogger("openlink.media")
_CONTEXT = multiprocessing.get_context("spawn")
#: Seconds a new worker may take to import the codecs (seconds on a busy machine).
STARTUP_TIMEOUT_S = 120.0


class _Worker:
    def __init__(self, nice: int, idle: bool) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.proc: BaseProcess = _CONTEXT.Process(
            target=worker_main, args=(child, nice, idle), name="openlink-media", daemon=True
        )
        self.proc.start()
        child.close()
        self.ready = False

    async def start_up(self) -> None:
        """Wait until the worker has imported the codecs and said so."""
        if self.ready:
            return
        try:
            status, _ = await self._recv(STARTUP_TIMEOUT_S)
        except TimeoutError:
            raise _failed() from None
        if status != "ready":
            raise _failed()
        self.ready = True

    async def call(self, job: Job, timeout_s: float) -> Processed | None:
        await self.start_up()
        try:
            self.conn.send(job)
        except OSError:  # it died between the check and the send
            raise _failed() from None
        try:
            status, payload = await self._recv(timeout_s)
        except TimeoutError:
            raise MediaRefused(
                "media_processing_timeout",
                f"The file took longer than {timeout_s:g} seconds to process.",
            ) from None
        if status == "ok":
            assert payload is None or isinstance(payload, Processed)
            return payload
        if status == "refused":
            raise payload
        log.warning("a media job failed: %s", payload)
        raise _failed()

    async def _recv(self, timeout_s: float) -> tuple[str, Any]:
        """The worker's next message, waited for on the event loop (no thread waits)."""
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        fd = self.conn.fileno()
        loop.add_reader(fd, _wake, ready)
        try:
            await asyncio.wait_for(ready, timeout_s)
        finally:
            loop.remove_reader(fd)
        try:
            message: tuple[str, Any] = self.conn.recv()
        except (EOFError, OSError):
            log.warning("a media worker died (exit code %s)", self.proc.exitcode)
            raise _failed() from None
        return message

    def stop(self, *, kill: bool) -> None:
        if kill:
            self.proc.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


def _failed() -> MediaRefused:
    return MediaRefused("media_processing_failed", "The file could not be processed.")


class MediaPool:
    def __init__(
        self,
        *,
        workers: int = 1,
        nice: int = 10,
        idle: bool = False,
        timeout_s: float = 300.0,
        queue_max: int = 32,
    ) -> None:
        self.workers = workers
        self.nice = nice
        #: Workers under SCHED_IDLE (Linux): they run only when nothing else wants the CPU.
        self.idle = idle
        self.timeout_s = timeout_s
        self.queue_max = queue_max
        self._idle: list[_Worker] = []
        self._busy = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False
        self.stats: dict[str, int] = {"jobs": 0, "refused": 0, "failed": 0, "restarts": 0}

    @classmethod
    def from_limits(cls, limits: MediaLimits) -> MediaPool:
        """A pool with ``limits``' pool settings (workers, priority, timeout, queue)."""
        return cls(
            workers=limits.workers,
            nice=limits.worker_nice,
            idle=limits.worker_idle,
            timeout_s=limits.job_timeout_s,
            queue_max=limits.queue_max,
        )

    async def start(self) -> None:
        """Start the workers now and wait until they are ready (otherwise the first jobs
        start them, and wait for that)."""
        while len(self._idle) < self.workers:
            self._idle.append(await asyncio.to_thread(_Worker, self.nice, self.idle))
        for worker in list(self._idle):
            await worker.start_up()

    async def run(self, job: Job) -> Processed | None:
        if self._closed:
            raise RuntimeError("the media pool is stopped")
        await self._acquire()
        try:
            worker = await self._worker()
            try:
                result = await worker.call(job, self.timeout_s)
            except MediaRefused as exc:
                if exc.code in ("media_processing_timeout", "media_processing_failed"):
                    self._replace(worker)
                else:
                    self._put_back(worker)
                    self.stats["refused"] += 1
                raise
            except BaseException:
                self._replace(worker)  # cancelled mid-job: its state is unknown
                raise
            self._put_back(worker)
            self.stats["jobs"] += 1
            return result
        finally:
            self._release()

    async def _worker(self) -> _Worker:
        """An idle worker that is alive (one may have died while it waited), or a new one."""
        while self._idle:
            worker = self._idle.pop()
            if worker.proc.is_alive():
                return worker
            self._replace(worker)
        return await asyncio.to_thread(_Worker, self.nice, self.idle)

    def _put_back(self, worker: _Worker) -> None:
        if self._closed:
            worker.stop(kill=False)
        else:
            self._idle.append(worker)

    def _replace(self, worker: _Worker) -> None:
        self.stats["failed"] += 1
        self.stats["restarts"] += 1
        worker.stop(kill=True)

    async def _acquire(self) -> None:
        if self._busy < self.workers and not self._waiters:
            self._busy += 1
            return
        if len(self._waiters) >= self.queue_max:
            raise MediaBusy("Too many files are being processed; try again in a moment.")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # a releasing job hands its slot over
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot came with the cancellation: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._busy -= 1

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._idle if w.proc.pid is not None]

    def stop(self) -> None:
        """Stop the idle workers (a job under way keeps its worker until it ends)."""
        self._closed = True
        while self._idle:
            self._idle.pop().stop(kill=False)

    def __enter__(self) -> MediaPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
