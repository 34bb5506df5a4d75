"""The search indexer: rooms whose searchable text changed get re-embedded.

The keyword index needs nothing from here: triggers (SQLite) or expression indexes
(PostgreSQL) keep it current inside the writing transaction. Vectors are slower to make,
so they are made off the write path:

- ``actions.indexing.room_changed`` (called after commit by room creation and settings
  changes) queues the room and wakes the indexer; it never blocks.
- The ``Indexer`` task embeds queued rooms in batches in a worker thread, stores the vectors
  in ``room_embeddings`` with the model id and a hash of the text, and updates this
  process's matrix. Unchanged text under the same model is not embedded again.
- At start it loads the stored vectors into memory, then queues every searchable room that
  has no vector under the current model id: a new model re-embeds everything.
- Every ``search_sync_interval_s`` it reads vectors other processes wrote since its last
  look (``room_embeddings.updated_at``), so each process's copy catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import timedelta
from typing import Any

import numpy as np

from openlink.actions.context import Context
from openlink.embed.vectors import SearchIndex
from openlink.services.supervisor import Supervisor
from openlink.store import search as store

log = logging.getLogger("openlink.search")
BATCH = 64
LOAD_PAGE = 2_000
#: Catch-up reads overlap by this much: a row committed late with an earlier timestamp
#: (another process's long transaction, clock skew) is still seen.
SYNC_OVERLAP = timedelta(seconds=30)
LOOP = "search.indexer"


def room_text(doc: dict[str, Any]) -> str:
    """What is embedded for a room: its own words, then its interests' other names."""
    parts = [doc["name"], doc["description"], " ".join(doc["tags"]), " ".join(doc["aliases"])]
    return "\n".join(p for p in parts if p)


def text_hash(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\n{text}".encode()).hexdigest()


class Indexer:
    """The per-process background task that embeds queued rooms (see the module doc)."""

    name = "indexer"

    def __init__(self, ctx: Context, supervisor: Supervisor) -> None:
        self.ctx = ctx
        self.supervisor = supervisor
        self.index: SearchIndex = ctx.search

    async def start(self) -> None:
        if not self.index.semantic:
            log.info("semantic search is off (OPENLINK_EMBEDDER=none): keyword search only")
            return
        self.supervisor.run(LOOP, self._run)

    async def stop(self) -> None:
        await self.supervisor.cancel(LOOP)

    async def _run(self) -> None:
        try:
            await self.load()
            async with self.ctx.db.read() as conn:
                stale = await store.unembedded_ids(conn, self.index.embedder.model_id)
            if stale:
                log.info(
                    "search: embedding %d rooms under %s", len(stale), self.index.embedder.model_id
                )
                self.index.pending.update(stale)
            while True:
                await self._drain()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.ctx.settings.search_sync_interval_s):
                        await self.index.wake.wait()
                if not self.index.pending:
                    await self.sync()
        except Exception:
            # Searches waiting for the first load go ahead with keywords; the supervisor
            # logs this and starts the indexer again.
            self.index.loaded.set()
            raise

    async def _drain(self) -> None:
        while self.index.pending:
            self.index.wake.clear()
            batch = sorted(self.index.pending)[:BATCH]
            self.index.pending.difference_update(batch)
            try:
                await self.index_rooms(batch)
            except Exception:
                log.exception("search: indexing %d rooms failed; retrying later", len(batch))
                self.index.pending.update(batch)
                await self.ctx.clock.sleep(1.0)
        self.index.wake.clear()

    async def index_rooms(self, room_ids: list[str]) -> None:
        embedder = self.index.embedder
        async with self.ctx.db.read() as conn:
            docs = await store.room_docs(conn, room_ids)
            stored = await store.stored_embeddings(conn, room_ids)
        vectors = self.index.vectors
        keep: list[tuple[str, Any]] = []
        todo: list[tuple[str, str, str]] = []
        for room_id in room_ids:
            doc = docs.get(room_id)
            if doc is None or not doc["searchable"]:
                await asyncio.to_thread(vectors.remove, room_id)
                continue
            text = room_text(doc)
            digest = text_hash(embedder.model_id, text)
            old = stored.get(room_id)
            if old is not None and old[0] == embedder.model_id and old[1] == digest:
                keep.append((room_id, np.frombuffer(old[2], dtype="<f4")))
            else:
                todo.append((room_id, text, digest))
        rows = []
        if todo:
            encoded = await asyncio.to_thread(embedder.encode, [t for _, t, _ in todo])
            now = self.ctx.now()
            for (room_id, _, digest), vector in zip(todo, encoded, strict=True):
                rows.append(
                    {
                        "room_id": room_id,
                        "model_id": embedder.model_id,
                        "text_hash": digest,
                        "vector": vector.astype("<f4").tobytes(),
                        "updated_at": now,
                    }
                )
                keep.append((room_id, vector))
            async with self.ctx.db.write() as tx:
                await store.save_embeddings(tx.conn, rows)
        await asyncio.to_thread(self._apply, keep, docs)

    def _apply(self, keep: list[tuple[str, Any]], docs: dict[str, dict[str, Any]]) -> None:
        for room_id, vector in keep:
            self.index.vectors.upsert(room_id, vector, docs[room_id]["language"])

    async def load(self) -> None:
        """Read every stored vector of the current model into memory, page by page."""
        started = self.ctx.now()
        count = await self._read_since(None)
        self.index.synced_until = started
        self.index.loaded.set()
        log.info("search: %d room vectors loaded (%s)", count, self.index.embedder.model_id)

    async def sync(self) -> None:
        """Catch up with vectors other processes stored since the last look."""
        started = self.ctx.now()
        since = self.index.synced_until
        await self._read_since(None if since is None else since - SYNC_OVERLAP)
        self.index.synced_until = started

    async def _read_since(self, since: Any) -> int:
        model_id = self.index.embedder.model_id
        after, count = "", 0
        while True:
            async with self.ctx.db.read() as conn:
                rows = await store.embeddings_page(
                    conn, model_id, since=since, after_id=after, limit=LOAD_PAGE
                )
            if not rows:
                return count
            await asyncio.to_thread(self._load_rows, rows)
            count += len(rows)
            after = rows[-1].room_id

    def _load_rows(self, rows: list[Any]) -> None:
        vectors = self.index.vectors
        for r in rows:
            vectors.upsert(r.room_id, np.frombuffer(r.vector, dtype="<f4"), r.language)
