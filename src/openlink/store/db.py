"""The database handle: one async engine, and transactions that fit its engine.

SQLite allows one writer at a time. Rather than let concurrent writers spin in SQLite's
busy handler (which sleeps in steps of up to 100 ms and wrecks tail latency), writes in
one process queue on an asyncio lock; readers run beside them under WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


class Tx:
    __slots__ = ("callbacks", "conn")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.callbacks: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self.callbacks.append(callback)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
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
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A read-write transaction, committed on success and rolled back on error.

        Callbacks registered with :meth:`Tx.after_commit` run once the commit succeeded,
        in registration order, before the next writer of this process starts: events
        therefore leave a node in commit order.
        """
        lock = self._write_lock or contextlib.nullcontext()
        async with lock:
            async with self.engine.begin() as conn:
                tx = Tx(conn)
                yield tx
            for callback in tx.callbacks:
                await callback()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
