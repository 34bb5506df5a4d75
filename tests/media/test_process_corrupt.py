"""Damaged files of every kind end in a result or a refusal with its own code: never an
unclassified failure, never a dead worker."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from openlink.media.process import MediaLimits, MediaPool, MediaRefused, process
from tests.media.inputs import animated_gif, audio, photo, video

LIMITS = MediaLimits()


def originals(tmp_path: Path) -> dict[str, tuple[str, bytes]]:
    photo(96, 64).save(tmp_path / "p.jpg", quality=85)
    photo(96, 64).save(tmp_path / "p.png")
    return {
        "jpeg": ("image", (tmp_path / "p.jpg").read_bytes()),
        "png": ("image", (tmp_path / "p.png").read_bytes()),
        "gif": ("image", animated_gif(tmp_path / "a.gif", frames=3, side=32).read_bytes()),
        "mp4": ("video", video(tmp_path / "v.mp4", seconds=0.3, width=64, height=48).read_bytes()),
        "ogg": (
            "voice",
            audio(tmp_path / "a.ogg", seconds=0.3, container="ogg", codec="libopus").read_bytes(),
        ),
    }


def damaged(data: bytes, rng: random.Random) -> bytes:
    """Some bytes changed past the signature (so the type is still found), or cut."""
    if rng.random() < 0.3:
        return data[: rng.randrange(16, len(data))]
    out = bytearray(data)
    for _ in range(rng.randrange(1, 12)):
        at = rng.randrange(16, len(out))
        out[at] = rng.randrange(256)
    return bytes(out)


@pytest.mark.timeout(300)
async def test_damaged_media_is_processed_or_refused_with_a_code(tmp_path: Path) -> None:
    rng = random.Random(14)
    codes: dict[str, int] = {}
    with MediaPool(workers=1, nice=5, timeout_s=30) as pool:
        for name, (kind, data) in originals(tmp_path).items():
            for i in range(12):
                src = tmp_path / f"{name}-{i}"
                src.write_bytes(damaged(data, rng))
                try:
                    await process(kind, src, tmp_path / f"work-{name}-{i}", LIMITS, pool=pool)
                    code = "ok"
                except MediaRefused as exc:
                    code = exc.code
                codes[code] = codes.get(code, 0) + 1
        assert pool.stats["restarts"] == 0, codes
    assert "media_processing_failed" not in codes, codes
    assert "media_processing_timeout" not in codes, codes
