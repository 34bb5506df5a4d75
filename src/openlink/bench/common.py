"""What every load generator shares: processes, cores, CPU clocks, the event loop, progress.

The benchmarks (``fanout``, ``cluster``, ``discovery``, ``translate``) measure other
processes from this one, so the helpers here read CPU time per process and for the whole
machine, pin processes to cores, and stop children cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

import psutil  # type: ignore[import-untyped]
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """The benchmark could not run (server did not start, setup failed, ...)."""


# -- processes and cores ----------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def pin_process(pid: int, cpus: Sequence[int]) -> None:
    """Pin every thread of ``pid`` (threads started later inherit from their creator)."""
    proc = psutil.Process(pid)
    proc.cpu_affinity(list(cpus))
    for thread in proc.threads():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(thread.id, list(cpus))


def plan_cpus(pin: bool) -> tuple[list[int] | None, list[int] | None]:
    """(server cores, load generator cores): the first core and the others, or Nones when
    not pinning or when there is a single core."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[:1], available[1:]


def raise_fd_limit(needed: int) -> int:
    """Raise the open-file limit towards ``needed`` (sockets); returns the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def stop_process(proc: subprocess.Popen[Any] | None, sig: int, timeout_s: float) -> None:
    """Ask ``proc`` to stop with ``sig``; kill it if it has not exited within ``timeout_s``."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def terminated(signum: int, _frame: Any) -> None:
    """A SIGTERM handler: unwind like Ctrl-C, so that child processes are stopped too."""
    raise SystemExit(128 + signum)


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


# -- CPU clocks -------------------------------------------------------------------------


def cpu_s(proc: psutil.Process | None) -> float:
    """User + system CPU seconds of ``proc``; 0 for none or one that is gone."""
    if proc is None:
        return 0.0
    try:
        t = proc.cpu_times()
    except psutil.Error:
        return 0.0
    return float(t.user + t.system)


def softirq_s() -> float:
    """CPU seconds the whole machine spent in softirq (loopback TCP's receive side)."""
    return float(getattr(psutil.cpu_times(), "softirq", 0.0))


def host_busy_s() -> float:
    """CPU seconds the whole machine spent busy (all cores, interrupts included)."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system  # guest time is already inside user
    for extra in ("irq", "softirq", "steal"):
        busy += getattr(t, extra, 0.0)
    return float(busy)


def mb(n: int) -> float:
    return round(n / (1 << 20), 1)


def database_label(url: str) -> str:
    """A database URL as a result may show it: no password; ``sqlite`` for the default."""
    if not url:
        return "sqlite"
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0]


# -- progress ---------------------------------------------------------------------------


def progress_bar(console: Console, label_width: int = 10) -> Progress:
    """The benches' progress display: a label, a bar, done/total, elapsed, on ``console``."""
    return Progress(
        TextColumn(f"{{task.description:>{label_width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        auto_refresh=False,
    )


class Ticker:
    """Refreshes the progress display a few times a second (no refresh thread)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.updates: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            self.tick()
            await asyncio.sleep(0.2)

    def tick(self) -> None:
        for update in self.updates:
            update()
        self.progress.refresh()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.tick()
