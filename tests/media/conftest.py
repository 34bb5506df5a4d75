"""One worker pool per test module: the workers are real processes, started once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openlink.media.process import MediaPool


@pytest.fixture(scope="module")
def media_pool() -> Iterator[MediaPool]:
    pool = MediaPool(workers=1, nice=5, timeout_s=60, queue_max=8)
    yield pool
    pool.stop()
