"""The inside of a media worker process: a loop that takes one job at a time from its
pipe and answers with the result, a refusal or a failure. Started by ``pool.py``."""

from __future__ import annotations

import contextlib
import logging
import os
from multiprocessing.connection import Connection
from pathlib import Path

from openlink.media.process.detect import Sniffed
from openlink.media.process.model import Kind, MediaLimits, MediaRefused, Processed

log = logging.getLogger("openlink.media")

Job = tuple[Kind, Sniffed, Path, Path, MediaLimits]


def run_job(
    kind: Kind, sniffed: Sniffed, src: Path, workdir: Path, limits: MediaLimits
) -> Processed | None:
    """Process one file whose type is known. None: a container taken for a video holds
    no video after all (it is then a plain file)."""
    if kind == "image":
        from openlink.media.process.image import process_image

        return process_image(src, workdir, limits, sniffed)
    if kind == "video":
        from openlink.media.process.video import NotAVideo, process_video

        try:
            return process_video(src, workdir, limits, sniffed)
        except NotAVideo:
            return None
    if kind == "voice":
        from openlink.media.process.voice import process_voice

        return process_voice(src, workdir, limits, sniffed)
    raise ValueError(f"no processor for {kind!r}")


def _warm_up() -> None:
    # Imported once at start, so the first job does not pay for them.
    import av  # noqa: F401

    import openlink.media.process.image
    import openlink.media.process.video
    import openlink.media.process.voice  # noqa: F401


def worker_main(conn: Connection, nice: int, idle: bool = False) -> None:
    if nice > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(nice)
    if idle and hasattr(os, "SCHED_IDLE"):
        # Threads started later (FFmpeg's encoder threads) inherit the policy.
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    _warm_up()
    conn.send(("ready", None))
    while True:
        try:
            job: Job | None = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        try:
            conn.send(("ok", run_job(*job)))
        except MediaRefused as exc:
            conn.send(("refused", exc))
        except Exception as exc:  # a decoder's own error: the job fails, the worker lives
            log.exception("media job failed")
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
