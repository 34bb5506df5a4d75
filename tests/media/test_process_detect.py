"""The type comes from the bytes: a name or a claimed type changes nothing, files that are
two things at once are refused, and anything that is not media stays a plain file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from openlink.media.process import MediaLimits, MediaPool, MediaRefused, process
from openlink.media.process.detect import has_trailing_zip, sniff
from tests.media.inputs import photo

LIMITS = MediaLimits()
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def small_jpeg(**save: object) -> bytes:
    buffer = io.BytesIO()
    photo(64, 48).save(buffer, "JPEG", **save)
    return buffer.getvalue()


async def run(
    tmp_path: Path, data: bytes, hint: str | None, pool: MediaPool, name: str = "upload.png"
) -> object:
    src = tmp_path / name  # the name says PNG whatever the bytes are
    src.write_bytes(data)
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return await process(hint, src, work, LIMITS, pool=pool)


@pytest.mark.parametrize("data", [HTML, SVG_WITH_SCRIPT], ids=["html", "svg"])
async def test_markup_named_png_and_sent_as_a_picture_is_refused(
    tmp_path: Path, media_pool: MediaPool, data: bytes
) -> None:
    with pytest.raises(MediaRefused) as refused:
        await run(tmp_path, data, "image", media_pool)
    assert refused.value.code == "media_type_mismatch"
    assert refused.value.status == 422


async def test_markup_sent_without_a_kind_is_a_file_never_labelled_html(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    done = await run(tmp_path, HTML, None, media_pool)
    assert done.kind == "file"  # type: ignore[attr-defined]
    assert done.mime == "application/octet-stream"  # type: ignore[attr-defined]
    assert [v.name for v in done.variants] == ["original"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("hint", ["video", "voice"])
async def test_a_picture_sent_as_video_or_voice_is_a_mismatch(
    tmp_path: Path, media_pool: MediaPool, hint: str
) -> None:
    with pytest.raises(MediaRefused) as refused:
        await run(tmp_path, small_jpeg(), hint, media_pool, name="clip.mp4")
    assert refused.value.code == "media_type_mismatch"


async def test_a_jpeg_with_a_script_in_its_comment_is_a_polyglot(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    data = small_jpeg(comment=b"<html><script>alert(1)</script></html>")
    assert sniff(data).format == "JPEG"
    with pytest.raises(MediaRefused) as refused:
        await run(tmp_path, data, "image", media_pool)
    assert refused.value.code == "media_polyglot"
    with pytest.raises(MediaRefused):  # also when the client names no kind
        await run(tmp_path, data, None, media_pool)


async def test_a_jpeg_with_a_zip_appended_is_a_polyglot_but_fine_as_a_file(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.class", b"\xca\xfe\xba\xbe" * 100)
    data = small_jpeg() + archive.getvalue()
    with pytest.raises(MediaRefused) as refused:
        await run(tmp_path, data, "image", media_pool)
    assert refused.value.code == "media_polyglot"
    as_file = await run(tmp_path, data, "file", media_pool)
    assert as_file.kind == "file"  # type: ignore[attr-defined]


def test_the_zip_check_needs_a_directory_ending_the_file() -> None:
    # The signature alone, inside picture data, is no archive.
    assert not has_trailing_zip(b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 100)
    assert has_trailing_zip(b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 18)


@pytest.mark.parametrize(
    ("hint", "code", "status"),
    [("image", "media_type_unsupported", 415), (None, None, None)],
)
async def test_a_bmp_is_unsupported_as_a_picture_and_a_file_otherwise(
    tmp_path: Path, media_pool: MediaPool, hint: str | None, code: str | None, status: int | None
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "BMP")
    if code is None:
        done = await run(tmp_path, buffer.getvalue(), hint, media_pool)
        assert (done.kind, done.mime) == ("file", "image/bmp")  # type: ignore[attr-defined]
        return
    with pytest.raises(MediaRefused) as refused:
        await run(tmp_path, buffer.getvalue(), hint, media_pool)
    assert (refused.value.code, refused.value.status) == (code, status)


async def test_too_large_and_empty_files_are_refused_before_any_work(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(b"\x00" * 2048)
    limits = MediaLimits(max_bytes=1024)
    with pytest.raises(MediaRefused) as refused:
        await process("file", src, tmp_path, limits, pool=media_pool)
    assert (refused.value.code, refused.value.status) == ("media_too_large", 413)
    src.write_bytes(b"")
    with pytest.raises(MediaRefused):
        await process(None, src, tmp_path, LIMITS, pool=media_pool)


async def test_a_pdf_is_a_file_with_its_type(tmp_path: Path, media_pool: MediaPool) -> None:
    done = await run(tmp_path, b"%PDF-1.7\n%...\n", None, media_pool, name="a.pdf")
    assert (done.kind, done.mime) == ("file", "application/pdf")  # type: ignore[attr-defined]


def test_the_signature_table() -> None:
    assert sniff(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf").mime == "image/avif"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic").format == "HEIF"
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2").family == "av"
    assert sniff(b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom").family == "audio"
    assert sniff(b"\x1a\x45\xdf\xa3\x9fB\x86\x81\x01B\x82\x84webm").mime == "video/webm"
    assert sniff(b"OggS\x00\x02").format == "ogg"
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ").format == "wav"
    assert sniff(b"ID3\x04\x00").format == "mp3"
    assert sniff(b"<svg>").family == "other"


async def test_a_zip_bomb_sent_as_a_file_is_kept_unopened(
    tmp_path: Path, media_pool: MediaPool
) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\x00" * (64 << 20))  # 64 MiB in about 64 KiB
    jobs = media_pool.stats["jobs"]
    for hint in (None, "file"):
        done = await run(tmp_path, archive.getvalue(), hint, media_pool, name="photos.zip")
        assert (done.kind, done.mime) == ("file", "application/zip")  # type: ignore[attr-defined]
        assert done.variants[0].size == len(archive.getvalue())  # type: ignore[attr-defined]
    assert media_pool.stats["jobs"] == jobs  # no worker touched it
