"""Stored translations, one per (message, language), and room glossaries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.glossary import Glossary, GlossaryEntry
from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import message_translations, messages, room_glossary, rooms


@dataclass(frozen=True, slots=True)
class StoredTranslation:
    room_id: str
    seq: int
    rev: int
    source_lang: str
    lang: str
    body: str
    engine: str
    created_at: datetime
    #: The text that was translated (not stored): a row is saved only while the message
    #: still says exactly this.
    source: str | None = None


def _row(r: Any) -> StoredTranslation:
    return StoredTranslation(
        r.room_id, r.seq, r.rev, r.source_lang, r.lang, r.body, r.engine, r.created_at
    )


async def save(conn: AsyncConnection, rows: Sequence[StoredTranslation]) -> list[StoredTranslation]:
    """Store translations that are still current: the message still says what was
    translated and is neither deleted nor hidden. One that lost a race to an edit, a
    delete or a hide is dropped. Returns those stored.

    A stored row stays current until the message's text changes: edits, deletes and hides
    delete it in their own transaction (:func:`drop_for_message`); a reaction, which
    also takes a new rev, leaves it alone."""
    if not rows:
        return []
    keys = {(t.room_id, t.seq) for t in rows}
    current = await conn.execute(
        select(messages.c.room_id, messages.c.seq, messages.c.body).where(
            tuple_(messages.c.room_id, messages.c.seq).in_(list(keys)),
            messages.c.deleted_at.is_(None),
            messages.c.hidden_at.is_(None),
        )
    )
    bodies = {(r.room_id, r.seq): r.body for r in current}
    fresh = [
        t
        for t in rows
        if (t.room_id, t.seq) in bodies
        and (t.source is None or bodies[(t.room_id, t.seq)] == t.source)
    ]
    if fresh:
        await conn.execute(
            insert_or_ignore(message_translations),
            [
                {
                    "room_id": t.room_id,
                    "seq": t.seq,
                    "lang": t.lang,
                    "rev": t.rev,
                    "source_lang": t.source_lang,
                    "body": t.body,
                    "engine": t.engine,
                    "created_at": t.created_at,
                }
                for t in fresh
            ],
        )
    return fresh


async def for_messages(
    conn: AsyncConnection, room_id: str, lang: str, seqs: Iterable[int]
) -> dict[int, StoredTranslation]:
    """Translations into ``lang`` of the given messages (stored rows are current)."""
    wanted = list(seqs)
    if not wanted:
        return {}
    rows = await conn.execute(
        select(message_translations).where(
            message_translations.c.room_id == room_id,
            message_translations.c.lang == lang,
            message_translations.c.seq.in_(list(wanted)),
        )
    )
    return {t.seq: t for t in map(_row, rows)}


async def get(conn: AsyncConnection, room_id: str, seq: int, lang: str) -> StoredTranslation | None:
    row = (
        await conn.execute(
            select(message_translations).where(
                and_(
                    message_translations.c.room_id == room_id,
                    message_translations.c.seq == seq,
                    message_translations.c.lang == lang,
                )
            )
        )
    ).first()
    return None if row is None else _row(row)


async def drop_for_message(conn: AsyncConnection, room_id: str, seq: int) -> None:
    """An edit, a delete or a hide makes every translation of the message stale."""
    await conn.execute(
        delete(message_translations).where(
            message_translations.c.room_id == room_id, message_translations.c.seq == seq
        )
    )


async def glossary(conn: AsyncConnection, room_id: str) -> Glossary:
    rows = await conn.execute(
        select(room_glossary.c.term, room_glossary.c.translations)
        .where(room_glossary.c.room_id == room_id)
        .order_by(room_glossary.c.position)
    )
    return Glossary(tuple(GlossaryEntry(r.term, dict(r.translations or {})) for r in rows))


async def replace_glossary(conn: AsyncConnection, room_id: str, value: Glossary) -> int:
    """Replace the room's glossary; returns the new ``glossary_rev``."""
    await conn.execute(delete(room_glossary).where(room_glossary.c.room_id == room_id))
    if value.entries:
        await conn.execute(
            insert(room_glossary),
            [
                {
                    "room_id": room_id,
                    "position": i,
                    "term": e.term,
                    "translations": dict(e.translations),
                }
                for i, e in enumerate(value.entries)
            ],
        )
    row = (
        await conn.execute(
            update(rooms)
            .where(rooms.c.id == room_id)
            .values(glossary_rev=rooms.c.glossary_rev + 1)
            .returning(rooms.c.glossary_rev)
        )
    ).one()
    return int(row.glossary_rev)
