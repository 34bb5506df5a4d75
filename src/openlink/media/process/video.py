"""Videos: probed, refused over the limits, transcoded to H.264/AAC in MP4 with the index
at the front (so a browser can seek before it has the whole file), at most
``transcode_height`` lines on the shorter side, turned upright, with a WebP poster frame.
Runs inside a worker process."""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from PIL import Image as Pil

from openlink.media.process.avinput import (
    audio_stream,
    check_duration,
    decode_error,
    header_duration_s,
    open_input,
    video_stream,
)
from openlink.media.process.detect import Sniffed
from openlink.media.process.image import encode_blurhash
from openlink.media.process.model import MediaLimits, MediaRefused, Processed, Variant

X264_OPTIONS = {"preset": "veryfast", "crf": "23", "profile": "high"}
AUDIO_BIT_RATE = 128_000
#: The poster is the first frame at or after this time (many videos open on black).
POSTER_AT_S = 1.0
_FALLBACK_RATE = Fraction(30)
#: Frames per second served at most: slow-motion clips (120, 240) play at their real
#: speed with frames dropped, instead of costing four or eight times the encoding.
MAX_RATE = Fraction(60)
#: A little under 1/60 s, so that a steady 60 fps clip whose timestamps round keeps all.
MIN_FRAME_GAP_S = 1 / 60 - 0.002


class NotAVideo(Exception):
    """The container holds no video stream (an audio file in an MP4 or WebM box)."""


def process_video(src: Path, workdir: Path, limits: MediaLimits, sniffed: Sniffed) -> Processed:
    with open_input(src, sniffed) as inp:
        v = video_stream(inp)
        if v is None:
            raise NotAVideo
        width, height = v.codec_context.width, v.codec_context.height
        if max(width, height) > limits.video_max_side or width <= 0 or height <= 0:
            raise MediaRefused(
                "media_resolution_too_high",
                f"The video is larger than {limits.video_max_side} pixels a side.",
                max_side=limits.video_max_side,
            )
        header_s = header_duration_s(inp)
        check_duration(header_s, limits.video_max_duration_s, "video")
        job = _Transcode(inp, v, audio_stream(inp), workdir, limits, header_s)
        try:
            job.run()
        except av.error.FFmpegError:
            raise decode_error("video") from None
    return job.result(src, sniffed, limits)


class _Transcode:
    def __init__(
        self,
        inp: Any,
        v: Any,
        a: Any | None,
        workdir: Path,
        limits: MediaLimits,
        header_s: float | None,
    ) -> None:
        self.inp, self.v, self.a, self.limits = inp, v, a, limits
        self.path = workdir / "video.mp4"
        self.poster_path = workdir / "poster.webp"
        self.out: Any = None
        self.ov: Any = None
        self.oa: Any = None
        self.graph: Any = None
        self.size = (0, 0)
        self.poster: Pil.Image | None = None
        self.poster_final = False
        self.header_s = header_s
        self.poster_at = min(POSTER_AT_S, (header_s or 0) / 3)
        self.pending_audio: list[Any] = []
        self.end_s = 0.0
        self.last_frame_s: float | None = None

    def run(self) -> None:
        streams = [s for s in (self.v, self.a) if s is not None]
        self.out = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        try:
            for packet in self.inp.demux(*streams):
                for frame in packet.decode():
                    self._frame(frame)
            if self.ov is None:
                raise decode_error("video")
            self._flush()
        finally:
            if self.ov is None:  # nothing was written: closing may fail, and need not work
                with contextlib.suppress(av.error.FFmpegError):
                    self.out.close()
            else:
                self.out.close()

    def _frame(self, frame: Any) -> None:
        if frame.time is not None:
            self.end_s = max(self.end_s, frame.time)
            check_duration(frame.time, self.limits.video_max_duration_s, "video")
        if isinstance(frame, av.AudioFrame):
            if self.ov is None:
                self.pending_audio.append(frame)  # the output starts with the first picture
            else:
                self._mux(self.oa, frame)
            return
        if self.ov is None:
            self._open_output(frame)
            for pending in self.pending_audio:
                self._mux(self.oa, pending)
            self.pending_audio.clear()
        elif self._too_soon(frame.time):
            return  # over MAX_RATE (a slow-motion clip): the frame is dropped
        self.last_frame_s = frame.time
        self.graph.vpush(frame)
        while True:
            try:
                scaled = self.graph.vpull()
            except (av.error.BlockingIOError, av.error.EOFError):
                break
            self._take_poster(scaled)
            self._mux(self.ov, scaled)

    def _too_soon(self, at: float | None) -> bool:
        last = self.last_frame_s
        return at is not None and last is not None and at < last + MIN_FRAME_GAP_S

    def _open_output(self, frame: Any) -> None:
        rotation = round(frame.rotation or 0) % 360
        turned = rotation in (90, 270)
        shown_w, shown_h = (frame.height, frame.width) if turned else (frame.width, frame.height)
        self.size = out_w, out_h = scaled_size(shown_w, shown_h, self.limits.transcode_height)
        self.graph = _filter_graph(self.v, rotation, out_w, out_h)
        rate = min(self.v.average_rate or self.v.guessed_rate or _FALLBACK_RATE, MAX_RATE)
        self.ov = self.out.add_stream("libx264", rate=rate)
        self.ov.width, self.ov.height, self.ov.pix_fmt = out_w, out_h, "yuv420p"
        self.ov.codec_context.time_base = self.v.time_base
        self.ov.options = dict(X264_OPTIONS)
        if self.limits.ffmpeg_threads:
            self.ov.codec_context.thread_count = self.limits.ffmpeg_threads
        if self.a is not None:
            self.oa = self.out.add_stream("aac", rate=48_000, layout="stereo")
            self.oa.bit_rate = AUDIO_BIT_RATE

    def _take_poster(self, frame: Any) -> None:
        """The first frame, replaced once by the first one at or after ``poster_at``."""
        if self.poster_final:
            return
        at = frame.time or 0.0
        if self.poster is None or at >= self.poster_at:
            self.poster = frame.to_image()
            self.poster_final = at >= self.poster_at

    def _mux(self, stream: Any, frame: Any | None) -> None:
        if stream is not None:
            self.out.mux(stream.encode(frame))

    def _flush(self) -> None:
        self._mux(self.ov, None)
        self._mux(self.oa, None)

    def result(self, src: Path, sniffed: Sniffed, limits: MediaLimits) -> Processed:
        assert self.poster is not None
        self.poster.save(self.poster_path, "WEBP", quality=80, method=4)
        width, height = self.size
        # The last frame's start is a little short of the length; the header is exact
        # unless it lies, and then the decoded timestamps win.
        header = self.header_s
        seconds = header if header is not None and abs(header - self.end_s) < 2 else self.end_s
        duration_ms = round(seconds * 1000)
        variants = [
            _variant("video", self.path, "video/mp4", width, height),
            _variant("poster", self.poster_path, "image/webp", width, height),
        ]
        if limits.keep_video_original:
            variants.append(_variant("original", src, sniffed.mime, None, None))
        return Processed(
            kind="video",
            mime=sniffed.mime,
            width=width,
            height=height,
            duration_ms=duration_ms,
            variants=variants,
            blurhash=encode_blurhash(self.poster),
        )


def scaled_size(width: int, height: int, max_short: int) -> tuple[int, int]:
    """``width`` x ``height`` scaled so that the shorter side is at most ``max_short``,
    both even (H.264 in 4:2:0 needs it)."""
    scale = min(1.0, max_short / min(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _filter_graph(v: Any, rotation: int, width: int, height: int) -> Any:
    """Turn (as the stream's display matrix says, counter-clockwise degrees), scale,
    and convert to 4:2:0, in FFmpeg's filters."""
    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=v)]
    if rotation == 90:
        nodes.append(graph.add("transpose", "cclock"))
    elif rotation == 270:
        nodes.append(graph.add("transpose", "clock"))
    elif rotation == 180:
        nodes += [graph.add("hflip"), graph.add("vflip")]
    nodes += [
        graph.add("scale", f"{width}:{height}"),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ]
    graph.link_nodes(*nodes).configure()
    return graph


def _variant(name: str, path: Path, mime: str, width: int | None, height: int | None) -> Variant:
    return Variant(name, path, mime, width, height, path.stat().st_size)
