"""The stand-in for the processing library (``media/process/``) until it lands: files
only. It follows that library's seam, ``await process(kind_hint, src_path, workdir,
limits) -> Processed``, raising :class:`MediaRefused` for input it will not take, so the
upload path does not change when the real one replaces it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openlink.domain.media import DOWNLOAD_TYPE, ORIGINAL, MediaKind


class MediaRefused(Exception):
    """Input the processing refuses: a 4xx with ``code``, nothing stored."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Output:
    """One file the processing made (or kept): a variant to store."""

    variant: str
    path: Path
    mime: str
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


@dataclass(slots=True)
class Processed:
    kind: MediaKind
    #: The type detected from the bytes: what the original is served as.
    mime: str
    outputs: list[Output]
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    blurhash: str | None = None
    waveform: list[int] | None = None
    #: Anything else the processing computed (a perceptual hash…).
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int


async def process(kind_hint: str, src_path: Path, workdir: Path, limits: Limits) -> Processed:
    """A file is kept as it is and served as a download, whatever its bytes."""
    if kind_hint != MediaKind.FILE:
        raise MediaRefused(
            "media_kind_unsupported",
            f"This server takes files only for now, not {kind_hint!r} uploads.",
        )
    return Processed(
        kind=MediaKind.FILE,
        mime=DOWNLOAD_TYPE,
        outputs=[Output(ORIGINAL, src_path, DOWNLOAD_TYPE)],
    )
