"""Photos: upright, stripped of every piece of metadata, checked before decoding, with
thumbnails, a blurhash and a perceptual hash that survives recompression."""

from __future__ import annotations

from pathlib import Path

import imagehash
import pytest
from PIL import Image

from openlink.media.process import (
    PHASH_SAME_PICTURE,
    MediaLimits,
    MediaPool,
    MediaRefused,
    Processed,
    phash_distance,
    process,
)
from tests.media.inputs import GPS_IFD, animated_gif, photo, png_header_only

LIMITS = MediaLimits()


async def run(src: Path, pool: MediaPool, limits: MediaLimits = LIMITS) -> Processed:
    work = src.parent / f"work-{src.stem}"
    work.mkdir(exist_ok=True)
    return await process("image", src, work, limits, pool=pool)


async def test_a_12_megapixel_phone_photo(media_pool: MediaPool, phone_photo: Path) -> None:
    # 4000 x 3000 as stored, "rotate 90" in EXIF: shown as 3000 x 4000.
    src = phone_photo
    done = await run(src, media_pool)

    assert (done.kind, done.mime, done.width, done.height) == ("image", "image/jpeg", 3000, 4000)
    sizes = {v.name: (v.width, v.height, v.mime) for v in done.variants}
    assert sizes == {
        "full": (3000, 4000, "image/jpeg"),
        "large": (960, 1280, "image/webp"),
        "medium": (480, 640, "image/webp"),
        "small": (240, 320, "image/webp"),
    }
    for variant in done.variants:
        with Image.open(variant.path) as im:
            assert im.size == (variant.width, variant.height)
            exif = im.getexif()
            assert not exif, f"{variant.name} kept EXIF"
            assert not exif.get_ifd(GPS_IFD)
            assert "exif" not in im.info and "xmp" not in im.info
        assert variant.path.stat().st_size == variant.size
        assert variant.path.parent == src.parent / "work-IMG_0001"
    assert b"OpenLink Test Phone" not in done.variants[0].path.read_bytes()
    assert done.blurhash and 20 <= len(done.blurhash) <= 40
    assert done.phash and len(done.phash) == 16


async def test_the_perceptual_hash_survives_recompression_and_tells_pictures_apart(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    photo(800, 600, seed=3).save(tmp_path / "a.jpg", quality=95)
    photo(800, 600, seed=3).resize((640, 480)).save(tmp_path / "b.jpg", quality=40)
    photo(800, 600, seed=4).save(tmp_path / "c.jpg", quality=95)
    a, b, c = [await run(tmp_path / n, media_pool) for n in ("a.jpg", "b.jpg", "c.jpg")]
    ha, hb, hc = (imagehash.hex_to_hash(x.phash) for x in (a, b, c))
    assert ha - hb <= 6  # the same picture, smaller and recompressed: a ban still matches
    assert ha - hc > 16
    assert phash_distance(a.phash, b.phash) == ha - hb <= PHASH_SAME_PICTURE
    assert phash_distance(a.phash, c.phash) == ha - hc > PHASH_SAME_PICTURE


async def test_a_pixel_bomb_is_refused_from_its_header(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    src = png_header_only(tmp_path / "bomb.png", 60_000, 60_000)  # 3.6 G pixels claimed
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool)
    assert (refused.value.code, refused.value.status) == ("media_too_large_pixels", 413)
    # Within Pillow's own guard but over the instance's limit: the header check.
    src = png_header_only(tmp_path / "wide.png", 8_000, 8_000)
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, MediaLimits(image_max_pixels=50_000_000))
    assert refused.value.code == "media_too_large_pixels"


async def test_a_truncated_jpeg_is_refused(tmp_path: Path, media_pool: MediaPool) -> None:
    whole = tmp_path / "whole.jpg"
    photo(640, 480).save(whole, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(MediaRefused) as refused:
        await run(cut, media_pool)
    assert (refused.value.code, refused.value.status) == ("media_truncated", 422)


async def test_an_animated_gif_stays_animated(tmp_path: Path, media_pool: MediaPool) -> None:
    done = await run(animated_gif(tmp_path / "cat.gif", frames=4), media_pool)
    assert (done.mime, done.width, done.height, done.duration_ms) == ("image/gif", 64, 64, 320)
    full = done.variant("full")
    assert full is not None and full.mime == "image/webp"
    with Image.open(full.path) as im:
        assert im.format == "WEBP" and im.n_frames == 4
    small = done.variant("small")
    assert small is not None
    with Image.open(small.path) as im:
        assert getattr(im, "n_frames", 1) == 1  # the still placeholder


async def test_too_many_frames_are_refused(tmp_path: Path, media_pool: MediaPool) -> None:
    src = animated_gif(tmp_path / "long.gif", frames=6)
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, MediaLimits(animation_max_frames=5))
    assert refused.value.code == "media_too_many_frames"


async def test_an_animation_over_its_pixel_budget_is_refused(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    # 6 frames of 64 x 64 = 24 576 pixels decoded: over ten times a 2 000-pixel photo.
    src = animated_gif(tmp_path / "heavy.gif", frames=6)
    with pytest.raises(MediaRefused) as refused:
        await run(src, media_pool, MediaLimits(image_max_pixels=2_000))
    assert refused.value.code == "media_too_large_pixels"


async def test_transparency_and_lossless_are_kept(tmp_path: Path, media_pool: MediaPool) -> None:
    im = Image.new("RGBA", (300, 200), (255, 0, 0, 0))
    im.paste((0, 0, 255, 255), (100, 50, 200, 150))
    im.save(tmp_path / "logo.png")
    done = await run(tmp_path / "logo.png", media_pool)
    full = done.variant("full")
    assert full is not None and full.mime == "image/png"
    with Image.open(full.path) as out:
        assert out.mode == "RGBA"
        assert out.getpixel((0, 0)) == (255, 0, 0, 0)
        assert out.getpixel((150, 100)) == (0, 0, 255, 255)
    assert [v.name for v in done.variants] == ["full", "small"]  # smaller than "medium"


async def test_webp_avif_and_heic_are_read(tmp_path: Path, media_pool: MediaPool) -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    picture = photo(400, 300)
    picture.save(tmp_path / "p.webp", quality=80)
    picture.save(tmp_path / "p.avif", quality=60)
    picture.save(tmp_path / "p.heic", quality=60)
    for name, mime in [
        ("p.webp", "image/webp"),
        ("p.avif", "image/avif"),
        ("p.heic", "image/heic"),
    ]:
        done = await run(tmp_path / name, media_pool)
        assert (done.mime, done.width, done.height) == (mime, 400, 300), name


async def test_the_colour_profile_is_applied_then_dropped(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(
        tmp_path / "icc.jpg", quality=95, icc_profile=srgb
    )
    done = await run(tmp_path / "icc.jpg", media_pool)
    with Image.open(done.variants[0].path) as out:
        assert "icc_profile" not in out.info
        r, g, b = out.convert("RGB").getpixel((32, 32))  # type: ignore[misc]
        assert abs(r - 200) < 8 and g < 45 and b < 45
