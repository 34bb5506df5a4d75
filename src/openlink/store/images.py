"""Stored images (avatars and covers): normalized bytes under their keyed hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.images import Image
from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import images


async def put_image(conn: AsyncConnection, image: Image, *, now: datetime) -> None:
    """Insert unless stored: the id is a keyed hash of the bytes, so a second copy is the
    same."""
    statement = insert_or_ignore(images).values(
        id=image.id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        data=image.data,
        created_at=now,
    )
    await conn.execute(statement)


async def get_image(conn: AsyncConnection, image_id: str) -> Image | None:
    row = (await conn.execute(select(images).where(images.c.id == image_id))).one_or_none()
    if row is None:
        return None
    return Image(
        id=row.id,
        content_type=row.content_type,
        width=row.width,
        height=row.height,
        data=bytes(row.data),
    )


async def image_exists(conn: AsyncConnection, image_id: str) -> bool:
    found = await conn.execute(select(images.c.id).where(images.c.id == image_id))
    return found.first() is not None
