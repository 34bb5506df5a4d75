"""One worker pool per test module: the workers are real processes, started once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openlink.media.process import MediaPool
from tests.media.inputs import camera_jpeg


@pytest.fixture(scope="module")
def media_pool() -> Iterator[MediaPool]:
    pool = MediaPool(workers=1, nice=5, timeout_s=60, queue_max=8)
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def phone_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-megapixel JPEG as a phone stores it: 4000 x 3000, EXIF "turn 90 degrees",
    a camera model and a GPS position. Made once: it takes a second or two."""
    return camera_jpeg(tmp_path_factory.mktemp("phone") / "IMG_0001.jpg", 4000, 3000, orientation=6)
