"""Processing uploaded media: the type from the bytes (``detect.py``), photos
(``image.py``), videos (``video.py``) and voice messages (``voice.py``) in a pool of
reniced worker processes (``pool.py``, ``worker.py``); :func:`process` is the one entry
point (``pipeline.py``). Pure processing: nothing here stores or serves a file."""

from __future__ import annotations

from openlink.media.process.model import (
    PHASH_SAME_PICTURE,
    REFUSAL_STATUS,
    Kind,
    MediaBusy,
    MediaLimits,
    MediaRefused,
    Processed,
    Variant,
    phash_distance,
)
from openlink.media.process.pipeline import default_pool, process, stop_default_pool
from openlink.media.process.pool import MediaPool

__all__ = [
    "PHASH_SAME_PICTURE",
    "REFUSAL_STATUS",
    "Kind",
    "MediaBusy",
    "MediaLimits",
    "MediaPool",
    "MediaRefused",
    "Processed",
    "Variant",
    "default_pool",
    "phash_distance",
    "process",
    "stop_default_pool",
]
