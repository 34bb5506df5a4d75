"""Group commit for SQLite: one fsync of the WAL makes every commit before it durable.

With ``synchronous=FULL`` SQLite syncs the WAL inside every commit, under the write lock:
each send waits for its own fsync and for the fsyncs of everyone queued before it. Here
commits run with ``synchronous=NORMAL`` (in WAL mode: the frames are written, not
synced) and release the write lock at once; a commit is *acknowledged* (its after-commit
callbacks run, the caller returns) only once an fsync of the WAL that began after it has
completed. The sends that commit while one fsync runs share the next one.

Checkpoints (copying the WAL into the database file, and syncing it) leave the commit
too: SQLite would run one inside every thousandth page's commit, holding the writer for
its fsyncs; here a connection of its own runs one every ``CHECKPOINT_EVERY`` commits
beside the writer and the syncs.
See docs/decisions/0021-sqlite-group-commit.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from openlink.errors import StorageFailed

log = logging.getLogger("openlink.store")

_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)

Callbacks = list[Callable[[], Awaitable[None]]]

#: Commits between two checkpoints: at a few pages a send, about SQLite's own cadence of
#: one per thousand pages.
CHECKPOINT_EVERY = 100


class GroupCommit:
    """Orders the acknowledgements of one SQLite file's commits behind WAL syncs.

    ``committed`` is called under the write lock right after each commit, so the queue is
    in commit order; one task at a time takes everything queued, syncs the WAL once, then
    runs the covered commits' callbacks in that order, so events still leave the process
    in commit order. The writer does not wait for the fsync: new transactions commit while
    it runs, and wait for the next one.
    """

    def __init__(self, database_path: str | Path) -> None:
        self.database_path = Path(database_path)
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
        self.checkpoints = 0
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Task[None] | None = None
        self._checkpointer: sqlite3.Connection | None = None

    def check(self) -> None:
        """Refuse a write once a sync has failed."""
        if self.failed is not None:
            raise _refusal()

    def committed(self, callbacks: Callbacks) -> asyncio.Future[None]:
        """Queue a commit that has just happened; the future resolves once it is durable
        and its callbacks ran (or fails with ``StorageFailed``)."""
        done = asyncio.get_running_loop().create_future()
        if self.failed is not None:  # committed after the failure: no sync vouches for it
            done.set_exception(_refusal())
            return done
        self._queue.append((callbacks, done))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return done

    async def close(self) -> None:
        """Wait until every queued commit has been synced and acknowledged, and any
        checkpoint has ended."""
        for task in (self._task, self._checkpointing):
            if task is not None:
                await asyncio.shield(task)
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None

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
                self._checkpoint_soon(len(batch))
        finally:
            self._task = None

    def _checkpoint_soon(self, commits: int) -> None:
        self._since_checkpoint += commits
        if self._since_checkpoint >= CHECKPOINT_EVERY and self._checkpointing is None:
            self._since_checkpoint = 0
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self.checkpoint)
            self.checkpoints += 1
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed, tried again later: %s", exc)
        finally:
            self._checkpointing = None

    def checkpoint(self) -> None:
        """Copy the WAL's committed pages into the database file and sync it (in a worker
        thread). PASSIVE: it neither waits for nor blocks readers and the writer."""
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self.database_path, isolation_level=None, check_same_thread=False
            )
            self._checkpointer.execute("PRAGMA synchronous=FULL")
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

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
        if wal_id != self._wal_id:
            # A new WAL file's directory entry must reach the disk too, or a power cut
            # could lose the whole file (SQLite syncs it with the file's first sync, which
            # at NORMAL waits for the first checkpoint).
            if os.name == "posix":
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
