"""The short-word index: rooms by the one- and two-character pieces of their CJK text.

Trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL) cannot look up words shorter
than three characters, and in Korean, Japanese and Chinese many words are two (등산, 読書,
登山) or one (猫). ``room_grams`` holds each room's ``domain.search.short_grams``; it is
rewritten in the transaction that changes the room's name, description or tags, so a room
is findable the moment the change commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.search import searchable_text, short_grams
from openlink.store.schema import room_grams, room_tags, rooms

#: Above every character: ``gram < word + TOP`` bounds a prefix range.
_TOP = "\U0010ffff"


async def refresh(conn: AsyncConnection, room_id: str) -> None:
    """Rewrite the room's entries from its current name, description and tags."""
    row = (
        await conn.execute(select(rooms.c.name, rooms.c.description).where(rooms.c.id == room_id))
    ).one_or_none()
    await conn.execute(delete(room_grams).where(room_grams.c.room_id == room_id))
    if row is None:
        return
    tags = list(
        (
            await conn.execute(select(room_tags.c.name).where(room_tags.c.room_id == room_id))
        ).scalars()
    )
    await add(conn, [(room_id, searchable_text(row.name, row.description, tags))])


async def add(conn: AsyncConnection, texts: Iterable[tuple[str, str]]) -> None:
    """Index rooms that have no entries yet: (room id, searchable text) pairs."""
    values = [
        {"gram": gram, "room_id": room_id}
        for room_id, text in texts
        for gram in sorted(short_grams(text))
    ]
    if values:
        await conn.execute(insert(room_grams), values)


def matching(word: str) -> ColumnElement[bool]:
    """Entries that show ``word`` (one or two characters of a spaceless script) is in the
    room's text: the pair itself, or for one character every entry starting with it."""
    if len(word) == 2:
        return room_grams.c.gram == word
    return or_(
        room_grams.c.gram == word,
        and_(room_grams.c.gram > word, room_grams.c.gram < word + _TOP),
    )


def rooms_with(word: str) -> Select[tuple[str]]:
    """The ids of rooms whose text contains ``word``."""
    return select(room_grams.c.room_id).where(matching(word)).distinct()
