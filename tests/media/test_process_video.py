"""Videos: H.264/AAC MP4 that a browser can seek at once, at most 720p (or the limit),
upright, with a poster; refused past the limits; the original kept only if asked."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from PIL import Image

from openlink.media.process import MediaLimits, MediaPool, MediaRefused, Processed, process
from tests.media.inputs import audio, top_level_boxes, video

LIMITS = MediaLimits()


async def run(
    src: Path, pool: MediaPool, limits: MediaLimits = LIMITS, hint: str | None = "video"
) -> Processed:
    work = src.parent / f"work-{src.stem}"
    work.mkdir(exist_ok=True)
    return await process(hint, src, work, limits, pool=pool)


async def test_a_clip_becomes_a_seekable_h264_aac_mp4_with_a_poster(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    done = await run(video(tmp_path / "clip.mp4", seconds=1.0), media_pool, hint=None)
    assert (done.kind, done.mime, done.width, done.height) == ("video", "video/mp4", 320, 240)
    assert done.duration_ms is not None and 900 <= done.duration_ms <= 1100
    assert [v.name for v in done.variants] == ["video", "poster"]
    out = done.variants[0]
    boxes = top_level_boxes(out.path)
    assert boxes.index("moov") < boxes.index("mdat")  # the index first: seekable at once
    with av.open(str(out.path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
        assert c.streams.audio[0].codec_context.name == "aac"
        assert sum(1 for _ in c.decode(video=0)) == 15
    poster = done.variant("poster")
    assert poster is not None
    with Image.open(poster.path) as im:
        assert im.format == "WEBP" and im.size == (320, 240)
    assert done.blurhash


async def test_large_videos_are_scaled_to_the_transcode_height(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    src = video(
        tmp_path / "wide.webm", seconds=0.4, width=640, height=360, container="webm", codec="libvpx"
    )
    done = await run(src, media_pool, MediaLimits(transcode_height=180))
    assert (done.mime, done.width, done.height) == ("video/webm", 320, 180)


async def test_a_portrait_phone_video_is_turned_upright(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    # Stored 320 x 240 with a display matrix saying "turn 90 degrees": shown 240 x 320.
    src = video(tmp_path / "portrait.mp4", seconds=0.4, rotation=-90, audio=False)
    done = await run(src, media_pool)
    assert (done.width, done.height) == (240, 320)
    with av.open(str(done.variants[0].path)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (240, 320)
        assert not frame.rotation


async def test_a_slow_motion_clip_is_served_at_60_frames_a_second(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    src = video(tmp_path / "slowmo.mp4", seconds=0.5, rate=240, width=160, height=120, audio=False)
    done = await run(src, media_pool)
    with av.open(str(done.variants[0].path)) as c:
        frames = [f.time for f in c.decode(video=0)]
    assert 29 <= len(frames) <= 31  # 120 frames in, half a second at 60 out
    assert done.duration_ms is not None and 450 <= done.duration_ms <= 550


async def test_too_long_is_refused_from_the_header(tmp_path: Path, media_pool: MediaPool) -> None:
    src = video(tmp_path / "long.mp4", seconds=3.0, rate=5, audio=False)
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, MediaLimits(video_max_duration_s=1.0))
    assert (refused.value.code, refused.value.status) == ("media_too_long", 413)


async def test_too_large_a_resolution_is_refused(tmp_path: Path, media_pool: MediaPool) -> None:
    src = video(tmp_path / "big.mp4", seconds=0.2, width=640, height=480, audio=False)
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, MediaLimits(video_max_side=600))
    assert refused.value.code == "media_resolution_too_high"


async def test_the_original_is_kept_only_when_the_operator_says(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    src = video(tmp_path / "keep.mp4", seconds=0.2, audio=False)
    done = await run(src, media_pool, MediaLimits(keep_video_original=True))
    original = done.variant("original")
    assert original is not None and original.path == src and original.mime == "video/mp4"


async def test_sound_in_an_mp4_box_without_a_kind_is_a_file(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    src = audio(tmp_path / "song.mp4", container="mp4", codec="aac")
    done = await run(src, media_pool, hint=None)
    assert (done.kind, done.mime) == ("file", "audio/mp4")
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, hint="video")
    assert refused.value.code == "media_type_mismatch"


async def test_a_cut_short_or_garbled_video_is_refused(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    whole = video(tmp_path / "whole.mp4", seconds=0.5, audio=False).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])  # the index (written last) is gone
    garbled = tmp_path / "garbled.mp4"
    garbled.write_bytes(whole[:32] + bytes(range(256)) * 40)
    for src in (cut, garbled):
        with pytest.raises(MediaRefused) as refused:
            await run(src, media_pool)
        assert (refused.value.code, refused.value.status) == ("media_unreadable", 422)
