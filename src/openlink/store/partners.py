"""Partners (API keys stored as SHA-256 hashes), works and partners' content links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.partners import Partner
from openlink.store.dialect import unique
from openlink.store.schema import content_links, content_works, partners, users


@dataclass(slots=True, frozen=True)
class Work:
    id: str
    canonical: str
    room_id: str


def _partner(row: Any) -> Partner:
    return Partner(
        id=row.id,
        name=row.name,
        allowed_origins=list(row.allowed_origins or []),
        user_id=row.user_id,
        active=row.active,
        created_at=row.created_at,
        username=row.username,
    )


def _partners_query() -> Any:
    return select(partners, users.c.username).join(users, users.c.id == partners.c.user_id)


async def insert_partner(conn: AsyncConnection, **values: Any) -> None:
    with unique("A partner with this name"):
        await conn.execute(insert(partners).values(**values))


async def get_partner(conn: AsyncConnection, partner_id: str) -> Partner | None:
    row = (await conn.execute(_partners_query().where(partners.c.id == partner_id))).one_or_none()
    return None if row is None else _partner(row)


async def get_partner_by_name(conn: AsyncConnection, name: str) -> Partner | None:
    row = (await conn.execute(_partners_query().where(partners.c.name == name))).one_or_none()
    return None if row is None else _partner(row)


async def get_active_partner_by_key(conn: AsyncConnection, key_hash: str) -> Partner | None:
    q = _partners_query().where(partners.c.key_hash == key_hash, partners.c.active.is_(True))
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else _partner(row)


async def list_partners(conn: AsyncConnection) -> list[Partner]:
    rows = await conn.execute(_partners_query().order_by(partners.c.name))
    return [_partner(r) for r in rows]


async def update_partner(conn: AsyncConnection, partner_id: str, **values: Any) -> None:
    await conn.execute(update(partners).where(partners.c.id == partner_id).values(**values))


async def username_taken(conn: AsyncConnection, username: str) -> bool:
    q = select(users.c.id).where(users.c.username == username)
    return (await conn.execute(q)).first() is not None


async def get_work(conn: AsyncConnection, canonical: str) -> Work | None:
    q = select(content_works.c.id, content_works.c.room_id).where(
        content_works.c.canonical == canonical
    )
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else Work(row.id, canonical, row.room_id)


async def insert_work(
    conn: AsyncConnection,
    *,
    id: str,
    canonical: str,
    room_id: str,
    title: str,
    language: str,
    now: datetime,
) -> Work:
    with unique("This work"):
        await conn.execute(
            insert(content_works).values(
                id=id,
                canonical=canonical,
                room_id=room_id,
                title=title,
                language=language,
                created_at=now,
            )
        )
        return Work(id, canonical, room_id)


async def get_linked_work(conn: AsyncConnection, partner_id: str, content_id: str) -> Work | None:
    """The work a partner's content id names, if the partner linked it before."""
    q = (
        select(content_works.c.id, content_works.c.canonical, content_works.c.room_id)
        .join(content_links, content_links.c.work_id == content_works.c.id)
        .where(content_links.c.partner_id == partner_id, content_links.c.content_id == content_id)
    )
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else Work(row.id, row.canonical, row.room_id)


async def insert_link(
    conn: AsyncConnection,
    *,
    partner_id: str,
    content_id: str,
    work_id: str,
    title: str,
    language: str,
    now: datetime,
) -> None:
    with unique("This content link"):
        await conn.execute(
            insert(content_links).values(
                partner_id=partner_id,
                content_id=content_id,
                work_id=work_id,
                title=title,
                language=language,
                created_at=now,
            )
        )


async def frame_origins(conn: AsyncConnection, room_id: str) -> list[str]:
    """The allowed origins of every active partner whose content links to the room."""
    q = (
        select(partners.c.allowed_origins)
        .join(content_links, content_links.c.partner_id == partners.c.id)
        .join(content_works, content_works.c.id == content_links.c.work_id)
        .where(content_works.c.room_id == room_id, partners.c.active.is_(True))
    )
    out: set[str] = set()
    for row in await conn.execute(q):
        out.update(row.allowed_origins or [])
    return sorted(out)
