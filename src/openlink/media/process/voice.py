"""Voice messages: any common recording (WebM/Opus from browsers, Ogg, M4A, WAV, MP3,
FLAC) decoded and encoded again as mono Opus in WebM, with the peaks the player draws.
Runs inside a worker process.

WebM over Ogg: it is what Chromium and Firefox record in, and Safari plays Opus in WebM
in its current versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from openlink.media.process.avinput import (
    audio_stream,
    check_duration,
    decode_error,
    header_duration_s,
    open_input,
)
from openlink.media.process.detect import Sniffed
from openlink.media.process.model import MediaLimits, MediaRefused, Processed, Variant

RATE = 48_000
BIT_RATE = 32_000
#: Values in the waveform: the peak of each of this many equal slices.
WAVEFORM_BARS = 64
#: The decoded samples are kept as the peak of each 5 ms block, enough for any bar count.
_BLOCK = RATE // 200
_FULL_SCALE = 32_768


def process_voice(src: Path, workdir: Path, limits: MediaLimits, sniffed: Sniffed) -> Processed:
    with open_input(src, sniffed) as inp:
        a = audio_stream(inp)
        if a is None:
            raise MediaRefused("media_type_mismatch", "The file holds no sound.")
        check_duration(header_duration_s(inp), limits.voice_max_duration_s, "voice message")
        path = workdir / "voice.webm"
        try:
            samples, blocks = _transcode(inp, a, path, limits)
        except av.error.FFmpegError:
            raise decode_error("recording") from None
    if samples == 0:
        raise decode_error("recording")
    duration_ms = round(samples * 1000 / RATE)
    return Processed(
        kind="voice",
        mime=sniffed.mime.replace("video/", "audio/"),  # a WebM or MP4 box of sound only
        duration_ms=duration_ms,
        variants=[Variant("voice", path, "audio/webm", None, None, path.stat().st_size)],
        waveform=waveform(blocks),
    )


def _transcode(inp: Any, a: Any, path: Path, limits: MediaLimits) -> tuple[int, np.ndarray]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    peaks: list[np.ndarray] = []
    samples = 0
    with av.open(str(path), "w", format="webm") as out:
        oa = out.add_stream("libopus", rate=RATE, layout="mono")
        oa.bit_rate = BIT_RATE
        for frame in inp.decode(a):
            for mono in resampler.resample(frame):
                samples += mono.samples
                check_duration(samples / RATE, limits.voice_max_duration_s, "voice message")
                peaks.append(_block_peaks(mono.to_ndarray()[0]))
                out.mux(oa.encode(mono))
        for mono in resampler.resample(None):
            samples += mono.samples
            peaks.append(_block_peaks(mono.to_ndarray()[0]))
            out.mux(oa.encode(mono))
        out.mux(oa.encode(None))
    blocks = np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.int32)
    return samples, blocks


def _block_peaks(pcm: np.ndarray) -> np.ndarray:
    magnitudes = np.abs(pcm.astype(np.int32))
    whole = len(magnitudes) // _BLOCK * _BLOCK
    out = magnitudes[:whole].reshape(-1, _BLOCK).max(axis=1)
    if whole < len(magnitudes):
        out = np.append(out, magnitudes[whole:].max())
    return out


def waveform(blocks: np.ndarray, bars: int = WAVEFORM_BARS) -> list[int]:
    """``bars`` values 0-255: the peak of each equal slice, scaled so that the loudest is
    255 (a quiet recording still shows its shape); silence is all zeros."""
    if len(blocks) == 0:
        return [0] * bars
    slices = np.array_split(blocks, bars) if len(blocks) >= bars else _stretch(blocks, bars)
    levels = np.array([s.max() if len(s) else 0 for s in slices], dtype=np.float64)
    loudest = levels.max()
    if loudest < _FULL_SCALE / 1000:  # below -60 dBFS: silence
        return [0] * bars
    return [int(v) for v in np.rint(levels / loudest * 255)]


def _stretch(blocks: np.ndarray, bars: int) -> list[np.ndarray]:
    # Fewer 5 ms blocks than bars (a recording under a third of a second): repeat each.
    index = np.arange(bars) * len(blocks) // bars
    return [blocks[i : i + 1] for i in index]
