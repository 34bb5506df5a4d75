"""Link previews and robots.txt, cached by URL and by site for every room and node."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.previews import LinkPreview
from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import link_previews, link_robots


@dataclass(frozen=True, slots=True)
class Cached:
    """A cache entry still fresh: the page's card, or None when it gave none."""

    title: str | None
    description: str | None
    site_name: str | None
    image: str | None
    ok: bool
    #: When a message last got this entry.
    used_at: datetime | None = None

    def preview(self, url: str) -> LinkPreview | None:
        if not self.ok:
            return None
        return LinkPreview(url, self.title, self.description, self.site_name, self.image)


async def get_preview(conn: AsyncConnection, key: str, *, now: datetime) -> Cached | None:
    """The entry for ``key`` unless it has expired."""
    row = (
        await conn.execute(
            select(link_previews).where(
                link_previews.c.key == key, link_previews.c.expires_at > now
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return Cached(row.title, row.description, row.site_name, row.image, row.ok, row.used_at)


async def put_preview(
    conn: AsyncConnection,
    key: str,
    preview: LinkPreview | None,
    *,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Replace the entry for ``key``; two nodes storing it at once keep one of theirs."""
    await conn.execute(delete(link_previews).where(link_previews.c.key == key))
    values = dict(
        key=key, ok=preview is not None, fetched_at=now, expires_at=expires_at, used_at=now
    )
    if preview is not None:
        values.update(
            title=preview.title,
            description=preview.description,
            site_name=preview.site_name,
            image=preview.image,
        )
    await conn.execute(insert_or_ignore(link_previews).values(**values))


async def mark_used(conn: AsyncConnection, key: str, *, now: datetime) -> None:
    await conn.execute(update(link_previews).where(link_previews.c.key == key).values(used_at=now))


async def delete_unused(conn: AsyncConnection, used_before: datetime, limit: int) -> int:
    """Delete up to ``limit`` entries no message got since ``used_before``; returns how
    many. Their pictures are then the collector's to judge."""
    last_used = func.coalesce(link_previews.c.used_at, link_previews.c.fetched_at)
    q = select(link_previews.c.key).where(last_used < used_before).limit(limit)
    keys = list((await conn.execute(q)).scalars())
    if not keys:
        return 0
    done = await conn.execute(
        delete(link_previews).where(link_previews.c.key.in_(keys), last_used < used_before)
    )
    return int(done.rowcount)


async def delete_expired_robots(conn: AsyncConnection, now: datetime) -> int:
    done = await conn.execute(delete(link_robots).where(link_robots.c.expires_at <= now))
    return int(done.rowcount)


async def get_robots(conn: AsyncConnection, origin: str, *, now: datetime) -> str | None:
    row = (
        await conn.execute(
            select(link_robots.c.rules).where(
                link_robots.c.origin == origin, link_robots.c.expires_at > now
            )
        )
    ).one_or_none()
    return None if row is None else str(row.rules)


async def put_robots(
    conn: AsyncConnection, origin: str, rules: str, *, expires_at: datetime
) -> None:
    await conn.execute(delete(link_robots).where(link_robots.c.origin == origin))
    await conn.execute(
        insert_or_ignore(link_robots).values(origin=origin, rules=rules, expires_at=expires_at)
    )
