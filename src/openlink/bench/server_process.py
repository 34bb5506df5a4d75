"""``openlink serve`` in a subprocess, for the load generators to measure.

It runs ``python -m openlink.bench.server`` with this interpreter, on a fresh data folder
(or a given database), with cheap password hashing and member caps that fit the run, and
keeps its CPU time and RSS at hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from openlink.bench.common import HOST, BenchError, free_port, pin_process, stop_process
from openlink.bench.setup import BENCH_LIMITS, BENCH_SERVER_ENV


class ServerProcess:
    """``openlink serve`` in a subprocess, with its CPU time and RSS at hand."""

    def __init__(self, members: int, database_url: str, cpus: Sequence[int] | None) -> None:
        self.members = members
        self.database_url = database_url
        self.cpus = list(cpus) if cpus else None
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="openlink-bench-"))
        self.log_path = self.data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ps: psutil.Process | None = None
        #: Set over everything else (the translation engine's settings).
        self.extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        cap = str(max(self.members, 2))
        env = dict(os.environ)
        env.update(
            BENCH_SERVER_ENV,
            OPENLINK_DATA_DIR=str(self.data_dir / "data"),
            OPENLINK_MAX_MEMBER_CAP=cap,
            OPENLINK_DEFAULT_MEMBER_CAP=cap,
            OPENLINK_LOG_LEVEL="warning",
        )
        # Flood limits stay on, so that every send pays for checking them, but high
        # enough that a saturating sender is never refused (override from the environment).
        for name, value in BENCH_LIMITS.items():
            env.setdefault(name, value)
        # The discovery check creates every fixture room from one account and searches
        # from this one address.
        for name in ("ROOMS_PER_ACCOUNT", "SEARCHES_PER_ACCOUNT", "SEARCHES_PER_ADDRESS"):
            env.setdefault(f"OPENLINK_{name}", "0")
        env.pop("OPENLINK_DATABASE_URL", None)
        if self.database_url:
            env["OPENLINK_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def admin(self, *args: str) -> None:
        """``openlink admin ...`` on the server's database (an operator account...)."""
        cmd = [sys.executable, "-m", "openlink.bench.server", "admin", *args]
        done = subprocess.run(cmd, env=self.env(), capture_output=True, timeout=120)
        if done.returncode != 0:
            err = (done.stderr or done.stdout).decode(errors="replace")[-500:]
            raise BenchError(f"openlink admin {' '.join(args)} failed: {err}")

    def start(self) -> None:
        env = self.env()
        cmd = [
            sys.executable,
            "-m",
            "openlink.bench.server",
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self.ps = psutil.Process(self.proc.pid)
        if self.cpus:
            pin_process(self.proc.pid, self.cpus)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(f"the server exited with {self.proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        if self.cpus:  # pin the threads it started meanwhile too
                            pin_process(self.pid, self.cpus)
                        return
                await asyncio.sleep(0.1)
        raise BenchError(f"the server did not answer on {self.base_url} in {timeout_s:.0f} s")

    def cpu_s(self) -> float:
        assert self.ps is not None
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def thread_cpu_s(self) -> tuple[float, float]:
        """CPU seconds of the main thread (the event loop) and of all the others (the
        database driver's, the translation pool's)."""
        assert self.ps is not None
        main = other = 0.0
        for t in self.ps.threads():
            if t.id == self.ps.pid:
                main += t.user_time + t.system_time
            else:
                other += t.user_time + t.system_time
        return main, other

    def rss(self) -> int:
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, 20)
        shutil.rmtree(self.data_dir, ignore_errors=True)
