"""What processing takes (:class:`MediaLimits`) and gives back (:class:`Processed`), and
how it refuses (:class:`MediaRefused`). Plain dataclasses: they cross into the worker
processes and back by pickling."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from openlink.config import Settings

# Re-exported: the library's API; defined with the rest of what media is.
from openlink.domain.media import PHASH_SAME_PICTURE as PHASH_SAME_PICTURE
from openlink.domain.media import phash_distance as phash_distance
from openlink.errors import OpenLinkError

Kind = Literal["image", "video", "voice", "file"]
KINDS: tuple[Kind, ...] = ("image", "video", "voice", "file")

#: Refusal codes and their HTTP status: too big for the limits (413), a type this server
#: does not take (415), or a file that is not what it claims or cannot be read (422).
REFUSAL_STATUS = {
    "media_too_large": 413,
    "media_too_large_pixels": 413,
    "media_too_many_frames": 413,
    "media_resolution_too_high": 413,
    "media_too_long": 413,
    "media_type_unsupported": 415,
    "media_type_mismatch": 422,
    "media_polyglot": 422,
    "media_truncated": 422,
    "media_unreadable": 422,
    "media_processing_failed": 422,
    "media_processing_timeout": 422,
}


class MediaRefused(OpenLinkError):
    """The file is refused; ``code`` is one of :data:`REFUSAL_STATUS`. A refusal is about
    the input: the same file is refused again."""

    status = 422
    code = "media_unreadable"

    def __init__(self, code: str, message: str, **details: Any) -> None:
        if code not in REFUSAL_STATUS:
            raise ValueError(f"unknown media refusal code {code!r}")
        super().__init__(message, code=code, **details)
        self.status = REFUSAL_STATUS[code]  # type: ignore[misc]

    def __reduce__(self) -> tuple[Any, ...]:
        # Refusals are raised in the workers and re-raised in the server.
        return (_refused, (self.code, self.message, self.details))


def _refused(code: str, message: str, details: dict[str, Any]) -> MediaRefused:
    return MediaRefused(code, message, **details)


class MediaBusy(OpenLinkError):
    """Too many files are waiting to be processed: try again shortly. Not about the file."""

    status = 503
    code = "media_busy"


@dataclass(frozen=True, slots=True)
class Variant:
    """One file to store and serve. ``name``: ``full``, ``small``/``medium``/``large``
    (image thumbnails), ``poster``, ``video``, ``voice`` or ``original``."""

    name: str
    path: Path
    mime: str
    width: int | None
    height: int | None
    size: int


@dataclass(frozen=True, slots=True)
class Processed:
    kind: Kind
    #: The type found from the bytes of the upload (not of a variant).
    mime: str
    #: As shown: after EXIF orientation or a video's rotation.
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    variants: list[Variant] = field(default_factory=list)
    #: A compact placeholder the client paints while the picture loads (images, videos).
    blurhash: str | None = None
    #: Voice: peak levels of equal slices of the recording, 0-255, loudest = 255.
    waveform: list[int] | None = None
    #: Images: the 64-bit DCT perceptual hash (``imagehash.phash``) as 16 hex digits.
    phash: str | None = None

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """The limits and pool settings processing works within (see ``Settings.media_*``)."""

    max_bytes: int = 100 << 20
    image_max_pixels: int = 50_000_000
    image_max_side: int = 4_096
    animation_max_frames: int = 300
    animation_max_side: int = 480
    thumb_sizes: tuple[int, ...] = (320, 640, 1280)
    video_max_duration_s: float = 600.0
    video_max_side: int = 4_096
    transcode_height: int = 720
    keep_video_original: bool = False
    voice_max_duration_s: float = 600.0
    workers: int = 1
    worker_nice: int = 10
    worker_idle: bool = True
    job_timeout_s: float = 300.0
    queue_max: int = 32
    ffmpeg_threads: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaLimits:
        return cls(
            max_bytes=settings.media_max_bytes,
            image_max_pixels=settings.media_image_max_pixels,
            image_max_side=settings.media_image_max_side,
            animation_max_frames=settings.media_animation_max_frames,
            video_max_duration_s=settings.media_video_max_duration_s,
            video_max_side=settings.media_video_max_side,
            transcode_height=settings.media_transcode_height,
            keep_video_original=settings.media_keep_video_original,
            voice_max_duration_s=settings.media_voice_max_duration_s,
            workers=settings.media_workers or default_workers(),
            worker_nice=settings.media_worker_nice,
            worker_idle=settings.media_worker_idle,
            job_timeout_s=settings.media_job_timeout_s,
            queue_max=settings.media_queue_max,
            ffmpeg_threads=settings.media_ffmpeg_threads,
        )


def default_workers() -> int:
    """Half the cores, at least one: on a 2-core machine one worker, so chat keeps a core."""
    return max(1, (os.cpu_count() or 2) // 2)
