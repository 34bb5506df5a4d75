"""The database handle, and transactions that fit its engine.

PostgreSQL runs on asyncpg through SQLAlchemy's async engine.

SQLite runs *inline*: statements execute on the event loop's thread through the stdlib
driver. An embedded SQLite statement takes tens of microseconds, while a hop to a driver
thread and back costs more than that, and SQLAlchemy's async SQLite adapter makes several
hops per statement: inline, a message send costs a fraction of the CPU (see
docs/decisions/0006-inline-sqlite.md). SQLite allows one writer at a time; rather than
let concurrent writers spin in its busy handler (which sleeps in steps of up to 100 ms),
writes in one process queue on an asyncio lock, and readers run beside them under WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

log = logging.getLogger("openlink.store")


class Tx:
    __slots__ = ("callbacks", "conn")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.callbacks: list[Callable[[], Awaitable[None]]] = []

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self.callbacks.append(callback)


class _InlineConnection:
    """The slice of ``AsyncConnection`` the store uses, over a synchronous connection
    whose statements run right here on the event loop (SQLite only)."""

    __slots__ = ("_sync",)

    def __init__(self, sync: Connection) -> None:
        self._sync = sync

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        if parameters is None:
            return self._sync.execute(statement)
        return self._sync.execute(statement, parameters)


class _OffloadedConnection:
    """The same slice, for reads that may take milliseconds (search scans, trending
    aggregates): each statement, with the fetching of its rows, runs in a worker thread.
    The loop keeps serving sockets meanwhile, and SQLite works without the GIL, so on a
    second core other work (a vector search) runs beside it (SQLite only)."""

    __slots__ = ("_sync",)

    def __init__(self, sync: Connection) -> None:
        self._sync = sync

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return await asyncio.to_thread(self._run, statement, parameters)

    def _run(self, statement: Any, parameters: Any) -> Any:
        result = (
            self._sync.execute(statement)
            if parameters is None
            else self._sync.execute(statement, parameters)
        )
        return result.freeze()() if result.returns_rows else result


def _inline(sync: Connection) -> AsyncConnection:
    # Store functions are typed against AsyncConnection and only ever call execute().
    return cast(AsyncConnection, _InlineConnection(sync))


class Database:
    def __init__(self, url: str, *, echo: bool = False, sqlite_synchronous: str = "full") -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine: Engine | AsyncEngine
        if self.is_sqlite:
            sync_url = "sqlite://" + url.partition("://")[2]
            self.engine = create_engine(
                sync_url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas(sqlite_synchronous))
            # Let SQLAlchemy, not the driver, say when a transaction begins, so that the
            # reads inside a write transaction are part of it.
            event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        else:
            self.engine = create_async_engine(
                url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True
            )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A read-write transaction, committed on success and rolled back on error.

        Callbacks registered with :meth:`Tx.after_commit` run once the commit succeeded,
        in registration order. On SQLite they run before the next writer of this process
        starts, so events leave a node in commit order; on PostgreSQL they may interleave
        and the realtime hub puts them back in order. A failing callback is logged, never
        raised: the change is committed, and readers recover it from the database.
        """
        if isinstance(self.engine, AsyncEngine):
            async with self.engine.begin() as conn:
                tx = Tx(conn)
                yield tx
            await _run_callbacks(tx)
            return
        assert self._write_lock is not None
        async with self._write_lock:
            with self.engine.connect() as sync:
                transaction = sync.begin()
                tx = Tx(_inline(sync))
                try:
                    yield tx
                except BaseException:
                    transaction.rollback()
                    raise
                # The commit syncs the WAL to disk (and may checkpoint): milliseconds that
                # must not stall every socket, so it alone runs off the loop. The write
                # lock keeps anyone else off this connection meanwhile.
                await asyncio.to_thread(transaction.commit)
            await _run_callbacks(tx)

    @contextlib.asynccontextmanager
    async def read(self, *, heavy: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection for reads. ``heavy``: its statements may scan (search, trending);
        on SQLite they then run off the event loop."""
        if isinstance(self.engine, AsyncEngine):
            async with self.engine.connect() as conn:
                yield conn
            return
        with self.engine.connect() as sync:
            yield cast(AsyncConnection, _OffloadedConnection(sync)) if heavy else _inline(sync)

    async def dispose(self) -> None:
        if isinstance(self.engine, AsyncEngine):
            await self.engine.dispose()
        else:
            self.engine.dispose()


async def _run_callbacks(tx: Tx) -> None:
    for callback in tx.callbacks:
        try:
            await callback()
        except Exception:
            log.exception("after-commit callback failed; readers will catch up")


def _sqlite_pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    # FULL: a commit is on disk before it is acknowledged, also across a power cut.
    # NORMAL trades that last guarantee (not crash safety) for fewer fsyncs.
    level = {"full": "FULL", "normal": "NORMAL"}[synchronous]

    def apply(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN from the driver
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={level}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return apply
