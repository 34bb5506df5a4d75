"""Pillow helpers shared by the media pipeline and the avatars (``images/normalize.py``):
the pixel-count checks and the upright, metadata-free copy of a picture."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator

from PIL import Image as Pil
from PIL import ImageCms, ImageOps

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


class TooManyPixels(Exception):
    """More pixels than allowed, from the header or from Pillow's own bomb guard."""


@contextlib.contextmanager
def bomb_guard() -> Iterator[None]:
    """Pillow's decompression-bomb guard as an error (:class:`TooManyPixels`), whatever
    the caller's warning filters: the backstop behind the header check."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Pil.DecompressionBombWarning)
            yield
    except (Pil.DecompressionBombError, Pil.DecompressionBombWarning):
        raise TooManyPixels from None


def check_pixels(im: Pil.Image, max_pixels: int) -> None:
    """Refuse from the header, before a single pixel is decoded."""
    if im.width * im.height > max_pixels:
        raise TooManyPixels


def has_alpha(im: Pil.Image) -> bool:
    return im.mode in _ALPHA_MODES or (im.mode == "P" and "transparency" in im.info)


def upright(im: Pil.Image, *, srgb: bool = False) -> Pil.Image:
    """The decoded picture turned as its EXIF orientation says, in RGB or RGBA, with no
    metadata left (``info`` is emptied: only the pixels are written back). With ``srgb``
    the colours are converted from an embedded ICC profile to sRGB first, so dropping the
    profile does not change how they look."""
    turned = ImageOps.exif_transpose(im)
    mode = "RGBA" if has_alpha(turned) else "RGB"
    icc = turned.info.get("icc_profile") if srgb else None
    out = turned.convert(mode)
    if icc:
        out = _to_srgb(out, icc)
    out.info = {}
    return out


def _to_srgb(im: Pil.Image, icc: bytes) -> Pil.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            im, source, ImageCms.createProfile("sRGB"), outputMode=im.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im  # a broken profile: keep the pixels as they are
    return converted if converted is not None else im
