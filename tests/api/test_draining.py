"""SIGTERM drains a real ``openlink serve`` process: readiness fails at once while chat
keeps working, then every socket is told to reconnect elsewhere (1012) and the process
exits cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from tests.fakes.redis_server import free_port


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


@pytest.mark.skipif(os.name != "posix", reason="signals")
async def test_sigterm_drains_then_closes_sockets_with_1012(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OPENLINK_DATA_DIR": str(tmp_path),
        "OPENLINK_PORT": str(port),
        "OPENLINK_DRAIN_S": "1.5",
        "OPENLINK_EMBEDDER": "none",
        "OPENLINK_ARGON2_TIME_COST": "1",
        "OPENLINK_ARGON2_MEMORY_KIB": "64",
        "OPENLINK_LOG_FORMAT": "json",
    }
    env.pop("OPENLINK_DATABASE_URL", None)
    log_path = tmp_path / "server.log"
    log_file = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once; the test then only polls it
        [sys.executable, "-m", "openlink.bench.server", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(base, proc)
        async with httpx.AsyncClient(base_url=base) as http:
            signup = await http.post(
                "/api/accounts",
                json={
                    "username": "drainee",
                    "password": "a-long-password",
                    "display_name": "D",
                    "language": "en",
                },
            )
            token = signup.json()["token"]
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
                await ws.send(json.dumps({"op": "hello", "token": token}))
                assert json.loads(await ws.recv())["type"] == "ready"

                proc.send_signal(signal.SIGTERM)
                async with asyncio.timeout(5):
                    while (await http.get("/readyz")).status_code != 503:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                # Still serving while draining.
                assert (await http.get("/healthz")).status_code == 200
                await ws.send(json.dumps({"op": "ping", "ref": "still-here"}))
                assert json.loads(await ws.recv())["type"] == "pong"

                with pytest.raises(websockets.ConnectionClosed) as closed:
                    async with asyncio.timeout(10):
                        while True:
                            await ws.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        assert proc.wait(timeout=20) == 0
        logs = log_path.read_text()
        first = next(line for line in logs.splitlines() if line.startswith("{"))
        assert {"ts", "level", "logger", "msg"} <= json.loads(first).keys()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log_file.close()
