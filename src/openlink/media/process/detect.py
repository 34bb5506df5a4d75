"""What a file is, from its bytes: never from its name or the type the client sent.

A small table of signatures names the container (:func:`sniff`); the decoder then has to
agree, so a file is only taken as a photo if Pillow decodes it as that format, and as a
video or voice message if FFmpeg's demuxer for that container, and no other, reads it.

Accepted:

- photos: JPEG, PNG (and APNG), GIF, WebP, AVIF; HEIC/HEIF when ``pillow-heif`` is
  installed (it is a dependency; an instance without it refuses HEIC as unsupported);
- videos: MP4/QuickTime (ISO BMFF) and WebM/Matroska;
- voice: WebM/Matroska, Ogg, MP4/M4A, WAV, MP3, FLAC;
- files: anything.

Refused for photos, videos and voice (files are served as downloads and need neither):
markup or a PDF header in the first KiB, which a browser or a PDF reader would take for
another type, and a ZIP archive appended at the end (a JAR or ZIP that is also a
picture).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from openlink.media.process.model import MediaRefused

Family = Literal["image", "av", "audio", "other"]

#: Bytes read from the front; the ISO BMFF brands and the EBML doc type are within it.
HEAD_BYTES = 4_096
#: Markup here is what browsers sniff (the MIME sniffing standard reads 512 bytes; PDF
#: readers look for their header in the first 1024).
SNIFF_WINDOW = 1_024
_MARKUP = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<iframe",
    b"<?xml",
    b"%pdf-",
)
# The ZIP end-of-central-directory record: 22 bytes and a comment of up to 64 KiB.
_EOCD = b"PK\x05\x06"
_EOCD_MIN = 22
_TAIL_BYTES = _EOCD_MIN + 0xFFFF

_AVIF_BRANDS = {b"avif", b"avis"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AUDIO_BRANDS = {b"M4A ", b"M4B "}
_QT_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


@dataclass(frozen=True, slots=True)
class Sniffed:
    #: ``image``: Pillow decodes it; ``av``: a container that may hold video (and audio);
    #: ``audio``: an audio-only container; ``other``: not a type processing takes.
    family: Family
    mime: str
    #: Pillow's format name (image) or FFmpeg's demuxer name (av, audio); "" otherwise.
    format: str
    #: A type recognised but not taken (BMP, TIFF, HEIC without pillow-heif, ...).
    unsupported: bool = False


OTHER = Sniffed("other", "application/octet-stream", "")


def heif_available() -> bool:
    try:
        import pillow_heif  # noqa: F401
    except ImportError:  # pragma: no cover - it is a dependency
        return False
    return True


def sniff(head: bytes) -> Sniffed:
    """The type of a file that begins with ``head`` (at least :data:`HEAD_BYTES` of it,
    or all of a shorter file)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg", "JPEG")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png", "PNG")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "image/gif", "GIF")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp", "WEBP")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav", "wav")
    if head[4:8] == b"ftyp":
        return _iso_bmff(head)
    if head[4:8] in _QT_ATOMS:
        return Sniffed("av", "video/quicktime", "mov")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        is_webm = b"webm" in head[:64]
        return Sniffed("av", "video/webm" if is_webm else "video/x-matroska", "matroska")
    if head.startswith(b"OggS"):
        return Sniffed("audio", "audio/ogg", "ogg")
    if head.startswith(b"fLaC"):
        return Sniffed("audio", "audio/flac", "flac")
    if head.startswith(b"ID3") or _mpeg_audio_sync(head):
        return Sniffed("audio", "audio/mpeg", "mp3")
    return _refused_or_other(head)


def _iso_bmff(head: bytes) -> Sniffed:
    size = struct.unpack(">I", head[:4])[0]
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    if major in _AVIF_BRANDS or (major == b"mif1" and brands & _AVIF_BRANDS):
        return Sniffed("image", "image/avif", "AVIF")
    if major in _HEIF_BRANDS:
        return Sniffed("image", "image/heic", "HEIF", unsupported=not heif_available())
    if major in _AUDIO_BRANDS:
        return Sniffed("audio", "audio/mp4", "mp4")
    if major == b"qt  ":
        return Sniffed("av", "video/quicktime", "mov")
    return Sniffed("av", "video/mp4", "mp4")


def _mpeg_audio_sync(head: bytes) -> bool:
    # An MPEG audio frame header: 11 sync bits, then a layer other than 00 (which ADTS
    # AAC uses).
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0


def _refused_or_other(head: bytes) -> Sniffed:
    known = {
        b"BM": "image/bmp",
        b"II*\x00": "image/tiff",
        b"MM\x00*": "image/tiff",
        b"8BPS": "image/vnd.adobe.photoshop",
        b"\x00\x00\x01\x00": "image/x-icon",
        b"%PDF-": "application/pdf",
        b"PK\x03\x04": "application/zip",
    }
    for magic, mime in known.items():
        if head.startswith(magic):
            return Sniffed("other", mime, "", unsupported=mime.startswith("image/"))
    return OTHER


def has_markup(head: bytes) -> bool:
    """Whether the front of the file holds markup (HTML, SVG, XML) or a PDF header."""
    window = head[:SNIFF_WINDOW].lower()
    return any(tag in window for tag in _MARKUP)


def has_trailing_zip(tail: bytes) -> bool:
    """Whether the file ends with a ZIP archive's directory: an end record whose comment
    length reaches exactly the end of the file (which random data almost never does)."""
    start = tail.rfind(_EOCD)
    while start != -1:
        if len(tail) - start >= _EOCD_MIN:
            (comment_len,) = struct.unpack("<H", tail[start + 20 : start + 22])
            if start + _EOCD_MIN + comment_len == len(tail):
                return True
        start = tail.rfind(_EOCD, 0, start)
    return False


def read_ends(path: Path) -> tuple[bytes, bytes, int]:
    """The head, the tail (:data:`_TAIL_BYTES`) and the size of a file."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
        size = f.seek(0, 2)
        f.seek(max(0, size - _TAIL_BYTES))
        tail = f.read()
    return head, tail, size


def check_not_polyglot(head: bytes, tail: bytes, what: str) -> None:
    if has_markup(head):
        raise MediaRefused(
            "media_polyglot", f"The {what} also contains markup a browser could run."
        )
    if has_trailing_zip(tail):
        raise MediaRefused("media_polyglot", f"The {what} has an archive appended to it.")
