"""The one entry point: :func:`process` an uploaded file.

The type is found from the bytes on the event loop's side (a few KiB read in a thread,
and a table), which also settles plain files at once; photos, videos and voice messages
go to the worker pool."""

from __future__ import annotations

import asyncio
from pathlib import Path

from openlink.media.process.detect import Sniffed, check_not_polyglot, read_ends, sniff
from openlink.media.process.model import KINDS, Kind, MediaLimits, MediaRefused, Processed, Variant
from openlink.media.process.pool import MediaPool

#: Which sniffed families each kind the client asks for may be.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "image": ("image",),
    "video": ("av",),
    "voice": ("av", "audio"),
}
_WHAT = {"image": "picture", "video": "video", "voice": "recording"}
#: Types a browser would render or run: a file is never labelled with them.
_NEVER_LABELLED = ("text/", "image/svg", "application/xhtml", "application/xml")

_default_pool: MediaPool | None = None


async def process(
    kind_hint: str | None,
    src_path: Path,
    workdir: Path,
    limits: MediaLimits,
    *,
    pool: MediaPool | None = None,
) -> Processed:
    """Check and process the upload at ``src_path``, writing its variants into
    ``workdir`` (made if missing; the caller owns it, and empties it after a refusal).

    ``kind_hint`` is what the client sends the file as: ``image``, ``video`` or
    ``voice`` must be that (``media_type_mismatch`` otherwise), ``file`` is kept as it
    is, and ``None`` takes photos and videos as such and anything else as a file. Raises
    :class:`MediaRefused` for a file refused, :class:`MediaBusy` when the queue is full."""
    if kind_hint is not None and kind_hint not in KINDS:
        raise ValueError(f"unknown kind {kind_hint!r}")
    head, tail, size = await asyncio.to_thread(read_ends, src_path)
    kind, sniffed = plan(kind_hint, head, tail, size, limits)
    if kind == "file":
        return as_file(src_path, sniffed, size)
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    result = await (pool or default_pool(limits)).run((kind, sniffed, src_path, workdir, limits))
    if result is not None:
        return result
    if kind_hint == "video":
        raise MediaRefused("media_type_mismatch", "The file holds no video.", expected="video")
    return as_file(src_path, sniffed, size, no_video=True)


def plan(
    kind_hint: str | None, head: bytes, tail: bytes, size: int, limits: MediaLimits
) -> tuple[Kind, Sniffed]:
    """The kind to process a file as, from its first and last bytes; or a refusal."""
    if size > limits.max_bytes:
        raise MediaRefused(
            "media_too_large",
            f"The file is larger than {limits.max_bytes} bytes.",
            max_bytes=limits.max_bytes,
        )
    if size == 0:
        raise MediaRefused("media_unreadable", "The file is empty.")
    sniffed = sniff(head)
    if kind_hint == "file":
        return "file", sniffed
    if kind_hint is None:
        if sniffed.family == "image" and not sniffed.unsupported:
            kind: Kind = "image"
        elif sniffed.family == "av":
            kind = "video"
        else:
            return "file", sniffed
    else:
        kind = kind_hint  # type: ignore[assignment]
        if sniffed.family not in _FAMILIES[kind]:
            if sniffed.unsupported and kind == "image":
                raise _unsupported(sniffed)
            raise MediaRefused(
                "media_type_mismatch",
                f"The file is not a {_WHAT[kind]} in a format this server takes.",
                expected=kind,
            )
        if sniffed.unsupported:
            raise _unsupported(sniffed)
    check_not_polyglot(head, tail, _WHAT[kind])
    return kind, sniffed


def _unsupported(sniffed: Sniffed) -> MediaRefused:
    return MediaRefused(
        "media_type_unsupported",
        f"This server does not take {sniffed.mime} pictures; send it as a file.",
        type=sniffed.mime,
    )


def as_file(src: Path, sniffed: Sniffed, size: int, *, no_video: bool = False) -> Processed:
    mime = sniffed.mime
    if no_video:
        mime = mime.replace("video/", "audio/")
    if mime.startswith(_NEVER_LABELLED):
        mime = "application/octet-stream"
    return Processed(
        kind="file", mime=mime, variants=[Variant("original", src, mime, None, None, size)]
    )


def default_pool(limits: MediaLimits) -> MediaPool:
    """The process-wide pool, made at first use with ``limits``' pool settings."""
    global _default_pool
    if _default_pool is None:
        _default_pool = MediaPool.from_limits(limits)
    return _default_pool


def stop_default_pool() -> None:
    global _default_pool
    if _default_pool is not None:
        _default_pool.stop()
        _default_pool = None
