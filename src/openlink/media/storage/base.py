"""The blob store contract: opaque bytes under a key, written once, read by range."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

#: Bytes per chunk a get yields (the last one may be shorter).
CHUNK = 256 << 10


class BlobNotFound(LookupError):
    """No blob under this key (never put, or deleted)."""


#: What a key may be made of: no ``..``, no leading ``/``, nothing a filesystem or an
#: object store would read differently.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key) or ".." in key or len(key) > 512:
        raise ValueError(f"not a blob key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class BlobInfo:
    size: int


class BlobStore(Protocol):
    """Where media bytes live. Keys are ``/``-separated ASCII paths chosen by the caller
    (``sha256/ab/ab12…``); a key is written once and its bytes never change afterwards,
    so a put of an existing key is a no-op in effect (the same bytes again)."""

    #: Shown in logs: ``local`` or ``s3``.
    name: str

    async def start(self) -> None:
        """Check that the store is reachable and writable (create what it needs)."""
        ...

    async def stop(self) -> None: ...

    async def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        """Store the file at ``path`` under ``key``. Atomic: a reader sees either no blob
        or all of it, never a part. Durable once this returns (fsynced; for object
        storage, acknowledged by the service). Overwrites a blob of the same key."""
        ...

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str
    ) -> None:
        """As :meth:`put_file`, from chunks of bytes."""
        ...

    def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``[start, end)`` of the blob (``end`` None: to its end), in chunks.
        The caller checks the range against :meth:`head` first; a range past the end is
        clipped to the blob. Raises :class:`BlobNotFound` on the first iteration."""
        ...

    async def head(self, key: str) -> BlobInfo | None:
        """The blob's size, or None when there is none."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether :meth:`head` would find the blob."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob. Idempotent: deleting a missing key succeeds."""
        ...

    async def url(self, key: str, *, expires_s: int) -> str | None:
        """A URL that reads the whole blob without credentials until it expires
        (an S3 presigned GET), or None where the backend has none (the filesystem)."""
        ...


async def read_all(store: BlobStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    """Convenience for small blobs and tests."""
    return b"".join([chunk async for chunk in store.get(key, start, end)])
