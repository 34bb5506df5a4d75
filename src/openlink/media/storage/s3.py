"""Blobs in S3-compatible object storage (AWS S3, MinIO, R2, Ceph), through ``obstore``:
what several nodes without a shared filesystem use. See docs/decisions/0028.

A put is one request for a small blob and a multipart upload for a large one; either way
the object appears whole or not at all. Reads ask for the byte range they serve, so a
video seek fetches only what it shows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from openlink.media.storage.base import CHUNK, BlobInfo, BlobNotFound, check_key


@dataclass(frozen=True, slots=True)
class S3Options:
    bucket: str
    #: ``https://s3.eu-west-1.amazonaws.com``, ``http://127.0.0.1:9000`` (MinIO)…
    #: Empty: AWS for ``region``.
    endpoint: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = ""
    #: Put before every key, so one bucket can hold several instances.
    prefix: str = ""
    #: ``bucket.endpoint/key`` (AWS's default) rather than ``endpoint/bucket/key``
    #: (what MinIO and most self-hosted servers expect).
    virtual_hosted: bool = False


class S3BlobStore:
    name = "s3"

    def __init__(self, options: S3Options) -> None:
        self.options = options
        config: dict[str, Any] = {
            "region": options.region,
            "virtual_hosted_style_request": options.virtual_hosted,
        }
        if options.endpoint:
            config["endpoint"] = options.endpoint
        if options.access_key_id:
            config["access_key_id"] = options.access_key_id
            config["secret_access_key"] = options.secret_access_key
        self.store = S3Store(
            options.bucket,
            prefix=options.prefix or None,
            client_options={"allow_http": options.endpoint.startswith("http://")},
            **config,
        )

    async def start(self) -> None:
        # Any answer but "denied" or "unreachable" proves the bucket and the keys work.
        await self.head("openlink-start-check")

    async def stop(self) -> None:
        return None

    async def put_file(self, key: str, path: Path, *, content_type: str) -> None:
        await obstore.put_async(
            self.store,
            check_key(key),
            path,
            attributes={"Content-Type": content_type},
        )

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str
    ) -> None:
        await obstore.put_async(
            self.store,
            check_key(key),
            chunks,
            attributes={"Content-Type": content_type},
        )

    async def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        options: dict[str, Any] = {}
        if end is not None:
            if end <= start:
                return
            options["range"] = (start, end)
        elif start:
            options["range"] = {"offset": start}
        try:
            result = await obstore.get_async(self.store, check_key(key), options=options)  # type: ignore[arg-type]
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        except NotFoundError:
            raise BlobNotFound(key) from None
        async for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    async def head(self, key: str) -> BlobInfo | None:
        try:
            meta = await obstore.head_async(self.store, check_key(key))
        except (FileNotFoundError, NotFoundError):
            return None
        return BlobInfo(size=meta["size"])

    async def exists(self, key: str) -> bool:
        return await self.head(key) is not None

    async def delete(self, key: str) -> None:
        try:
            await obstore.delete_async(self.store, check_key(key))
        except (FileNotFoundError, NotFoundError):
            return

    async def url(self, key: str, *, expires_s: int) -> str | None:
        return await obstore.sign_async(
            self.store, "GET", check_key(key), timedelta(seconds=expires_s)
        )
