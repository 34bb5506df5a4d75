"""This process's copy of the searchable rooms' vectors, and exact top-k over it.

Brute force on purpose: one float32 matrix (rows are unit vectors, so a dot product is the
cosine), one matrix-vector product per query and ``argpartition`` for the top k. At
100,000 rooms x 512 dimensions that is 200 MB and about 20 ms on one core, exact, with no
index to build or tune (docs/decisions/0010-hybrid-search.md says when to switch).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from openlink.embed.base import Embedder, Vectors

_INITIAL_ROWS = 1_024


class VectorIndex:
    """Room id -> unit vector (and the room's language), updated in place.

    Writers (the indexer, the catch-up) and readers (queries, in worker threads) share it:
    a lock keeps a reader from seeing a half-moved row. Readers hold it only to copy out
    the slice they multiply, never during the multiplication's result processing.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._matrix = np.zeros((_INITIAL_ROWS if dim else 0, dim), dtype=np.float32)
        self._langs = np.zeros(self._matrix.shape[0], dtype=np.int32)
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._lang_codes: dict[str | None, int] = {None: 0}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, room_id: object) -> bool:
        return room_id in self._row

    def upsert(self, room_id: str, vector: Vectors, language: str | None) -> None:
        """Add or replace a room's vector; ``language`` is kept as its primary subtag."""
        primary = language.split("-")[0].lower() if language else None
        code = self._lang_codes.setdefault(primary, len(self._lang_codes))
        with self._lock:
            row = self._row.get(room_id)
            if row is None:
                row = len(self._ids)
                if row == self._matrix.shape[0]:
                    self._grow()
                self._ids.append(room_id)
                self._row[room_id] = row
            self._matrix[row] = vector
            self._langs[row] = code

    def remove(self, room_id: str) -> None:
        with self._lock:
            row = self._row.pop(room_id, None)
            if row is None:
                return
            last = len(self._ids) - 1
            if row != last:  # move the last row into the hole
                moved = self._ids[last]
                self._matrix[row] = self._matrix[last]
                self._langs[row] = self._langs[last]
                self._ids[row] = moved
                self._row[moved] = row
            self._ids.pop()

    def _grow(self) -> None:
        size = max(_INITIAL_ROWS, self._matrix.shape[0] * 2)
        matrix = np.zeros((size, self.dim), dtype=np.float32)
        matrix[: len(self._ids)] = self._matrix[: len(self._ids)]
        langs = np.zeros(size, dtype=np.int32)
        langs[: len(self._ids)] = self._langs[: len(self._ids)]
        self._matrix, self._langs = matrix, langs

    def top_k(
        self, query: Vectors, k: int, *, min_score: float, language: str | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` rooms most similar to ``query`` (at least ``min_score``), best first;
        ties by room id. Only rooms whose language's primary subtag is ``language`` when it
        is given. CPU-bound."""
        with self._lock:
            n = len(self._ids)
            if n == 0 or self.dim == 0:
                return []
            scores = self._matrix[:n] @ query.reshape(-1)
            if language is not None:
                code = self._lang_codes.get(language)
                if code is None:
                    return []
                scores[self._langs[:n] != code] = -2.0
            ids = self._ids  # list rows only move under the lock; copy what we pick
            top = np.argpartition(-scores, k)[:k] if k < n else np.arange(n)
            picked = [(ids[i], float(scores[i])) for i in top if scores[i] >= min_score]
        picked.sort(key=lambda p: (-p[1], p[0]))
        return picked


@dataclass(slots=True)
class SearchIndex:
    """What search shares across one app: the embedder, the vectors, the indexing queue."""

    embedder: Embedder
    vectors: VectorIndex
    #: Rooms whose text changed since they were last indexed (filled by the hook).
    pending: set[str] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set once the vectors were loaded from the database.
    loaded: asyncio.Event = field(default_factory=asyncio.Event)
    #: The newest ``room_embeddings.updated_at`` this process has read.
    synced_until: datetime | None = None

    @classmethod
    def create(cls, embedder: Embedder) -> SearchIndex:
        return cls(embedder=embedder, vectors=VectorIndex(embedder.dim))

    @property
    def semantic(self) -> bool:
        return self.embedder.dim > 0
