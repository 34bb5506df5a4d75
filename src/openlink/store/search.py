"""Search reads and the embedding store.

Keyword matching is dialect-specific (docs/decisions/0010-hybrid-search.md):

- SQLite: the FTS5 ``trigram`` table ``room_fts`` (kept current by triggers, migration
  0004). Words of 3+ characters go through ``MATCH``; shorter ones (등산, 読書) are
  substring tests over the same indexed text, a scan of it when no longer word narrows
  the candidates first.
- PostgreSQL: ``LIKE '%word%'`` over ``room_search_docs.body`` (lower-cased name,
  description and tags, kept current by triggers with the room's searchable flag,
  language and size), which the pg_trgm GIN index serves for words of 3+ characters;
  shorter words are ``strpos`` tests, a scan of that table. Largest rooms first.

Every list here holds only *searchable* rooms: public, open group rooms.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.rooms import RoomKind, RoomStatus, Visibility
from openlink.domain.search import TRIGRAM, SearchFilters, is_short_spaceless
from openlink.store import grams
from openlink.store.dialect import ByDialect
from openlink.store.schema import interest_aliases, room_embeddings, room_tags, rooms

_fts = table("room_fts", column("rowid"), column("name"), column("description"), column("tags"))
_docs = table("room_search_docs", column("doc_id"), column("room_id"), column("body"))
_pg_docs = table(
    "room_search_docs",
    column("room_id"),
    column("body"),
    column("searchable"),
    column("language"),
    column("member_count"),
)
#: SQLite: trigram matches ranked before filters apply (see keyword_ids).
FTS_CAP = 2_000


def searchable() -> ColumnElement[bool]:
    return and_(
        rooms.c.visibility == Visibility.PUBLIC.value,
        rooms.c.status == RoomStatus.OPEN.value,
        rooms.c.kind == RoomKind.GROUP.value,
    )


def _filtered(filters: SearchFilters) -> list[ColumnElement[bool]]:
    out = [searchable()]
    if filters.tag is not None:
        out.append(
            rooms.c.id.in_(select(room_tags.c.room_id).where(room_tags.c.name == filters.tag))
        )
    if filters.language is not None:
        out.append(
            or_(
                rooms.c.language == filters.language, rooms.c.language.like(filters.language + "-%")
            )
        )
    if filters.min_members is not None:
        out.append(rooms.c.member_count >= filters.min_members)
    if filters.max_members is not None:
        out.append(rooms.c.member_count <= filters.max_members)
    return out


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def keyword_ids(
    conn: AsyncConnection,
    words: list[str],
    filters: SearchFilters,
    *,
    limit: int,
) -> list[str]:
    """Rooms whose name, description or tags contain every word, best first.

    SQLite ranks by BM25 among the best ``FTS_CAP`` matches of the 3+-character words;
    PostgreSQL, and SQLite for queries of short words only, rank larger rooms first."""
    if not words:
        return []
    q = ByDialect(
        sqlite=_sqlite_keyword(words, filters, limit).where(*_filtered(filters)).limit(limit),
        postgresql=_postgres_keyword(words, filters).limit(limit),
    )
    return list((await conn.execute(q)).scalars())


def _sqlite_keyword(words: list[str], filters: SearchFilters, limit: int) -> Select[Any]:
    long = [w for w in words if len(w) >= TRIGRAM]
    short = [w for w in words if len(w) < TRIGRAM]
    indexed = [w for w in short if is_short_spaceless(w)]
    if not long and indexed:
        # The short-word index finds the rooms with the first such word; every other word
        # is a substring test over those rooms' text only. Largest rooms first.
        q = (
            select(rooms.c.id)
            .where(rooms.c.id.in_(grams.rooms_with(indexed[0])))
            .join(_docs, _docs.c.room_id == rooms.c.id)
        )
        for word in short:
            if word != indexed[0]:
                q = q.where(func.instr(_docs.c.body, word) > 0)
        return q.order_by(rooms.c.member_count.desc(), rooms.c.id)
    if not long:
        # No trigram to look up: scan the compact lower-cased copy, largest rooms first.
        # The unary + keeps SQLite from driving the join from ``rooms``: the scan must run
        # over the compact copy, with a primary-key lookup per match.
        unindexed: ColumnElement[str] = literal_column("+room_search_docs.room_id")
        q = select(rooms.c.id).select_from(_docs).join(rooms, rooms.c.id == unindexed)
        order: list[Any] = [rooms.c.member_count.desc(), rooms.c.id]
    else:
        # The best ``cap`` matches by BM25 (name weighs most, then tags), then the filters:
        # ranking every match of a common word by a joined column would cost a row lookup
        # per match.
        narrowing = short or filters != SearchFilters()
        score = func.bm25(text("room_fts"), 4.0, 1.0, 2.0).label("score")
        hits = (
            select(_fts.c.rowid.label("doc_id"), score)
            .where(text("room_fts MATCH :match").bindparams(match=_fts_match(long)))
            .order_by(score)
            .limit(FTS_CAP if narrowing else 2 * limit)
            .subquery()
        )
        q = (
            select(rooms.c.id)
            .select_from(hits)
            .join(_docs, _docs.c.doc_id == hits.c.doc_id)
            .join(rooms, rooms.c.id == _docs.c.room_id)
        )
        order = [hits.c.score, rooms.c.id]
    for word in short:
        q = q.where(func.instr(_docs.c.body, word) > 0)
    return q.order_by(*order)


def _fts_match(words: list[str]) -> str:
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def _postgres_keyword(words: list[str], filters: SearchFilters) -> Select[Any]:
    # One compact table holds the text, the searchable flag and the columns filtered and
    # sorted by: no row of ``rooms`` is read per match.
    q = select(_pg_docs.c.room_id).where(_pg_docs.c.searchable.is_(True))
    drive = None
    if all(len(w) < TRIGRAM for w in words):
        drive = next((w for w in words if is_short_spaceless(w)), None)
    if drive is not None:
        # No trigram to look up: the short-word index finds the rooms with one word, and
        # the others are substring tests over those rooms' text only.
        q = q.where(_pg_docs.c.room_id.in_(grams.rooms_with(drive)))
    for word in words:
        if word == drive:
            continue
        if len(word) >= TRIGRAM:  # served by the trigram index
            q = q.where(_pg_docs.c.body.like(_like(word), escape="\\"))
        else:  # on the rows the other words narrowed down to
            q = q.where(func.strpos(_pg_docs.c.body, word) > 0)
    if filters.tag is not None:
        tagged = select(room_tags.c.room_id).where(room_tags.c.name == filters.tag)
        q = q.where(_pg_docs.c.room_id.in_(tagged))
    if filters.language is not None:
        q = q.where(
            or_(
                _pg_docs.c.language == filters.language,
                _pg_docs.c.language.like(filters.language + "-%"),
            )
        )
    if filters.min_members is not None:
        q = q.where(_pg_docs.c.member_count >= filters.min_members)
    if filters.max_members is not None:
        q = q.where(_pg_docs.c.member_count <= filters.max_members)
    return q.order_by(_pg_docs.c.member_count.desc(), _pg_docs.c.room_id)


async def aliases_named(conn: AsyncConnection, query: str) -> list[tuple[str, str]]:
    """(alias, interest id) for every alias the query contains as a substring: the
    candidates for ``domain.search.names_alias``."""
    rows = await conn.execute(
        select(interest_aliases.c.alias, interest_aliases.c.interest_id).where(
            literal(query).contains(interest_aliases.c.alias),
            func.length(interest_aliases.c.alias) >= 2,
        )
    )
    return [(r.alias, r.interest_id) for r in rows]


async def tagged_with(
    conn: AsyncConnection, interest_ids: Sequence[str], filters: SearchFilters, *, limit: int
) -> list[str]:
    """Rooms tagged with any of the interests, those with the most of them first, then
    larger rooms first."""
    if not interest_ids:
        return []
    hits = func.count(func.distinct(room_tags.c.interest_id)).label("hits")
    tagged = (
        select(room_tags.c.room_id, hits)
        .where(room_tags.c.interest_id.in_(interest_ids))
        .group_by(room_tags.c.room_id)
        .subquery()
    )
    q = (
        select(rooms.c.id)
        .join(tagged, tagged.c.room_id == rooms.c.id)
        .where(*_filtered(filters))
        .order_by(tagged.c.hits.desc(), rooms.c.member_count.desc(), rooms.c.id)
        .limit(limit)
    )
    return list((await conn.execute(q)).scalars())


async def filter_ids(
    conn: AsyncConnection, room_ids: Sequence[str], filters: SearchFilters
) -> set[str]:
    """The rooms among ``room_ids`` that are searchable and pass the filters."""
    if not room_ids:
        return set()
    q = select(rooms.c.id).where(rooms.c.id.in_(list(room_ids)), *_filtered(filters))
    return set((await conn.execute(q)).scalars())


async def by_size(
    conn: AsyncConnection, filters: SearchFilters, *, after: tuple[int, str] | None, limit: int
) -> list[tuple[str, int]]:
    """Searchable rooms that pass the filters, largest first (then by id)."""
    q = select(rooms.c.id, rooms.c.member_count).where(*_filtered(filters))
    if after is not None:
        count, room_id = after
        q = q.where(
            or_(
                rooms.c.member_count < count,
                and_(rooms.c.member_count == count, rooms.c.id > room_id),
            )
        )
    q = q.order_by(rooms.c.member_count.desc(), rooms.c.id).limit(limit)
    return [(r.id, r.member_count) for r in await conn.execute(q)]


# -- what the indexer reads and writes -------------------------------------------------


async def room_docs(conn: AsyncConnection, room_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """For each existing room: its searchable text parts, language and whether it is
    searchable. ``aliases`` are the other names of its tags' interests."""
    ids = list(room_ids)
    rows = await conn.execute(
        select(
            rooms.c.id,
            rooms.c.name,
            rooms.c.description,
            rooms.c.language,
            searchable().label("searchable"),
        ).where(rooms.c.id.in_(ids))
    )
    docs = {
        r.id: {
            "name": r.name,
            "description": r.description,
            "language": r.language,
            "searchable": bool(r.searchable),
            "tags": [],
            "aliases": [],
        }
        for r in rows
    }
    for r in await conn.execute(
        select(room_tags.c.room_id, room_tags.c.name)
        .where(room_tags.c.room_id.in_(ids))
        .order_by(room_tags.c.room_id, room_tags.c.name)
    ):
        docs[r.room_id]["tags"].append(r.name)
    by_alias = interest_aliases.alias("by_alias")
    interest = func.coalesce(
        room_tags.c.interest_id,
        select(by_alias.c.interest_id)
        .where(by_alias.c.alias == room_tags.c.name)
        .scalar_subquery(),
    )
    q = (
        select(room_tags.c.room_id, interest_aliases.c.alias)
        .select_from(room_tags)
        .join(interest_aliases, interest_aliases.c.interest_id == interest)
        .where(room_tags.c.room_id.in_(ids))
        .order_by(room_tags.c.room_id, interest_aliases.c.alias)
    )
    for r in await conn.execute(q):
        doc = docs[r.room_id]
        if r.alias not in doc["tags"] and r.alias not in doc["aliases"]:
            doc["aliases"].append(r.alias)
    return docs


async def stored_embeddings(
    conn: AsyncConnection, room_ids: Sequence[str]
) -> dict[str, tuple[str, str, bytes]]:
    """room id -> (model_id, text_hash, vector bytes)."""
    q = select(
        room_embeddings.c.room_id,
        room_embeddings.c.model_id,
        room_embeddings.c.text_hash,
        room_embeddings.c.vector,
    ).where(room_embeddings.c.room_id.in_(list(room_ids)))
    return {r.room_id: (r.model_id, r.text_hash, r.vector) for r in await conn.execute(q)}


async def save_embeddings(conn: AsyncConnection, values: list[dict[str, Any]]) -> None:
    """Insert or replace rows of ``room_embeddings`` (one dict per row)."""
    if not values:
        return
    ids = [v["room_id"] for v in values]
    await conn.execute(delete(room_embeddings).where(room_embeddings.c.room_id.in_(ids)))
    await conn.execute(insert(room_embeddings), values)


async def unembedded_ids(conn: AsyncConnection, model_id: str) -> list[str]:
    """Searchable rooms with no vector under ``model_id`` (none yet, or another model's)."""
    current = select(room_embeddings.c.room_id).where(room_embeddings.c.model_id == model_id)
    q = select(rooms.c.id).where(searchable(), rooms.c.id.not_in(current)).order_by(rooms.c.id)
    return list((await conn.execute(q)).scalars())


async def embeddings_page(
    conn: AsyncConnection,
    model_id: str,
    *,
    since: datetime | None,
    after_id: str,
    limit: int,
) -> list[Any]:
    """Searchable rooms' vectors under ``model_id`` updated at or after ``since``, by room
    id after ``after_id``: rows of (room_id, vector, language, updated_at)."""
    q = (
        select(
            room_embeddings.c.room_id,
            room_embeddings.c.vector,
            rooms.c.language,
            room_embeddings.c.updated_at,
        )
        .join(rooms, rooms.c.id == room_embeddings.c.room_id)
        .where(
            room_embeddings.c.model_id == model_id,
            room_embeddings.c.room_id > after_id,
            searchable(),
        )
        .order_by(room_embeddings.c.room_id)
        .limit(limit)
    )
    if since is not None:
        q = q.where(room_embeddings.c.updated_at >= since)
    return list(await conn.execute(q))


async def has_pg_trgm(conn: AsyncConnection) -> bool:
    q = text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return (await conn.execute(q)).first() is not None
