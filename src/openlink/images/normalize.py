"""Decode, check and re-encode a picture before the instance serves it.

Re-encoding is what makes a picture safe to serve: only the pixels survive, so EXIF
(camera, GPS position, time), comments and any bytes that could pass for another file
type are gone. Decoding is CPU work on untrusted input: it runs in a worker thread, at
most two at a time, with the size checked before the pixels are.
"""

from __future__ import annotations

import io
import threading

from PIL import Image as Pil
from PIL import UnidentifiedImageError

from openlink.domain.images import Image, image_id
from openlink.errors import InvalidInput, PayloadTooLarge
from openlink.media.process.pixels import TooManyPixels, bomb_guard, check_pixels, upright

#: What members' pictures come as; anything else (SVG, TIFF, BMP, ...) is refused.
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
OUTPUT_TYPE = "image/webp"
OUTPUT_QUALITY = 85
# A large picture decodes into width x height x 4 bytes: bound how many do at once.
_DECODERS = threading.BoundedSemaphore(2)


def too_many_pixels(max_pixels: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The image has more than {max_pixels} pixels.",
        code="image_too_large",
        max_pixels=max_pixels,
    )


def unsupported() -> InvalidInput:
    return InvalidInput(
        "That is not a picture in a format this server takes (JPEG, PNG, GIF or WebP).",
        code="image_unsupported",
    )


def normalize(data: bytes, *, key: bytes, max_pixels: int, max_side: int) -> Image:
    """``data`` as a WebP of at most ``max_side`` pixels a side, upright, with no metadata,
    under its id keyed with ``key`` (the instance's image key).

    Refuses (``image_unsupported``) anything Pillow cannot decode as one of
    :data:`ACCEPTED_FORMATS`, and (``image_too_large``) more than ``max_pixels``."""
    with _DECODERS:
        try:
            with bomb_guard():
                out = _decode(data, max_pixels=max_pixels, max_side=max_side)
                buffer = io.BytesIO()
                out.save(buffer, "WEBP", quality=OUTPUT_QUALITY)
        except TooManyPixels:
            raise too_many_pixels(max_pixels) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            # Truncated or corrupt files surface as any of these.
            raise unsupported() from None
    encoded = buffer.getvalue()
    return Image(
        id=image_id(key, encoded),
        content_type=OUTPUT_TYPE,
        width=out.width,
        height=out.height,
        data=encoded,
    )


def _decode(data: bytes, *, max_pixels: int, max_side: int) -> Pil.Image:
    with Pil.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as im:
        # Opening reads the header only: refuse before a single pixel is decoded.
        check_pixels(im, max_pixels)
        im.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale
        im.load()
        out = upright(im)  # nothing but the pixels is written back
    out.thumbnail((max_side, max_side), Pil.Resampling.LANCZOS)
    return out
