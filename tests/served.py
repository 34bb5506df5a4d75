"""A real ``openlink serve`` in a subprocess, for tests that signal or kill the process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.fakes.redis_server import free_port


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


async def wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the server exited during start-up"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


@contextlib.asynccontextmanager
async def served(data_dir: Path, **env: str) -> AsyncIterator[Served]:
    """``openlink serve`` on a free port with its SQLite database in ``data_dir``; the
    process is killed on the way out if the test did not stop it."""
    port = free_port()
    environ = {
        **os.environ,
        "OPENLINK_DATA_DIR": str(data_dir),
        "OPENLINK_PORT": str(port),
        "OPENLINK_EMBEDDER": "none",
        "OPENLINK_ARGON2_TIME_COST": "1",
        "OPENLINK_ARGON2_MEMORY_KIB": "64",
        **{f"OPENLINK_{name.upper()}": value for name, value in env.items()},
    }
    environ.pop("OPENLINK_DATABASE_URL", None)
    log_path = data_dir / f"server-{port}.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once; the test then only polls it
            [sys.executable, "-m", "openlink.bench.server", "serve"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            await wait_until_up(f"http://127.0.0.1:{port}", proc)
            yield Served(proc, port, log_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
