"""Media the tests make for themselves: photos with Pillow, clips with PyAV."""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo(width: int, height: int, seed: int = 1) -> Image.Image:
    """A picture with the texture of a photo: smooth colour fields and sensor noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (max(2, height // 100), max(2, width // 100), 3), np.uint8)
    im = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    noisy = np.asarray(im).astype(np.int16) + rng.integers(-12, 12, (height, width, 3), np.int16)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def camera_jpeg(path: Path, width: int, height: int, *, orientation: int = 1) -> Path:
    """A JPEG as a phone writes it: EXIF with a camera model, an orientation and a GPS
    position."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x0110] = "OpenLink Test Phone"  # Model
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    photo(width, height).save(path, "JPEG", quality=90, exif=exif)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width`` x ``height`` (a pixel bomb), with a tiny body."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 64)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )
    return path


def animated_gif(path: Path, frames: int = 4, side: int = 64) -> Path:
    images = [
        Image.new("RGB", (side, side), (i * 60 % 256, 80, 255 - i * 60 % 256))
        for i in range(frames)
    ]
    images[0].save(path, save_all=True, append_images=images[1:], duration=80, loop=0)
    return path


def video(
    path: Path,
    *,
    seconds: float = 1.0,
    width: int = 320,
    height: int = 240,
    rate: int = 15,
    audio: bool = True,
    rotation: int = 0,
    container: str = "mp4",
    codec: str = "libx264",
) -> Path:
    """A clip of moving bars (and a 440 Hz tone), encoded fast."""
    with av.open(str(path), "w", format=container) as out:
        vs = out.add_stream(codec, rate=rate)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            vs.options = {"preset": "ultrafast"}
        elif codec == "libvpx":
            vs.options = {"deadline": "realtime", "cpu-used": "8"}
        if rotation:
            vs.set_display_rotation(rotation)
        a = (
            out.add_stream("aac" if container == "mp4" else "libopus", rate=48_000)
            if audio
            else None
        )
        frames = round(seconds * rate)
        x = np.arange(width)
        for i in range(frames):
            row = ((x + i * 8) % 64 * 4).astype(np.uint8)
            rgb = np.repeat(np.repeat(row[None, :, None], height, 0), 3, 2)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if a is not None:
            _tone(out, a, seconds)
    return path


def audio(
    path: Path, *, seconds: float = 1.0, container: str, codec: str, silent: bool = False
) -> Path:
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=48_000, layout="mono")
        _tone(out, stream, seconds, silent=silent)
    return path


def _tone(
    out: av.container.OutputContainer,
    stream: av.AudioStream,
    seconds: float,
    *,
    silent: bool = False,
) -> None:
    rate = 48_000
    t = np.arange(round(seconds * rate)) / rate
    # A tone that swells: the waveform has a shape to check.
    level = 0.0 if silent else 0.8
    pcm = (np.sin(2 * np.pi * 440 * t) * level * t / max(seconds, 1e-9)).astype(np.float32)
    step = 960
    for start in range(0, len(pcm), step):
        chunk = pcm[None, start : start + step]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def top_level_boxes(path: Path) -> list[str]:
    """The order of an MP4's top-level boxes (``moov`` before ``mdat``: faststart)."""
    data = path.read_bytes()
    boxes, at = [], 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        at += size
    return boxes
