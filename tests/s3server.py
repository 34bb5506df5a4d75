"""A real S3-compatible HTTP server on loopback for the tests: moto's standalone server
(``moto[server]``, in the ``dev`` extra), one per session, a fresh bucket per test.

Without moto the S3 tests are skipped, saying how to install it; under
``OPENLINK_TEST_STRICT=1`` (CI) they fail instead, since a skip there would hide that the
S3 backend went untested."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

STRICT = os.environ.get("OPENLINK_TEST_STRICT") == "1"
ACCESS_KEY = "openlink-test"
SECRET_KEY = "openlink-test-secret"


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def new_bucket(self) -> str:
        """An empty bucket of the caller's own."""
        name = f"openlink-{uuid.uuid4().hex[:16]}"
        httpx.put(f"{self.endpoint}/{name}", timeout=10).raise_for_status()
        return name

    def settings(self, bucket: str) -> dict[str, Any]:
        """The server settings that put media in ``bucket``."""
        return dict(
            media_storage="s3",
            media_s3_bucket=bucket,
            media_s3_endpoint=self.endpoint,
            media_s3_access_key_id=ACCESS_KEY,
            media_s3_secret_access_key=SECRET_KEY,
        )


def start_moto() -> Iterator[S3Server]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        if STRICT:
            raise
        pytest.skip("moto[server] is not installed: `pip install -e .[dev]` installs it")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(endpoint=f"http://{host}:{port}")
    finally:
        server.stop()
