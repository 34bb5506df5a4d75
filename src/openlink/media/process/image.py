"""Photos: checked from the header, decoded once, turned upright, stripped of every piece
of metadata (EXIF, GPS, XMP, comments; colours converted to sRGB), and written back as a
full-size copy, WebP thumbnails, a blurhash and a perceptual hash. Animations stay
animated, as animated WebP. Runs inside a worker process."""

from __future__ import annotations

import struct
from pathlib import Path

import blurhash
import imagehash
import numpy as np
from PIL import Image as Pil
from PIL import ImageSequence, UnidentifiedImageError

from openlink.media.process.detect import Sniffed
from openlink.media.process.model import MediaLimits, MediaRefused, Processed, Variant
from openlink.media.process.pixels import TooManyPixels, bomb_guard, check_pixels, upright

try:  # HEIC/HEIF photos (iPhones' default); AVIF is Pillow's own
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - a dependency; detect.py then refuses HEIC
    pass

THUMB_NAMES = ("small", "medium", "large")
THUMB_QUALITY = 80
FULL_QUALITY = 88
#: libwebp's effort, 0-6: 3 writes as small a file as 4 (the default) in a third less time.
WEBP_METHOD = 3
#: An animation may decode this many times the pixels a photo may have, in all its frames.
ANIMATION_BUDGET = 10
#: Blurhash components along the longer and the shorter side.
BLURHASH_COMPONENTS = (4, 3)
_LANCZOS = Pil.Resampling.LANCZOS


def process_image(src: Path, workdir: Path, limits: MediaLimits, sniffed: Sniffed) -> Processed:
    try:
        with bomb_guard(), Pil.open(src, formats=(sniffed.format,)) as im:
            check_pixels(im, limits.image_max_pixels)
            if getattr(im, "n_frames", 1) > 1:
                return _animated(im, workdir, limits, sniffed)
            return _still(im, workdir, limits, sniffed)
    except TooManyPixels:
        raise MediaRefused(
            "media_too_large_pixels",
            f"The picture has more than {limits.image_max_pixels} pixels.",
            max_pixels=limits.image_max_pixels,
        ) from None
    except UnidentifiedImageError:
        raise MediaRefused("media_unreadable", "The picture could not be read.") from None
    except (IndexError, KeyError, TypeError, struct.error):
        # Pillow's parsers fail on damaged headers with these too.
        raise MediaRefused("media_unreadable", "The picture could not be read.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        if "truncated" in str(exc) or isinstance(exc, EOFError):
            raise MediaRefused("media_truncated", "The picture is cut short.") from None
        raise MediaRefused("media_unreadable", "The picture could not be read.") from None


def _still(im: Pil.Image, workdir: Path, limits: MediaLimits, sniffed: Sniffed) -> Processed:
    im.load()
    out = upright(im, srgb=True)
    width, height = out.size
    out = _fit(out, limits.image_max_side)
    full_format, full_mime = _full_format(sniffed.format, out)
    variants = [_save(out, workdir / "full", "full", full_format, full_mime)]
    variants += _thumbnails(out, workdir, limits.thumb_sizes)
    smallest = _smallest(out, variants)
    return Processed(
        kind="image",
        mime=sniffed.mime,
        width=width,
        height=height,
        variants=variants,
        blurhash=encode_blurhash(smallest),
        phash=str(imagehash.phash(smallest)),
    )


def _full_format(source: str, im: Pil.Image) -> tuple[str, str]:
    """Photos stay JPEG (fast to write, read everywhere); lossless stays lossless (PNG);
    the rest, and anything with transparency that is not PNG, becomes WebP."""
    if source in ("PNG", "GIF"):
        return "PNG", "image/png"
    if source in ("JPEG", "HEIF", "AVIF") and im.mode == "RGB":
        return "JPEG", "image/jpeg"
    return "WEBP", "image/webp"


def _thumbnails(out: Pil.Image, workdir: Path, sizes: tuple[int, ...]) -> list[Variant]:
    """The sizes smaller than the picture, plus the smallest one always; each made from
    the next larger one, which is as good and much faster than from the full size."""
    variants = []
    source = out
    for name, side in reversed(list(zip(THUMB_NAMES, sizes, strict=False))):
        if max(source.size) <= side and side != sizes[0]:
            continue
        thumb = _fit(source, side)
        variants.append(_save(thumb, workdir / name, name, "WEBP", "image/webp", THUMB_QUALITY))
        source = thumb
    return variants[::-1]


def _fit(im: Pil.Image, side: int) -> Pil.Image:
    """``im`` scaled to at most ``side`` pixels a side. A box reduction by a whole factor
    first, then Lanczos over the last factor of at most 1.5: as sharp as Lanczos all the
    way, several times faster on a 12-megapixel photo."""
    scale = side / max(im.size)
    if scale >= 1:
        return im
    size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
    return im.resize(size, _LANCZOS, reducing_gap=1.5)


def _smallest(out: Pil.Image, variants: list[Variant]) -> Pil.Image:
    thumbs = [v for v in variants if v.name in THUMB_NAMES]
    if not thumbs:
        return out
    with Pil.open(thumbs[0].path) as im:
        im.load()
        return im.convert(out.mode)


def _animated(im: Pil.Image, workdir: Path, limits: MediaLimits, sniffed: Sniffed) -> Processed:
    frames_total = getattr(im, "n_frames", 1)
    if frames_total > limits.animation_max_frames:
        raise MediaRefused(
            "media_too_many_frames",
            f"The animation has more than {limits.animation_max_frames} frames.",
            max_frames=limits.animation_max_frames,
        )
    width, height = im.size
    if frames_total * width * height > limits.image_max_pixels * ANIMATION_BUDGET:
        raise TooManyPixels  # each frame is within the limit, all of them are not
    side = limits.animation_max_side
    frames: list[Pil.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(im):
        durations.append(int(frame.info.get("duration") or 100))
        rgba = frame.convert("RGBA")
        rgba.thumbnail((side, side), _LANCZOS)
        rgba.info = {}
        frames.append(rgba)
    first = frames[0]
    path = workdir / "full.webp"
    first.save(
        path,
        "WEBP",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=int(im.info.get("loop", 0)),
        quality=THUMB_QUALITY,
        method=WEBP_METHOD,
    )
    full = Variant("full", path, "image/webp", first.width, first.height, path.stat().st_size)
    variants = [full, *_thumbnails(first, workdir, limits.thumb_sizes[:1])]
    smallest = _smallest(first, variants)
    return Processed(
        kind="image",
        mime=sniffed.mime,
        width=width,
        height=height,
        duration_ms=sum(durations),
        variants=variants,
        blurhash=encode_blurhash(smallest),
        phash=str(imagehash.phash(smallest)),
    )


def _save(
    im: Pil.Image, stem: Path, name: str, fmt: str, mime: str, quality: int = FULL_QUALITY
) -> Variant:
    path = stem.with_suffix({"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}[fmt])
    if fmt == "JPEG":
        im.save(path, fmt, quality=quality)  # progressive costs ten times the time
    elif fmt == "PNG":
        im.save(path, fmt, compress_level=6)
    else:
        im.save(path, fmt, quality=quality, method=WEBP_METHOD)
    return Variant(name, path, mime, im.width, im.height, path.stat().st_size)


def encode_blurhash(im: Pil.Image) -> str:
    """A blurhash of ``im`` (scaled down to 32 pixels a side first: the hash keeps a few
    components only, and the pure-Python encoder's time grows with the pixels)."""
    small = im.convert("RGB")
    small.thumbnail((32, 32), Pil.Resampling.BOX)
    long, short = BLURHASH_COMPONENTS
    x, y = (long, short) if small.width >= small.height else (short, long)
    return str(blurhash.encode(np.asarray(small), components_x=x, components_y=y))
