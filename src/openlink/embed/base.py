"""The embedder contract: texts in, unit vectors out."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into vectors whose dot product is their cosine similarity.

    ``model_id`` names the model *and* its version: vectors made under one id are only
    comparable with vectors made under the same id, so a stored vector whose id differs
    from the current embedder's is recomputed. ``dim`` is the vector length; ``0`` means
    the embedder makes no vectors and semantic search is off.
    """

    name: str
    model_id: str
    dim: int

    def encode(self, texts: list[str]) -> Vectors:
        """One row per text, in order: a float32 array of shape ``(len(texts), dim)``.

        Every row has L2 norm 1 (a text that yields a zero vector gets a zero row).
        Deterministic: the same text under the same ``model_id`` gives the same row,
        whatever else is in the batch. CPU-bound and synchronous: callers on the event
        loop run it in a worker thread. Safe to call from several threads at once.
        """
        ...


def normalized(matrix: npt.NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    out = np.asarray(matrix, dtype=np.float32)
    if out.ndim == 1:
        out = out[None, :]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)
