"""Opening an upload with FFmpeg (PyAV) safely: only with the demuxer its bytes named
(so FFmpeg never probes its way into a playlist, a concat list or another format that
reads other files or URLs), and the checks shared by videos and voice messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import av.error
from av.stream import Disposition

from openlink.media.process.detect import Sniffed
from openlink.media.process.model import MediaRefused

#: Slack past the limit before a stream's own timestamps count as too long: the header
#: may round, and the last frame's length is not in its timestamp.
DURATION_SLACK_S = 1.0


def open_input(src: Path, sniffed: Sniffed) -> Any:
    try:
        return av.open(str(src), format=sniffed.format, metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        raise MediaRefused(
            "media_unreadable", "The file could not be read as the type its bytes name."
        ) from None


def video_stream(container: Any) -> Any | None:
    """The first real video stream (not a cover picture attached to audio)."""
    for stream in container.streams.video:
        if not stream.disposition & Disposition.attached_pic:
            return stream
    return None


def audio_stream(container: Any) -> Any | None:
    return container.streams.audio[0] if container.streams.audio else None


def header_duration_s(container: Any) -> float | None:
    duration = container.duration  # in AV_TIME_BASE units (microseconds)
    return duration / 1_000_000 if duration and duration > 0 else None


def too_long(max_s: float, what: str) -> MediaRefused:
    return MediaRefused(
        "media_too_long", f"The {what} is longer than {max_s:g} seconds.", max_duration_s=max_s
    )


def check_duration(seconds: float | None, max_s: float, what: str) -> None:
    """Refuse once a header or a decoded timestamp passes the limit (headers can lie or
    be missing, as in browsers' WebM recordings, so decoding checks again)."""
    if seconds is not None and seconds > max_s + DURATION_SLACK_S:
        raise too_long(max_s, what)


def decode_error(what: str) -> MediaRefused:
    return MediaRefused("media_unreadable", f"The {what} could not be decoded.")
