"""The database handle, and transactions that fit its engine.

PostgreSQL runs on asyncpg through SQLAlchemy's async engine.

SQLite runs *inline*: statements execute on the event loop's thread through the stdlib
driver. An embedded SQLite statement takes tens of microseconds, while a hop to a driver
thread and back costs more than that, and SQLAlchemy's async SQLite adapter makes several
hops per statement: inline, a message send costs a fraction of the CPU (see
docs/decisions/0006-inline-sqlite.md). SQLite allows one writer at a time; rather than
let concurrent writers spin in its busy handler (which sleeps in steps of up to 100 ms),
writes in one process queue on an asyncio lock, and readers run beside them under WAL.
At ``synchronous=full`` a commit is acknowledged after a WAL fsync shared with the commits
around it (group commit, store/group_commit.py), not after one of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from openlink.domain.events import iso
from openlink.store.group_commit import GroupCommit, run_callbacks

#: A run of digits that could be an integer orjson would not read as one (it reads those
#: past 64 bits as floats): below 19 digits none can be.
_LONG_DIGITS = re.compile(r"\d{19}")


def json_loads(text: str | bytes) -> Any:
    """JSON columns as the standard library reads them, at a fraction of the cost: a
    connect reads a few per room (a member's rights, a message's mentions, reactions and
    system part). What orjson reads otherwise (long integers) or refuses while the
    standard library takes it (``NaN``, lone surrogates) goes to the standard library."""
    if not _LONG_DIGITS.search(text if isinstance(text, str) else text.decode()):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class TxClosed(RuntimeError):
    """A programming error: something was registered to run after the commit of a
    transaction that has already committed or rolled back, so it would never run."""


class Tx:
    """A read-write transaction, as :meth:`Database.write` yields it. ``state`` is
    ``open`` inside the ``async with`` block; then ``committing``, and ``committed``,
    ``failed to commit`` or ``rolled back``."""

    __slots__ = ("callbacks", "conn", "state")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.callbacks: list[Callable[[], Awaitable[None]]] = []
        self.state = "open"

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once this transaction has committed. Only while it is open:
        a callback registered later would silently never run."""
        if self.state != "open":
            raise TxClosed(
                f"after_commit on a transaction that is {self.state}: register it inside"
                " the `async with db.write()` block whose change it follows"
            )
        self.callbacks.append(callback)


def _ended(state: str) -> str:
    """What a transaction that raised became: a failed commit may or may not have landed."""
    return "failed to commit" if state == "committing" else "rolled back"


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


async def driver_rows(
    conn: AsyncConnection, statement: Any, params: dict[str, Any]
) -> list[Sequence[Any]]:
    """The rows of ``statement``, on an inline SQLite read as the driver reads them.

    For the reads every socket connect makes: SQLAlchemy's execution and its rows (with a
    type processor per value) cost more than SQLite's work on them. Inline, the statement
    is compiled once and run on the stdlib driver; its rows are plain tuples of what
    SQLite stores: timestamps as text, JSON as text, booleans as 0 and 1 (``driver_iso``,
    ``driver_json``, ``driver_datetime`` and ``bool`` read either kind). Elsewhere
    (PostgreSQL, an offloaded read) the rows are SQLAlchemy's. ``params`` are bound as
    SQLAlchemy binds them (a datetime as SQLite's text). Read rows by position
    (``column_names``)."""
    if not isinstance(conn, _InlineConnection):
        return list((await conn.execute(statement, params)).all())
    sql, names, defaults, processors = _compiled_for_driver(statement)
    driver = conn._sync.connection.dbapi_connection
    assert driver is not None
    values = []
    for name in names:
        if name in params:
            value = params[name]
            process = processors.get(name)
            values.append(value if process is None else process(value))
        else:
            values.append(defaults[name])  # a KeyError if the caller left one out
    return driver.execute(sql, values).fetchall()


#: What ``driver_rows`` compiles for: the stdlib driver's parameter style.
_SQLITE_DIALECT = sqlite.dialect(paramstyle="qmark")


@functools.cache  # the statements are module constants: a few entries
def _compiled_for_driver(
    statement: Any,
) -> tuple[str, tuple[str, ...], dict[str, Any], dict[str, Callable[[Any], Any]]]:
    """The SQL text, its parameters' names in order, the statement's own values (a
    LIMIT) and how each parameter's type binds a value."""
    compiled = statement.compile(dialect=_SQLITE_DIALECT)
    names = tuple(compiled.positiontup or ())
    own = compiled.construct_params(_check=False)
    processors = {}
    for bind in compiled.binds.values():
        name = compiled.bind_names[bind]
        process = bind.type.bind_processor(_SQLITE_DIALECT)
        if process is not None:
            processors[name] = process
    defaults = {n: own[n] for n in names if own.get(n) is not None}
    return str(compiled), names, defaults, processors


def column_names(statement: Any) -> tuple[str, ...]:
    """The labels of ``statement``'s columns, in the order of its rows."""
    return tuple(statement.selected_columns.keys())


def driver_datetime(value: Any) -> datetime | None:
    """A timestamp column of ``driver_rows`` as the aware UTC datetime SQLAlchemy gives."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def driver_iso(value: Any) -> str | None:
    """A timestamp column of ``driver_rows`` as ``domain.events.iso`` writes it.

    SQLite holds the text SQLAlchemy wrote, always ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC
    (anything else is parsed); PostgreSQL gives an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 26 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}Z"
    return iso(driver_datetime(value))


def driver_json(value: Any) -> Any:
    """A JSON column of ``driver_rows``: SQLite's text decoded, or the value SQLAlchemy
    decoded already. (These columns hold arrays and objects, never a bare string.) Most
    are empty: SQLAlchemy stores None as the JSON text ``null``."""
    if value is None or value == "null":
        return None
    return json_loads(value) if isinstance(value, str | bytes) else value


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
        self.group_commit: GroupCommit | None = None
        if self.is_sqlite:
            sync_url = "sqlite://" + url.partition("://")[2]
            self.engine = create_engine(
                sync_url,
                echo=echo,
                connect_args={"timeout": 30, "check_same_thread": False},
                json_deserializer=json_loads,
            )
            path = self.engine.url.database
            # An in-memory database has no WAL to sync, and nothing to make durable.
            if sqlite_synchronous == "full" and path and path != ":memory:":
                self.group_commit = GroupCommit(path)
            # Under group commit, the commit itself does not sync: the syncer does.
            grouped = self.group_commit is not None
            level = "normal" if grouped else sqlite_synchronous
            event.listen(self.engine, "connect", _sqlite_pragmas(level, autocheckpoint=not grouped))
            # Let SQLAlchemy, not the driver, say when a transaction begins, so that the
            # reads inside a write transaction are part of it.
            event.listen(self.engine, "begin", _begin)
        else:
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=10,
                max_overflow=10,
                pool_pre_ping=True,
                json_deserializer=json_loads,
            )
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        #: SQLite: connections for inline reads, kept between them (``read``).
        self._idle_readers: list[Connection] = []

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        """A read-write transaction, committed on success and rolled back on error.

        Callbacks registered with :meth:`Tx.after_commit` run once the commit succeeded,
        in registration order, and before this returns. On SQLite the callbacks of
        successive writes run in commit order, so events leave a node in commit order; on
        PostgreSQL they may interleave and the realtime hub puts them back in order. A
        failing callback is logged, never raised: the change is committed, and readers
        recover it from the database.

        Under SQLite group commit, callbacks run and this returns only once a WAL fsync
        that began after the commit has completed, while the next writers go ahead.
        """
        if isinstance(self.engine, AsyncEngine):
            tx: Tx | None = None
            try:
                async with self.engine.begin() as conn:
                    tx = Tx(conn)
                    yield tx
                    tx.state = "committing"
            except BaseException:
                if tx is not None:
                    tx.state = _ended(tx.state)
                raise
            assert tx is not None
            tx.state = "committed"
            await run_callbacks(tx.callbacks)
            return
        assert self._write_lock is not None
        group = self.group_commit
        async with self._write_lock:
            if group is not None:
                group.check()
            with self.engine.connect() as sync:
                transaction = sync.begin()
                tx = Tx(_inline(sync))
                try:
                    yield tx
                except BaseException:
                    tx.state = "rolled back"
                    transaction.rollback()
                    raise
                tx.state = "committing"
                # The commit may sync or checkpoint: milliseconds that must not stall every
                # socket, so it alone runs off the loop. The write lock keeps anyone else
                # off this connection meanwhile.
                try:
                    await asyncio.to_thread(transaction.commit)
                except BaseException:
                    tx.state = _ended(tx.state)
                    raise
                tx.state = "committed"
            if group is None:
                await run_callbacks(tx.callbacks)
                return
            # Queued under the lock, so in commit order; awaited outside it, so the next
            # writer commits while this one's fsync runs.
            durable = group.committed(tx.callbacks)
        await durable

    @contextlib.asynccontextmanager
    async def read(self, *, heavy: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection for reads. ``heavy``: its statements may scan (search, trending);
        on SQLite they then run off the event loop."""
        if isinstance(self.engine, AsyncEngine):
            async with self.engine.connect() as conn:
                yield conn
            return
        if heavy:
            with self.engine.connect() as sync:
                yield cast(AsyncConnection, _OffloadedConnection(sync))
            return
        # An inline read takes an idle reader, begins and ends its transaction on the
        # driver, and gives it back: opening a SQLAlchemy connection and transaction cost
        # more than the reads of a socket connect.
        idle = self._idle_readers
        sync = idle.pop() if idle else self._new_reader()
        driver = sync.connection.dbapi_connection
        assert driver is not None
        driver.execute("BEGIN")
        try:
            yield _inline(sync)
        except BaseException:
            sync.close()  # whatever happened, the next read gets a fresh one
            raise
        driver.rollback()
        if len(idle) < IDLE_READERS and not sync.invalidated:
            idle.append(sync)
        else:
            sync.close()

    def _new_reader(self) -> Connection:
        assert isinstance(self.engine, Engine)
        # SQLAlchemy's transaction on it begins once and never ends: ``read`` begins and
        # ends the real ones on the driver, where SQLite keeps them.
        return self.engine.connect().execution_options(**{_READER: True})

    async def dispose(self) -> None:
        for sync in self._idle_readers:
            sync.close()
        self._idle_readers.clear()
        if self.group_commit is not None:
            await self.group_commit.close()
        if isinstance(self.engine, AsyncEngine):
            await self.engine.dispose()
        else:
            self.engine.dispose()


#: SQLite: inline reads kept between reads (``Database.read``); more are opened as needed.
IDLE_READERS = 4
#: The execution option that marks them: ``read`` begins their transactions itself.
_READER = "openlink_reader"


def _begin(conn: Connection) -> None:
    # Straight to the driver: SQLAlchemy's statement path costs several times the BEGIN.
    if not conn.get_execution_options().get(_READER):
        conn.connection.dbapi_connection.execute("BEGIN")  # type: ignore[union-attr]


def _sqlite_pragmas(synchronous: str, *, autocheckpoint: bool) -> Callable[[Any, Any], None]:
    # FULL: each commit syncs the WAL before it returns. NORMAL: commits do not sync (crash
    # safe, not power-cut safe), which group commit completes with its shared fsyncs.
    level = {"full": "FULL", "normal": "NORMAL"}[synchronous]

    def apply(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # no implicit BEGIN from the driver
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={level}")
        if not autocheckpoint:  # group commit checkpoints beside the writer
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return apply
