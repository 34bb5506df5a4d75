"""Pieces every benchmark uses: the progress display and stopping a child process."""

from __future__ import annotations

import subprocess
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


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
