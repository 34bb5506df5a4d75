"""The worker pool: reniced processes, a deadline per job, a crashed or stuck worker
replaced while its job fails cleanly, a bounded queue, and an event loop that keeps
running while the work is done elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from openlink.config import Settings
from openlink.media.process import (
    MediaBusy,
    MediaLimits,
    MediaPool,
    MediaRefused,
    Processed,
    process,
)
from openlink.media.process.model import default_workers
from tests.media.inputs import photo, video

LIMITS = MediaLimits()


async def until(condition: Callable[[], bool], deadline_s: float = 20.0) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
def big_photo(phone_photo: Path) -> Path:
    return phone_photo


@pytest.fixture
def small_photo(tmp_path: Path) -> Path:
    photo(200, 100).save(tmp_path / "small.jpg")
    return tmp_path / "small.jpg"


async def image(src: Path, pool: MediaPool) -> Processed:
    work = src.parent / f"work-{src.stem}"
    work.mkdir(exist_ok=True)
    return await process("image", src, work, LIMITS, pool=pool)


async def test_workers_run_at_a_lower_priority_once_started(small_photo: Path) -> None:
    with MediaPool(workers=1, nice=7) as pool:
        await pool.start()  # returns once the worker is ready, reniced first
        (pid,) = pool.pids()
        assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
        await image(small_photo, pool)
        assert pool.pids() == [pid]  # the same worker took the job


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
async def test_idle_workers_run_only_on_time_nothing_else_wants(small_photo: Path) -> None:
    with MediaPool(workers=1, nice=0, idle=True) as pool:
        await pool.start()
        (pid,) = pool.pids()
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
        assert (await image(small_photo, pool)).width == 200
    with MediaPool(workers=1, nice=0) as pool:  # the pool's default: the normal policy
        await pool.start()
        (pid,) = pool.pids()
        assert os.sched_getscheduler(pid) == os.SCHED_OTHER


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
async def test_the_codecs_threads_of_an_idle_worker_are_idle_too(tmp_path: Path) -> None:
    """A policy is per thread: FFmpeg starts its codec threads per job, after the
    worker's own change, and must inherit it (a thread started earlier would not)."""
    clip = video(tmp_path / "clip.mp4", seconds=8, width=640, height=360, rate=30)
    (tmp_path / "work").mkdir()
    seen: dict[int, int] = {}
    with MediaPool(workers=1, nice=0, idle=True, timeout_s=120) as pool:
        await pool.start()
        (pid,) = pool.pids()
        job = asyncio.create_task(process("video", clip, tmp_path / "work", LIMITS, pool=pool))

        def threads_seen() -> bool:
            for tid in map(int, os.listdir(f"/proc/{pid}/task")):
                with contextlib.suppress(OSError):  # a thread that just ended
                    seen[tid] = os.sched_getscheduler(tid)
            return len(seen) > 2 or job.done()

        await until(threads_seen, 60)
        assert (await job).kind == "video"
    assert len(seen) > 2, "the transcode ran in one thread: nothing to check"
    assert set(seen.values()) == {os.SCHED_IDLE}


async def test_a_job_past_its_deadline_kills_its_worker_and_the_next_job_runs(
    big_photo: Path, small_photo: Path
) -> None:
    with MediaPool(workers=1, nice=0, timeout_s=0.05) as pool:
        await pool.start()
        (first,) = pool.pids()
        with pytest.raises(MediaRefused) as refused:
            await image(big_photo, pool)
        assert refused.value.code == "media_processing_timeout"
        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)  # killed and reaped
        pool.timeout_s = 60
        done = await image(small_photo, pool)
        assert done.width == 200
        assert pool.pids() != [first]
        assert pool.stats["restarts"] == 1


async def test_a_worker_that_dies_fails_its_job_and_is_replaced(
    big_photo: Path, small_photo: Path
) -> None:
    with MediaPool(workers=1, nice=0, timeout_s=60) as pool:
        await pool.start()
        (pid,) = pool.pids()
        job = asyncio.ensure_future(image(big_photo, pool))
        await until(lambda: not pool.pids())  # the worker has the job
        os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        with pytest.raises(MediaRefused) as refused:
            await job
        assert (refused.value.code, refused.value.status) == ("media_processing_failed", 422)
        assert (await image(small_photo, pool)).width == 200


async def test_a_worker_that_died_while_idle_is_replaced_before_the_next_job(
    small_photo: Path,
) -> None:
    with MediaPool(workers=1, nice=0) as pool:
        await pool.start()
        (pid,) = pool.pids()
        os.kill(pid, signal.SIGKILL)
        await until(lambda: not pool._idle[0].proc.is_alive())
        assert (await image(small_photo, pool)).width == 200
        assert pool.pids() != [pid]


async def test_a_full_queue_refuses_with_busy_and_the_rest_complete(small_photo: Path) -> None:
    with MediaPool(workers=1, nice=0, queue_max=2) as pool:
        jobs = [asyncio.ensure_future(image(small_photo, pool)) for _ in range(4)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
    busy = [r for r in results if isinstance(r, MediaBusy)]
    done = [r for r in results if isinstance(r, Processed)]
    assert (len(done), len(busy)) == (3, 1)  # one running, two waiting, one refused
    assert busy[0].status == 503


async def test_the_event_loop_keeps_running_while_a_photo_is_processed(
    big_photo: Path, small_photo: Path
) -> None:
    with MediaPool(workers=1, nice=0) as pool:
        await image(small_photo, pool)  # the worker is warm
        gaps: list[float] = []
        stop = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        task = asyncio.ensure_future(ticker())
        await image(big_photo, pool)
        stop.set()
        await task
    # Decoding a 12-megapixel photo takes a good part of a second: on the loop it would
    # be one gap that long. The loop ticked all along instead.
    assert len(gaps) > 20
    assert max(gaps) < 0.25


def test_limits_come_from_the_settings() -> None:
    limits = MediaLimits.from_settings(
        Settings(media_transcode_height=480, media_workers=0, media_keep_video_original=True)
    )
    assert limits.transcode_height == 480 and limits.keep_video_original
    assert limits.workers == default_workers() == max(1, (os.cpu_count() or 2) // 2)
    with pytest.raises(ValueError):
        Settings(media_transcode_height=100)
    with pytest.raises(ValueError):
        Settings(media_image_max_pixels=500_000_000)  # past Pillow's own guard
