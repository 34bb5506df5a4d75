"""Group commit for SQLite: one fsync of the WAL makes every commit before it durable.

With ``synchronous=FULL`` SQLite syncs the WAL inside every commit, under the write lock:
each send waits for its own fsync and for the fsyncs of everyone queued before it. Here
commits run with ``synchronous=NORMAL`` (in WAL mode: the frames are written, not
synced) and release the write lock at once; a commit is *acknowledged* (its after-commit
callbacks run, the caller returns) only once an fsync of the WAL that began after it has
completed. The sends that commit while one fsync runs share the next one.
See docs/decisions/0018-sqlite-group-commit.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from openlink.errors import StorageFailed

log = logging.getLogger("openlink.store")

_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)

Callbacks = list[Callable[[], Awaitable[None]]]


class GroupCommit:
    """Orders the acknowledgements of one SQLite file's commits behind WAL syncs.

    ``committed`` is called under the write lock right after each commit, so the queue is
    in commit order; one task at a time takes everything queued, syncs the WAL once, then
    runs the covered commits' callbacks in that order, so events still leave the process
    in commit order. The writer does not wait for the fsync: new transactions commit while
    it runs, and wait for the next one.
    """

    def __init__(self, database_path: str | Path) -> None:
        self.wal_path = Path(f"{database_path}-wal")
        self._queue: deque[tuple[Callbacks, asyncio.Future[None]]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._wal_id: tuple[int, int] | None = None
        #: Set once a sync failed; writes are then refused until restart (as PostgreSQL
        #: stops on a failed fsync: a later fsync that succeeds proves nothing).
        self.failed: OSError | None = None
        #: Syncs completed, and how many commits they covered (for tests and figures).
        self.syncs = 0
        self.commits_synced = 0

    def check(self) -> None:
        """Refuse a write once a sync has failed."""
        if self.failed is not None:
            raise _refusal()

    def committed(self, callbacks: Callbacks) -> asyncio.Future[None]:
        """Queue a commit that has just happened; the future resolves once it is durable
        and its callbacks ran (or fails with ``StorageFailed``)."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append((callbacks, done))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return done

    async def drain(self) -> None:
        """Wait until every queued commit has been synced and acknowledged."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch = list(self._queue)
                self._queue.clear()
                try:
                    await asyncio.to_thread(self.sync)
                except OSError as exc:
                    self._fail(exc, batch)
                    return
                self.syncs += 1
                self.commits_synced += len(batch)
                for callbacks, done in batch:
                    await run_callbacks(callbacks)
                    if not done.done():
                        done.set_result(None)
        finally:
            self._task = None

    def _fail(self, exc: OSError, batch: list[tuple[Callbacks, asyncio.Future[None]]]) -> None:
        log.critical("syncing the SQLite WAL failed; refusing writes until restart: %s", exc)
        self.failed = exc
        for _callbacks, done in [*batch, *self._queue]:
            if not done.done():
                done.set_exception(_refusal())
        self._queue.clear()

    def sync(self) -> None:
        """Flush the WAL file to disk (in a worker thread). Everything written to it before
        the call is durable when it returns. A missing WAL was checkpointed into the
        database file and removed, which SQLite syncs itself."""
        try:
            fd = os.open(self.wal_path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            stat = os.fstat(fd)
            _datasync(fd)
        finally:
            # SQLite keeps no POSIX locks on the WAL file, so closing this descriptor
            # releases nothing SQLite holds (its locks are on the database and -shm files).
            os.close(fd)
        wal_id = (stat.st_dev, stat.st_ino)
        if wal_id != self._wal_id and os.name == "posix":
            # A new WAL file's directory entry must reach the disk too, or a power cut
            # could lose the whole file (SQLite syncs the directory itself only at FULL).
            _sync_directory(self.wal_path.parent)
            self._wal_id = wal_id


def _refusal() -> StorageFailed:
    return StorageFailed("The server could not write to its disk; try again later.")


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def run_callbacks(callbacks: Callbacks) -> None:
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            log.exception("after-commit callback failed; readers will catch up")
