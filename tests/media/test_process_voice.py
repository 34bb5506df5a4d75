"""Voice messages: what browsers and phones record becomes mono Opus in WebM, with its
length and the 64 levels the player draws."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from openlink.media.process import MediaLimits, MediaPool, MediaRefused, Processed, process
from openlink.media.process.voice import waveform
from tests.media.inputs import audio

LIMITS = MediaLimits()


async def run(src: Path, pool: MediaPool, limits: MediaLimits = LIMITS) -> Processed:
    work = src.parent / f"work-{src.stem}"
    work.mkdir(exist_ok=True)
    return await process("voice", src, work, limits, pool=pool)


@pytest.mark.parametrize(
    ("name", "container", "codec", "mime"),
    [
        ("browser.webm", "webm", "libopus", "audio/webm"),
        ("note.ogg", "ogg", "libopus", "audio/ogg"),
        ("memo.m4a", "ipod", "aac", "audio/mp4"),
        ("take.wav", "wav", "pcm_s16le", "audio/wav"),
    ],
)
async def test_recordings_become_opus_with_a_waveform(
    tmp_path: Path, media_pool: MediaPool, name: str, container: str, codec: str, mime: str
) -> None:
    src = audio(tmp_path / name, seconds=1.0, container=container, codec=codec)
    done = await run(src, media_pool)
    assert (done.kind, done.mime) == ("voice", mime)
    assert done.duration_ms is not None and 950 <= done.duration_ms <= 1_100
    (out,) = done.variants
    assert (out.name, out.mime) == ("voice", "audio/webm")
    with av.open(str(out.path)) as c:
        stream = c.streams.audio[0]
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.channels == 1
    wave = done.waveform
    assert wave is not None and len(wave) == 64 and max(wave) == 255
    # The tone swells from silence: the bars rise.
    assert wave[0] < 40 and sum(wave[:16]) * 2 < sum(wave[48:])


async def test_silence_has_a_flat_waveform(tmp_path: Path, media_pool: MediaPool) -> None:
    src = audio(tmp_path / "quiet.ogg", seconds=0.5, container="ogg", codec="libopus", silent=True)
    done = await run(src, media_pool)
    assert done.waveform == [0] * 64


async def test_too_long_is_refused(tmp_path: Path, media_pool: MediaPool) -> None:
    src = audio(tmp_path / "speech.ogg", seconds=3.0, container="ogg", codec="libopus")
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, MediaLimits(voice_max_duration_s=1.0))
    assert (refused.value.code, refused.value.status) == ("media_too_long", 413)


async def test_a_picture_is_not_a_voice_message(tmp_path: Path, media_pool: MediaPool) -> None:
    src = tmp_path / "voice.webm"
    src.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool)
    assert refused.value.code == "media_type_mismatch"


def test_a_very_short_recording_still_has_64_bars() -> None:
    import numpy as np

    assert waveform(np.array([100, 200, 400])) == [64] * 22 + [128] * 21 + [255] * 21
