"""The real server for every test: ``create_app`` on uvicorn, in the test's own event loop.

Each test gets a fresh database: an SQLite file in its ``tmp_path`` by default, or, when
``OPENLINK_TEST_DATABASE_URL`` is set, that database emptied first (the app migrates it
again at start). A test changes settings with ``@pytest.mark.settings(name=value, ...)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from openlink.app import create_app
from openlink.cli import uvicorn_config_kwargs
from openlink.config import Settings
from openlink.store.migrate import upgrade
from tests.factories import close_open_sockets

TEST_DATABASE_URL = os.environ.get("OPENLINK_TEST_DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
START_TIMEOUT_S = 30.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**values): Settings overrides for this test's server"
    )


def pytest_report_header() -> str:
    engine = TEST_DATABASE_URL.partition("://")[0] if TEST_DATABASE_URL else "sqlite (tmp_path)"
    return f"openlink test database: {engine}"


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal handlers: Ctrl-C stops pytest, not just the server."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


@dataclass
class Server:
    url: str
    ws_url: str
    app: FastAPI
    settings: Settings


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
    )
    values.update(overrides)
    return Settings(**values)


async def empty_database(url: str) -> None:
    """Drop every table (alembic_version included) so that the app migrates from zero."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """An SQLite database migrated once; each test starts from a copy of it (the app's own
    migration at start then finds it up to date), which saves a third of a second a test."""
    if IS_POSTGRES:
        return None
    path = tmp_path_factory.mktemp("template") / "openlink.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def server(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path | None
) -> AsyncIterator[Server]:
    marker = request.node.get_closest_marker("settings")
    settings = make_settings(tmp_path, **(marker.kwargs if marker else {}))
    if sqlite_template is None:
        await empty_database(settings.database_url)
    else:
        shutil.copyfile(sqlite_template, tmp_path / "openlink.db")
    app = create_app(settings)
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
        )
    finally:
        await close_open_sockets()
        uv.should_exit = True
        await task
        sock.close()


@pytest.fixture
def production_hashing(server: Server) -> None:
    """Password hashing closer to production cost, for tests of what happens while a
    password or code is verified: the suite's floor verifies in microseconds, which hides
    a race between a check and a count. Verification reads its cost from the hash, so
    accounts and codes must be made after this."""
    server.app.state.ctx.passwords = PasswordHasher(time_cost=8, memory_cost=8192)


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        yield c
