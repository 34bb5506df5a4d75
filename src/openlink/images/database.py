"""Images in the database (SQLite or PostgreSQL): every node sees them with no shared
filesystem. Avatars and covers are small once normalized (tens of kilobytes)."""

from __future__ import annotations

from datetime import datetime

from openlink.clock import Clock
from openlink.domain.images import Image
from openlink.store import images as store
from openlink.store.db import Database


class DatabaseImageStore:
    name = "database"

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def put(self, image: Image, *, previews_only: bool = False) -> None:
        async with self.db.write() as tx:
            await store.put_image(tx.conn, image, now=self.clock.now(), previews_only=previews_only)

    async def collect(self, touched_before: datetime, limit: int) -> int:
        async with self.db.write() as tx:
            return await store.delete_unused_preview_images(tx.conn, touched_before, limit)

    async def get(self, image_id: str) -> Image | None:
        async with self.db.read() as conn:
            return await store.get_image(conn, image_id)

    async def exists(self, image_id: str) -> bool:
        async with self.db.read() as conn:
            return await store.image_exists(conn, image_id)
