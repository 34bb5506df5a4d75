"""The database handle: one async engine, and transactions that fit its engine.

SQLite allows one writer at a time. Rather than let concurrent writers spin in SQLite's
busy handler (which sleeps in steps of up to 100 ms and wrecks tail latency), writes in
one process queue on an asyncio lock; readers run beside them under WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("openlink.store")


class Tx:
    __slots__ = ("callbacks", "conn")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.callbacks: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self.callbacks.append(callback)


class Database:
    def __init__(self, url: str, *, echo: bool = False, sqlite_synchronous: str = "full") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            pragmas = _sqlite_pragmas(sqlite_synchronous)
            event.listen(self.engine.sync_engine, "connect", pragmas)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A read-write transaction, committed on success and rolled back on error.

        Callbacks registered with :meth:`Tx.after_commit` run once the commit succeeded,
        in registration order. On SQLite they run before the next writer of this process
        starts, so events leave a node in commit order; on PostgreSQL they may interleave
        and the realtime hub puts them back in order. A failing callback is logged, never
        raised: the change is committed, and readers recover it from the database.
        """
        lock = self._write_lock or contextlib.nullcontext()
        async with lock:
            async with self.engine.begin() as conn:
                tx = Tx(conn)
                yield tx
            for callback in tx.callbacks:
                try:
                    await callback()
                except Exception:
                    log.exception("after-commit callback failed; readers will catch up")

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    # FULL: a commit is on disk before it is acknowledged, also across a power cut.
    # NORMAL trades that last guarantee (not crash safety) for fewer fsyncs.
    level = {"full": "FULL", "normal": "NORMAL"}[synchronous]

    def apply(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={level}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return apply
