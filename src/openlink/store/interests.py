"""Interests and their aliases; tagging rooms with the interest their tags name."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.interests import Alias, Interest
from openlink.domain.rooms import TagCategory
from openlink.store.dialect import unique
from openlink.store.schema import interest_aliases, interests, room_tags


def _interest(row: Any, aliases: list[Alias]) -> Interest:
    return Interest(row.id, row.name, TagCategory(row.category), row.created_at, aliases)


async def get_interests(conn: AsyncConnection, ids: list[str]) -> list[Interest]:
    """The interests with these ids, with their aliases, in the order of ``ids``."""
    if not ids:
        return []
    rows = {r.id: r for r in await conn.execute(select(interests).where(interests.c.id.in_(ids)))}
    aliases: dict[str, list[Alias]] = {i: [] for i in rows}
    q = (
        select(interest_aliases)
        .where(interest_aliases.c.interest_id.in_(list(rows)))
        .order_by(interest_aliases.c.interest_id, interest_aliases.c.alias)
    )
    for a in await conn.execute(q):
        aliases[a.interest_id].append(Alias(a.alias, a.language))
    return [_interest(rows[i], aliases[i]) for i in ids if i in rows]


async def get_interest(conn: AsyncConnection, interest_id: str) -> Interest | None:
    found = await get_interests(conn, [interest_id])
    return found[0] if found else None


async def search(conn: AsyncConnection, q: str, limit: int) -> list[str]:
    """Ids of interests with an alias containing ``q``: those with an alias that starts
    with it first, then those with the shortest matching alias."""
    a = interest_aliases.c
    if not q:
        by_name = select(interests.c.id).order_by(interests.c.name).limit(limit)
        return list((await conn.execute(by_name)).scalars())
    prefix = func.min(case((a.alias.startswith(q, autoescape=True), 0), else_=1))
    shortest = func.min(func.length(a.alias))
    stmt = (
        select(a.interest_id)
        .where(a.alias.contains(q, autoescape=True))
        .group_by(a.interest_id)
        .order_by(prefix, shortest, a.interest_id)
        .limit(limit)
    )
    return list((await conn.execute(stmt)).scalars())


async def owners(conn: AsyncConnection, aliases: Iterable[str]) -> dict[str, str]:
    """alias → interest id, for those of ``aliases`` that name an interest."""
    names = list(set(aliases))
    if not names:
        return {}
    q = select(interest_aliases).where(interest_aliases.c.alias.in_(names))
    return {r.alias: r.interest_id for r in await conn.execute(q)}


async def resolve(conn: AsyncConnection, names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """name → (interest id, canonical name), for those of ``names`` that are aliases."""
    names = list(set(names))
    if not names:
        return {}
    q = (
        select(interest_aliases.c.alias, interests.c.id, interests.c.name)
        .join(interests, interests.c.id == interest_aliases.c.interest_id)
        .where(interest_aliases.c.alias.in_(names))
    )
    return {r.alias: (r.id, r.name) for r in await conn.execute(q)}


async def all_aliases(conn: AsyncConnection) -> dict[str, str]:
    """Every alias → its interest id (a few thousand rows at most)."""
    q = select(interest_aliases.c.alias, interest_aliases.c.interest_id)
    return {r.alias: r.interest_id for r in await conn.execute(q)}


async def all_names(conn: AsyncConnection) -> dict[str, str]:
    """Every interest's canonical name → its id."""
    return {r.name: r.id for r in await conn.execute(select(interests.c.name, interests.c.id))}


async def insert_interest(
    conn: AsyncConnection, *, id: str, name: str, category: TagCategory, now: datetime
) -> None:
    values = {"id": id, "name": name, "category": category.value, "created_at": now}
    with unique("An interest with this name"):
        await conn.execute(insert(interests).values(**values))


async def insert_aliases(conn: AsyncConnection, interest_id: str, aliases: list[Alias]) -> None:
    if aliases:
        rows = [
            {"alias": a.alias, "interest_id": interest_id, "language": a.language} for a in aliases
        ]
        with unique("One of these aliases"):
            await conn.execute(insert(interest_aliases), rows)


async def set_alias_language(conn: AsyncConnection, alias: str, language: str | None) -> None:
    q = update(interest_aliases).where(interest_aliases.c.alias == alias)
    await conn.execute(q.values(language=language))


async def tag_rooms(conn: AsyncConnection, names: list[str]) -> None:
    """Point the room tags named ``names`` at the interest each name is now an alias of."""
    if not names:
        return
    owner = (
        select(interest_aliases.c.interest_id)
        .where(interest_aliases.c.alias == room_tags.c.name)
        .scalar_subquery()
    )
    await conn.execute(
        update(room_tags).where(room_tags.c.name.in_(names)).values(interest_id=owner)
    )


async def rooms_of(conn: AsyncConnection, interest_ids: list[str]) -> list[str]:
    """Rooms with a tag naming one of the interests."""
    if not interest_ids:
        return []
    q = select(room_tags.c.room_id).where(room_tags.c.interest_id.in_(interest_ids)).distinct()
    return list((await conn.execute(q)).scalars())
