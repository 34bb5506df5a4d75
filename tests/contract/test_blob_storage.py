"""The blob store contract (``openlink.media.storage.base``), run against every backend:
the local filesystem, and S3 through a real S3-compatible server on loopback (moto's
standalone server; tests/s3server.py). To add a backend, add a case to ``store``."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from openlink.media.storage import BlobNotFound, BlobStore, LocalBlobStore, read_all
from openlink.media.storage.s3 import S3BlobStore, S3Options
from tests.s3server import ACCESS_KEY, SECRET_KEY, S3Server

KEY = "sha256/ab/abcdef"
#: Larger than a chunk, and not a multiple of it.
BIG = os.urandom(600_000 + 17)


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    blobs: BlobStore
    if request.param == "local":
        blobs = LocalBlobStore(tmp_path / "blobs")
    else:
        s3: S3Server = request.getfixturevalue("s3_server")
        blobs = S3BlobStore(
            S3Options(
                bucket=s3.new_bucket(),
                endpoint=s3.endpoint,
                access_key_id=ACCESS_KEY,
                secret_access_key=SECRET_KEY,
                prefix="instance-a/",
            )
        )
    await blobs.start()
    yield blobs
    await blobs.stop()


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / f"upload-{hashlib.sha256(data).hexdigest()[:8]}"
    path.write_bytes(data)
    return path


async def test_a_put_file_reads_back_whole_and_by_range(store: BlobStore, tmp_path: Path) -> None:
    await store.put_file(KEY, _file(tmp_path, BIG), content_type="application/octet-stream")
    assert await read_all(store, KEY) == BIG
    assert await read_all(store, KEY, 10, 20) == BIG[10:20]
    assert await read_all(store, KEY, 599_990) == BIG[599_990:]
    # The last byte alone, and a range reaching past the end, clipped to the blob.
    assert await read_all(store, KEY, len(BIG) - 1, len(BIG)) == BIG[-1:]
    assert await read_all(store, KEY, len(BIG) - 5, len(BIG) + 100) == BIG[-5:]


async def test_a_get_yields_bounded_chunks(store: BlobStore, tmp_path: Path) -> None:
    await store.put_file(KEY, _file(tmp_path, BIG), content_type="application/octet-stream")
    sizes = [len(chunk) async for chunk in store.get(KEY)]
    assert sum(sizes) == len(BIG)
    assert len(sizes) > 1, "a large blob must stream in chunks, not in one buffer"


async def test_a_put_stream_reads_back(store: BlobStore) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(BIG), 100_000):
            yield BIG[start : start + 100_000]

    await store.put_stream(KEY, chunks(), content_type="video/mp4")
    assert await read_all(store, KEY) == BIG
    info = await store.head(KEY)
    assert info is not None and info.size == len(BIG)


async def test_head_exists_and_delete(store: BlobStore, tmp_path: Path) -> None:
    assert await store.head(KEY) is None
    assert not await store.exists(KEY)
    await store.put_file(KEY, _file(tmp_path, b"hello"), content_type="text/plain")
    info = await store.head(KEY)
    assert info is not None and info.size == 5
    assert await store.exists(KEY)
    await store.delete(KEY)
    assert not await store.exists(KEY)
    # Deleting again, or a key never put, succeeds.
    await store.delete(KEY)
    await store.delete("sha256/00/never")


async def test_reading_a_missing_blob_raises_not_found(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        await read_all(store, "sha256/00/missing")


async def test_a_second_put_of_a_key_replaces_it_whole(store: BlobStore, tmp_path: Path) -> None:
    await store.put_file(KEY, _file(tmp_path, b"first version"), content_type="text/plain")
    await store.put_file(KEY, _file(tmp_path, b"second"), content_type="text/plain")
    assert await read_all(store, KEY) == b"second"


async def test_the_empty_blob(store: BlobStore, tmp_path: Path) -> None:
    await store.put_file(KEY, _file(tmp_path, b""), content_type="application/octet-stream")
    info = await store.head(KEY)
    assert info is not None and info.size == 0
    assert await read_all(store, KEY) == b""


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "a b", "", "a//b"])
async def test_keys_that_could_escape_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        await store.head(key)


async def test_a_presigned_url_reads_the_blob_where_the_backend_has_one(
    store: BlobStore, tmp_path: Path
) -> None:
    await store.put_file(KEY, _file(tmp_path, b"signed bytes"), content_type="image/webp")
    url = await store.url(KEY, expires_s=60)
    if isinstance(store, LocalBlobStore):
        assert url is None
        return
    assert url is not None and "X-Amz-Signature" in url
    async with httpx.AsyncClient() as plain:  # no credentials but the URL's own
        answer = await plain.get(url)
    assert answer.status_code == 200
    assert answer.content == b"signed bytes"


async def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    await blobs.start()
    await blobs.put_file(KEY, _file(tmp_path, BIG), content_type="application/octet-stream")

    async def failing() -> AsyncIterator[bytes]:
        yield b"part"
        raise OSError("the client went away")

    with pytest.raises(OSError):
        await blobs.put_stream("sha256/cd/cdef", failing(), content_type="x/y")
    assert list(blobs.keys()) == [KEY]
    assert list((tmp_path / "blobs" / ".tmp").iterdir()) == []
    assert not await blobs.exists("sha256/cd/cdef")
