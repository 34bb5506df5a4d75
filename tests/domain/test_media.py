"""Pure rules of media: byte ranges, file names, blob keys, attachment lists."""

from __future__ import annotations

import pytest

from openlink.domain.media import (
    MAX_ATTACHMENTS,
    blob_key,
    check_media_ids,
    clean_filename,
    parse_range,
)
from openlink.errors import InvalidInput, RangeNotSatisfiable


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("bytes=0-9", 100, (0, 10)),
        ("bytes=90-", 100, (90, 100)),
        ("bytes=-10", 100, (90, 100)),
        ("bytes=-500", 100, (0, 100)),
        ("bytes=95-200", 100, (95, 100)),
        ("bytes=99-99", 100, (99, 100)),
        # Ignored (the whole is served): other units, several ranges, nonsense.
        ("items=0-9", 100, None),
        ("bytes=0-1,5-6", 100, None),
        ("bytes=9-3", 100, None),
        ("bytes=a-b", 100, None),
        ("bytes=", 100, None),
        ("bytes=-", 100, None),
        ("bytes=1", 100, None),
    ],
)
def test_ranges(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_ranges_past_the_end_are_refused(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as refused:
        parse_range(header, size)
    assert refused.value.size == size


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ('a"b\r\nc.txt', "a_b_c.txt"),
        ("", "file"),
        (None, "file"),
        ("...", "file"),
        ("x" * 300 + ".tar.gz", "x" * 197 + ".gz"),
    ],
)
def test_file_names(raw: str | None, clean: str) -> None:
    assert clean_filename(raw) == clean


def test_blob_keys_are_sha256_paths() -> None:
    digest = "ab" + "0" * 62
    assert blob_key(digest) == f"sha256/ab/{digest}"
    with pytest.raises(ValueError):
        blob_key("../x")


def test_attachment_lists() -> None:
    assert check_media_ids(["a", "b", "a"]) == ["a", "b"]
    with pytest.raises(InvalidInput):
        check_media_ids([str(i) for i in range(MAX_ATTACHMENTS + 1)])
