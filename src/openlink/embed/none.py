"""No embedder: semantic search is off and says so; keyword search still works."""

from __future__ import annotations

import numpy as np

from openlink.embed.base import Vectors


class NoneEmbedder:
    name = "none"
    model_id = "none"
    dim = 0

    def encode(self, texts: list[str]) -> Vectors:
        return np.zeros((len(texts), 0), dtype=np.float32)
