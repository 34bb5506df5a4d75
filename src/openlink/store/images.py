"""Stored images (avatars, covers, link-preview pictures): normalized bytes under their
keyed hash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.images import IMAGE_PATH, Image
from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import images, link_previews, messages


async def put_image(
    conn: AsyncConnection, image: Image, *, now: datetime, previews_only: bool = False
) -> None:
    """Insert unless stored (the id is a keyed hash of the bytes, so a second copy is the
    same), and mark it stored now. Stored once for anything but a link preview, it is
    kept for good (``previews_only`` only ever turns false)."""
    statement = insert_or_ignore(images).values(
        id=image.id,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        data=image.data,
        created_at=now,
        previews_only=previews_only,
        touched_at=now,
    )
    await conn.execute(statement)
    values: dict[str, Any] = {"touched_at": now}
    if not previews_only:
        values["previews_only"] = False
    await conn.execute(update(images).where(images.c.id == image.id).values(**values))


def _collectable(touched_before: datetime) -> Any:
    """Pictures only link previews stored, not stored since ``touched_before``, that no
    cached preview and no message's card shows."""
    path = literal(IMAGE_PATH) + images.c.id
    return and_(
        images.c.previews_only.is_(True),
        images.c.touched_at < touched_before,
        ~exists().where(link_previews.c.image == path),
        ~exists().where(messages.c.preview_image == images.c.id),
    )


async def delete_unused_preview_images(
    conn: AsyncConnection, touched_before: datetime, limit: int
) -> int:
    """Delete up to ``limit`` link-preview pictures nothing shows any more; returns how
    many. The conditions are checked again by the delete itself, so a picture stored or
    shown meanwhile stays."""
    q = select(images.c.id).where(_collectable(touched_before)).limit(limit)
    ids = list((await conn.execute(q)).scalars())
    if not ids:
        return 0
    done = await conn.execute(
        delete(images).where(images.c.id.in_(ids), _collectable(touched_before))
    )
    return int(done.rowcount)


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
