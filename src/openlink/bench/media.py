"""Media processing speed (``openlink bench media``): how long a 12-megapixel phone photo
takes to become its served copies (decode, orientation, metadata stripped, full-size JPEG,
three WebP thumbnails, blurhash, perceptual hash), and how fast a 30 s 1080p clip made
here is transcoded to 720p H.264/AAC, as a multiple of real time. Both through the worker
pool the server uses, one worker. Progress on stderr, one JSON line last on stdout.

``fanout_ratio``: fan-out deliveries per second in one room of ``--members`` (1,500 by
the issue; fewer by default, for a 2-core machine) while photos are uploaded and a video
is transcoded through the server's upload route, over the same run without them
(``bench/fanout.py`` with a fresh server each time, ``--rounds`` pairs in alternating
order). The media workers are children of the server and share its pinned core, at
their lower priority: the ratio is what media work costs chat on the same CPU. The
uploads come from a process of their own on the load generator's core (it inherits that
pinning): it stands for clients on other machines, while everything the server does
with the bytes (reading the body, hashing, storing, processing) counts on its side.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import orjson
import psutil  # type: ignore[import-untyped]
from PIL import Image
from rich.console import Console

from openlink.bench.fanout import FanoutOptions, run_fanout
from openlink.bench.stats import percentile_ms
from openlink.media.process import MediaLimits, MediaPool, process

PHOTO_SIZE = (4_000, 3_000)
CLIP_RATE = 30


def make_photo(path: Path, width: int = PHOTO_SIZE[0], height: int = PHOTO_SIZE[1]) -> Path:
    """A JPEG with a photo's texture (smooth fields and sensor noise) and EXIF to strip."""
    rng = np.random.default_rng(7)
    coarse = rng.integers(0, 255, (height // 100, width // 100, 3), np.uint8)
    base = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    noisy = np.asarray(base).astype(np.int16) + rng.integers(-10, 10, (height, width, 3), np.int16)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, as phones do
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
        path, "JPEG", quality=90, exif=exif
    )
    return path


def make_clip(path: Path, seconds: float, height: int) -> Path:
    """A clip of ``seconds`` at ``height`` lines (16:9), 30 fps, with a tone: a drifting
    gradient and a moving block, so the encoder has motion to follow."""
    width = round(height * 16 / 9 / 2) * 2
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) % 256)], -1).astype(np.uint8)
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=CLIP_RATE)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": "18"}
        aus = out.add_stream("aac", rate=48_000, layout="stereo")
        for i in range(round(seconds * CLIP_RATE)):
            rgb = np.roll(base, i * 4, axis=1)
            top, left = (i * 7) % (height - height // 4), (i * 11) % (width - width // 4)
            rgb[top : top + height // 4, left : left + width // 4] = (240, 40, 40)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, CLIP_RATE)
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        t = np.arange(round(seconds * 48_000)) / 48_000
        pcm = (np.sin(2 * np.pi * 220 * t) * 0.3).astype(np.float32)
        for start in range(0, len(pcm), 1024):
            chunk = np.ascontiguousarray(np.stack([pcm[start : start + 1024]] * 2))
            sound = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            sound.sample_rate, sound.pts, sound.time_base = 48_000, start, Fraction(1, 48_000)
            out.mux(aus.encode(sound))
        out.mux(aus.encode(None))
    return path


def _cpu_s(pool: MediaPool) -> float:
    """CPU seconds the (one, idle) worker has used: on a shared machine a steadier figure
    than the time on the clock."""
    (pid,) = pool.pids()
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def _thumbs(
    pool: MediaPool, photo: Path, work: Path, n: int, limits: MediaLimits
) -> tuple[list[float], list[float]]:
    await process("image", photo, work, limits, pool=pool)  # warm the worker
    times, cpu = [], []
    for _ in range(n):
        cpu_before, start = _cpu_s(pool), time.perf_counter()
        await process("image", photo, work, limits, pool=pool)
        times.append(time.perf_counter() - start)
        cpu.append(_cpu_s(pool) - cpu_before)
    return times, cpu


def bench_thumb(
    n: int = 20, *, limits: MediaLimits | None = None, size: tuple[int, int] = PHOTO_SIZE
) -> dict[str, Any]:
    """Process a JPEG of ``size`` (12 megapixels) ``n`` times; p50/p99 of one photo, in ms."""
    limits = limits or MediaLimits(worker_nice=0)
    with tempfile.TemporaryDirectory(prefix="openlink-bench-media-") as tmp:
        photo = make_photo(Path(tmp) / "photo.jpg", *size)
        work = Path(tmp) / "work"
        work.mkdir()
        with MediaPool(workers=1, nice=limits.worker_nice, timeout_s=600) as pool:
            times, cpu = asyncio.run(_thumbs(pool, photo, work, n, limits))
    times.sort()
    cpu.sort()
    return {
        "thumb_p50_ms": percentile_ms(times, 50, 1),
        "thumb_p99_ms": percentile_ms(times, 99, 1),
        "thumb_cpu_p50_ms": percentile_ms(cpu, 50, 1),
        "thumbs": n,
        "photo_pixels": size[0] * size[1],
    }


def bench_transcode(
    seconds: float = 30.0, height: int = 1080, *, limits: MediaLimits | None = None
) -> dict[str, Any]:
    """Make a ``seconds`` clip at ``height`` lines, transcode it as an upload is; the
    speed as a multiple of real time (2.0: a 30 s clip takes 15 s)."""
    limits = limits or MediaLimits(worker_nice=0)
    limits = replace(limits, video_max_duration_s=max(limits.video_max_duration_s, seconds))
    with tempfile.TemporaryDirectory(prefix="openlink-bench-media-") as tmp:
        made = time.perf_counter()
        clip = make_clip(Path(tmp) / "clip.mp4", seconds, height)
        made = time.perf_counter() - made
        work = Path(tmp) / "work"
        work.mkdir()
        with MediaPool(workers=1, nice=limits.worker_nice, timeout_s=3_600) as pool:
            asyncio.run(pool.start())
            cpu_before, start = _cpu_s(pool), time.perf_counter()
            done = asyncio.run(process("video", clip, work, limits, pool=pool))
            took = time.perf_counter() - start
            cpu = _cpu_s(pool) - cpu_before
    return {
        "transcode_x_realtime": round(seconds / took, 2),
        "transcode_x_realtime_per_cpu": round(seconds / cpu, 2),
        "transcode_s": round(took, 2),
        "transcode_source": f"{round(height * 16 / 9 / 2) * 2}x{height}@{CLIP_RATE}",
        "transcode_output": f"{done.width}x{done.height}",
        "clip_seconds": seconds,
        "clip_made_s": round(made, 2),
        "ffmpeg_threads": limits.ffmpeg_threads,
    }


class MediaLoad:
    """Uploads during the fan-out's send phase: one video (``clip``, transcoded in the
    background by the server's worker), then photos until cancelled: ``photos_per_s``
    a second, each on its schedule whether or not the last was answered (at most
    ``PHOTOS_IN_FLIGHT`` at once), or one after another with 0.

    The uploads run in a process of their own: in the load generator's event loop they
    would slow its members' reading, and the ratio would measure the load generator. It
    runs on the load generator's core (inherited), away from the server's: it stands
    for clients on other machines."""

    def __init__(
        self, photo: bytes, clip: bytes, photos_per_s: float = 0.0, settle_s: float = 1.0
    ) -> None:
        self.photo, self.clip = photo, clip
        #: Photo uploads a second (0: one after another, as fast as answered).
        self.photos_per_s = photos_per_s
        #: Seconds between the video's upload and the first message: the worker starts
        #: the transcode before chat starts.
        self.settle_s = settle_s
        #: ``photos_sent``: uploads begun; ``photo_uploads``: those answered 201 before
        #: the run ended (the rest were cut off with it).
        self.counts: dict[str, int] = {"video_uploads": 0, "photo_uploads": 0, "photos_sent": 0}
        self.errors: dict[str, int] = {}

    async def run(self, base_url: str, room_id: str, token: str, ready: asyncio.Event) -> None:
        mp = multiprocessing.get_context("spawn")
        started, stop = mp.Event(), mp.Event()
        receive, send = mp.Pipe(duplex=False)
        load = (self.photo, self.clip, self.photos_per_s, self.settle_s)
        args = (base_url, room_id, token, *load, started, stop, send)
        proc = mp.Process(target=_upload_process, args=args, name="bench-uploads", daemon=True)
        proc.start()
        try:
            if not await asyncio.to_thread(started.wait, 120):
                raise RuntimeError("the uploads did not start in 120 s")
            ready.set()
            await asyncio.Event().wait()  # until the fan-out cancels it
        finally:
            stop.set()
            report = await asyncio.to_thread(_collect, receive, proc)
            self.counts.update(report["counts"])
            self.errors.update(report["errors"])

    def report(self) -> dict[str, Any]:
        return {**self.counts, "errors": self.errors}


def _collect(receive: Connection, proc: BaseProcess) -> dict[str, Any]:
    report: dict[str, Any] = {"counts": {}, "errors": {"no_report": 1}}
    if receive.poll(60):
        report = receive.recv()
    proc.join(10)
    if proc.is_alive():
        proc.kill()
    return report


#: Photo uploads waiting for their answers at once, at most (``--photos-per-s`` > 0).
PHOTOS_IN_FLIGHT = 16


def _upload_process(
    base_url: str,
    room_id: str,
    token: str,
    photo: bytes,
    clip: bytes,
    photos_per_s: float,
    settle_s: float,
    started: EventType,
    stop: EventType,
    send: Connection,
) -> None:
    counts = {"video_uploads": 0, "photo_uploads": 0, "photos_sent": 0}
    errors: dict[str, int] = {}

    async def upload(http: httpx.AsyncClient, data: bytes, kind: str) -> bool:
        answer = await http.post(
            "/api/media", params={"room": room_id, "kind": kind, "name": kind}, content=data
        )
        if answer.status_code == 201:
            return True
        code = str(answer.json().get("error", {}).get("code", answer.status_code))
        errors[code] = errors.get(code, 0) + 1
        return False

    async def main() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as http:
            counts["video_uploads"] += await upload(http, clip, "video")
            # Let the worker start the transcode before chat starts.
            await asyncio.sleep(settle_s)
            started.set()
            if photos_per_s > 0:
                await paced_photos(http)
                return
            while not stop.is_set():
                counts["photos_sent"] += 1
                if await upload(http, photo, "image"):
                    counts["photo_uploads"] += 1
                else:
                    await asyncio.sleep(0.2)

    async def paced_photos(http: httpx.AsyncClient) -> None:
        # Each photo leaves on its schedule, whether or not the last was answered (a
        # photo's answer waits for its processing, which queues behind the transcode):
        # several clients uploading, not one waiting for each.
        in_flight: set[asyncio.Task[None]] = set()

        async def one() -> None:
            if await upload(http, photo, "image"):
                counts["photo_uploads"] += 1

        next_at = time.monotonic()
        try:
            while not stop.is_set():
                if len(in_flight) < PHOTOS_IN_FLIGHT:
                    counts["photos_sent"] += 1
                    task = asyncio.create_task(one())
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                next_at += 1 / photos_per_s
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    try:
        asyncio.run(main())
    finally:
        send.send({"counts": counts, "errors": errors})


#: The bench server takes uploads as fast as the load sends them.
MEDIA_BENCH_ENV = {
    "OPENLINK_MEDIA_UPLOADS_PER_ACCOUNT": "0",
    "OPENLINK_MEDIA_ACCOUNT_QUOTA_BYTES": "0",
    "OPENLINK_MEDIA_ROOM_QUOTA_BYTES": "0",
}


def bench_fanout_ratio(
    *,
    members: int,
    messages: int,
    senders: int,
    clip_seconds: float,
    photos_per_s: float,
    console: Console,
    rounds: int = 2,
    settle_s: float = 2.0,
) -> dict[str, Any]:
    """``rounds`` pairs of fan-out runs, one without media work and one with, each on a
    fresh server; the order alternates (quiet first in odd rounds, loaded first in even
    ones), so that a machine getting busier or quieter over the runs, or a first run
    warmer or colder than the next, weighs on both sides alike. The ratio is the loaded
    runs' mean rate over the quiet runs'. ``settle_s``: the fan-out's pauses around
    connecting, and (at most 1 s of it) the uploads' between the video and the chat."""
    with tempfile.TemporaryDirectory(prefix="openlink-bench-media-") as tmp:
        photo = make_photo(Path(tmp) / "photo.jpg", 2_000, 1_500).read_bytes()
        clip = make_clip(Path(tmp) / "clip.mp4", clip_seconds, 720).read_bytes()
    base = FanoutOptions(
        members=members,
        messages=messages,
        senders=senders,
        settle_s=settle_s,
        quiet=True,
        server_env=MEDIA_BENCH_ENV,
    )
    runs: list[dict[str, Any]] = []
    loads: list[MediaLoad] = []
    for k in range(rounds):
        for with_media in (False, True) if k % 2 == 0 else (True, False):
            what = "with photo uploads and a video transcode" if with_media else "no media work"
            console.print(f"fan-out {len(runs) + 1}/{2 * rounds}: {members} members, {what} ...")
            load = MediaLoad(photo, clip, photos_per_s, min(settle_s, 1.0)) if with_media else None
            run = run_fanout(replace(base, background=load))
            if load is not None:
                loads.append(load)
            runs.append({"media": with_media, **{key: run[key] for key in _RUN_KEYS}})
    quiet = [r for r in runs if not r["media"]]
    loaded = [r for r in runs if r["media"]]
    before, during = _mean(quiet, "deliveries_per_s"), _mean(loaded, "deliveries_per_s")
    per_cpu = _mean(quiet, "deliveries_per_server_cpu_s")
    per_cpu_loaded = _mean(loaded, "deliveries_per_server_cpu_s")
    return {
        "fanout_ratio": round(during / before, 3) if before and during else None,
        # The same in deliveries per CPU-second of the server: what media work costs the
        # chat server's own CPU, steadier than the clock on a machine others use.
        "fanout_cpu_ratio": (
            round(per_cpu_loaded / per_cpu, 3) if per_cpu and per_cpu_loaded else None
        ),
        "fanout_rounds": rounds,
        "fanout_members": members,
        "fanout_messages": messages,
        "fanout_deliveries_per_s": before,
        "fanout_deliveries_per_s_with_media": during,
        "fanout_lost": (sum(r["lost"] for r in quiet), sum(r["lost"] for r in loaded)),
        "fanout_p99_ms": (_mean(quiet, "p99_ms"), _mean(loaded, "p99_ms")),
        "fanout_server_cpu_s": (_mean(quiet, "server_cpu_s"), _mean(loaded, "server_cpu_s")),
        # Where the server's extra CPU went: its event loop (reading the uploads' bodies,
        # storing the variants), or its threads (the upload's file writes and hashing).
        "fanout_server_loop_cpu_s": (
            _mean(quiet, "server_loop_cpu_s"),
            _mean(loaded, "server_loop_cpu_s"),
        ),
        "fanout_server_threads_cpu_s": (
            _mean(quiet, "server_threads_cpu_s"),
            _mean(loaded, "server_threads_cpu_s"),
        ),
        "fanout_send_s": (_mean(quiet, "send_s"), _mean(loaded, "send_s")),
        "fanout_runs": runs,
        "fanout_media_load": _merged_reports(loads),
        "fanout_clip_seconds": clip_seconds,
        "fanout_photos_per_s": photos_per_s,
    }


#: Each fan-out run's own figures, in ``fanout_runs`` (``server_cpu_count_pinned``: every
#: run had the server on a core of its own, away from the load generator's).
_RUN_KEYS = (
    "deliveries_per_s",
    "deliveries_per_server_cpu_s",
    "send_s",
    "server_cpu_s",
    "server_loop_cpu_s",
    "server_threads_cpu_s",
    "server_cpu_busy",
    "client_cpu_busy",
    "other_cpu_s",
    "p99_ms",
    "lost",
    "server_cpu_count_pinned",
)


def _mean(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return round(sum(values) / len(values), 3) if values else None


def _merged_reports(loads: list[MediaLoad]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    errors: dict[str, int] = {}
    for load in loads:
        for key, n in load.counts.items():
            counts[key] = counts.get(key, 0) + n
        for key, n in load.errors.items():
            errors[key] = errors.get(key, 0) + n
    return {**counts, "errors": errors}


def run_media_bench(
    *,
    thumbs: int = 20,
    photo_width: int = PHOTO_SIZE[0],
    seconds: float = 30.0,
    height: int = 1080,
    nice: int = 0,
    members: int = 300,
    messages: int = 300,
    senders: int = 10,
    fanout: bool = True,
    photos_per_s: float = 2.0,
    rounds: int = 2,
    settle_s: float = 2.0,
) -> dict[str, Any]:
    console = Console(stderr=True)
    limits = MediaLimits(worker_nice=nice)
    size = (photo_width, photo_width * 3 // 4)
    console.print(f"photos: a {size[0]}x{size[1]} JPEG, {thumbs} times ...")
    result: dict[str, Any] = {"bench": "media", **bench_thumb(thumbs, limits=limits, size=size)}
    console.print(
        f"  p50 {result['thumb_p50_ms']} ms, p99 {result['thumb_p99_ms']} ms "
        f"(CPU p50 {result['thumb_cpu_p50_ms']} ms)"
    )
    console.print(f"video: a {seconds:g} s clip at {height} lines, made then transcoded ...")
    result.update(bench_transcode(seconds, height, limits=limits))
    console.print(
        f"  {result['transcode_x_realtime']}x real time ({result['transcode_s']} s; "
        f"{result['transcode_x_realtime_per_cpu']}x per CPU second) "
        f"{result['transcode_source']} -> {result['transcode_output']}"
    )
    result["worker_nice"] = nice
    result["fanout_ratio"] = None
    if fanout:
        result.update(
            bench_fanout_ratio(
                members=members,
                messages=messages,
                senders=senders,
                clip_seconds=min(seconds, 20.0),
                photos_per_s=photos_per_s,
                console=console,
                rounds=rounds,
                settle_s=settle_s,
            )
        )
        console.print(
            f"  fan-out {result['fanout_deliveries_per_s']}/s without media work, "
            f"{result['fanout_deliveries_per_s_with_media']}/s with: "
            f"ratio {result['fanout_ratio']}"
        )
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return result
