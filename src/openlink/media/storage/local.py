"""Blobs as files under the data folder: the default, for one node (or several sharing
one filesystem). Each blob is written to a temporary file in the same filesystem, synced,
then renamed into place, and its folder synced: a crash leaves the old state or the new,
never a torn file. File calls run in a thread, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from openlink.media.storage.base import CHUNK, BlobInfo, BlobNotFound, check_key


class LocalBlobStore:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._tmp = self.root / ".tmp"

    async def start(self) -> None:
        await asyncio.to_thread(self._tmp.mkdir, parents=True, exist_ok=True)

    async def stop(self) -> None:
        return None

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        target = self.path(key)
        await asyncio.to_thread(self._install, target, lambda out: _copy(path, out))

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str
    ) -> None:
        target = self.path(key)
        fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=self._tmp)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    await asyncio.to_thread(out.write, chunk)
                await asyncio.to_thread(_sync, out)
            await asyncio.to_thread(_rename_into_place, temp, target)
        except BaseException:
            await asyncio.to_thread(temp.unlink, missing_ok=True)
            raise

    def _install(self, target: Path, write: Callable[[BinaryIO], None]) -> None:
        fd, name = tempfile.mkstemp(dir=self._tmp)
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                _sync(out)
            _rename_into_place(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    async def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self.path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        with handle:
            await asyncio.to_thread(handle.seek, start)
            left = None if end is None else max(end - start, 0)
            while left is None or left > 0:
                want = CHUNK if left is None else min(CHUNK, left)
                chunk = await asyncio.to_thread(handle.read, want)
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    async def head(self, key: str) -> BlobInfo | None:
        try:
            stat = await asyncio.to_thread(self.path(key).stat)
        except FileNotFoundError:
            return None
        return BlobInfo(size=stat.st_size)

    async def exists(self, key: str) -> bool:
        return await self.head(key) is not None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def url(self, key: str, *, expires_s: int) -> str | None:
        return None

    def keys(self) -> Iterator[str]:
        """Every stored key (for tests and repair tools)."""
        for path in self.root.rglob("*"):
            if path.is_file() and self._tmp not in path.parents:
                yield path.relative_to(self.root).as_posix()


def _copy(source: Path, out: BinaryIO) -> None:
    with source.open("rb") as src:
        shutil.copyfileobj(src, out, CHUNK)


def _sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def _rename_into_place(temp: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, target)
    _sync_dir(target.parent)


def _sync_dir(folder: Path) -> None:
    # The rename is durable once the folder's entry is: without this a power cut may
    # leave the old (absent) entry.
    fd = os.open(folder, os.O_RDONLY)
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)
