"""Fixtures shared by the contract tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.redis_server import OwnRedis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[OwnRedis]:
    """A ``redis-server`` of this test's own, to kill and restart (needs the binary: the
    modules that use it skip without ``REDIS_SERVER``)."""
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()
