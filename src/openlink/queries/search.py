"""Room search: keywords in any script, meaning across languages, one ranked list.

A query runs two searches over the searchable rooms (public, open group rooms) with the
same filters, then fuses them (``domain.search.fuse``, reciprocal rank fusion):

- keyword: rooms whose name, description or tags contain every query word as a substring
  (trigram indexes; no word boundaries needed, so 등산 finds 주말등산모임), plus, when the
  whole query is an interest alias, rooms tagged with that interest under any of its names;
- semantic: the rooms whose vectors are nearest the query's, above a similarity floor.

An empty query lists the rooms that pass the filters, largest first.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.events import room_view
from openlink.domain.rooms import normalize_tag
from openlink.domain.search import (
    CANDIDATES,
    SearchFilters,
    check_members_range,
    decode_cursor,
    encode_cursor,
    fuse,
    names_alias,
    normalize_query,
    params_digest,
    query_words,
)
from openlink.embed.base import Vectors
from openlink.embed.vectors import SearchIndex
from openlink.errors import InvalidInput
from openlink.store import rooms as rooms_store
from openlink.store import search as store

MAX_LIMIT = 50
#: The best WEAK_KEPT semantic neighbours are kept down to this similarity.
WEAK_SIMILARITY = 0.1
WEAK_KEPT = 10
#: ... and no further than this below the best match's similarity.
WEAK_MARGIN = 0.1
#: How long a query waits for this process's vectors to finish loading at start-up
#: before answering with keyword results only (and saying so).
LOAD_WAIT_S = 2.0
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_QUERY_CACHE_SIZE = 1_024
_query_vectors: OrderedDict[tuple[str, str], Vectors] = OrderedDict()


async def search(
    ctx: Context,
    user: User | None,
    *,
    q: str | None,
    tag: str | None = None,
    language: str | None = None,
    min_members: int | None = None,
    max_members: int | None = None,
    limit: int = 20,
    cursor: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """One page of results: ``{"results", "next_cursor", "semantic"}``.

    Results are room views plus ``score`` and ``match``. ``user`` is accepted for
    personalisation to come; today every reader sees the same public results. Searches
    are limited per account, or per client ``address`` without one."""
    query = normalize_query(q)
    filters = check_filters(tag, language, min_members, max_members)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is 1 to {MAX_LIMIT}.", code="invalid_limit")
    if user is not None:
        await limits.spend(ctx, limits.SEARCHES, user.id)
    else:
        await limits.spend(ctx, limits.ANONYMOUS_SEARCHES, address)
    digest = params_digest(query, filters.tag, filters.language, min_members, max_members)
    after = decode_cursor(cursor, digest) if cursor else None
    semantic = await semantic_status(ctx.search)
    # One connection for the whole search: on PostgreSQL each checkout is a round trip.
    async with ctx.db.read(heavy=True) as conn:
        keys: list[list[float | int | str]]
        if query:
            ranked = await _ranked(ctx, conn, query, filters, semantic == "on")
            page, more = _page_ranked(ranked, after, limit)
            keys = [[score, room_id] for room_id, score, _ in page]
            extra = {room_id: {"score": score, "match": match} for room_id, score, match in page}
        else:
            sized = await _by_size(conn, filters, after, limit)
            more = len(sized) > limit
            keys = [[count, room_id] for room_id, count in sized[:limit]]
            extra = {room_id: {"score": None, "match": None} for room_id, _ in sized[:limit]}
        found = await rooms_store.get_rooms(conn, list(extra))
    return {
        "results": [{**room_view(r), **extra[r.id]} for r in found],
        "next_cursor": encode_cursor(digest, keys[-1]) if more and keys else None,
        "semantic": semantic,
    }


def check_filters(
    tag: str | None, language: str | None, min_members: int | None, max_members: int | None
) -> SearchFilters:
    if language is not None and not _LANGUAGE.match(language):
        raise InvalidInput(
            "language is a language tag such as 'ko' or 'pt-BR'.", code="invalid_language"
        )
    check_members_range(min_members, max_members)
    return SearchFilters(
        tag=normalize_tag(tag) if tag else None,
        language=language.lower() if language else None,
        min_members=min_members,
        max_members=max_members,
    )


async def semantic_status(index: SearchIndex) -> str:
    """``on``; ``not_configured`` (no embedder); ``loading`` (vectors still being read)."""
    if not index.semantic:
        return "not_configured"
    if not index.loaded.is_set():
        try:
            await asyncio.wait_for(index.loaded.wait(), LOAD_WAIT_S)
        except TimeoutError:
            return "loading"
    return "on"


async def _ranked(
    ctx: Context, conn: AsyncConnection, query: str, filters: SearchFilters, semantic: bool
) -> list[tuple[str, float, str]]:
    # The semantic half (encoding and the matrix product) runs in a worker thread while the
    # keyword half reads the database: on two cores a query costs the slower half.
    nearest_task = asyncio.create_task(_nearest(ctx, query, filters)) if semantic else None
    try:
        keyword = await _keyword_ids(ctx, conn, query, filters)
        interest = await _interest_ids(conn, query, filters)
    finally:
        hits = await nearest_task if nearest_task is not None else []
    nearest: list[str] = []
    if hits:
        allowed = await store.filter_ids(conn, hits, filters)
        nearest = [room_id for room_id in hits if room_id in allowed]
    fused = fuse(keyword, nearest, interest)
    ranked = [(room_id, score, match) for room_id, (score, match) in fused.items()]
    ranked.sort(key=lambda r: (-r[1], r[0]))
    return ranked


async def _keyword_ids(
    ctx: Context, conn: AsyncConnection, query: str, filters: SearchFilters
) -> list[str]:
    """Rooms whose name, description or tags contain every query word."""
    words = query_words(query)
    return await store.keyword_ids(conn, words, filters, limit=CANDIDATES)


async def _interest_ids(conn: AsyncConnection, query: str, filters: SearchFilters) -> list[str]:
    """Rooms tagged with an interest the query names in any of its languages (방탄소년단,
    BTS and 防弹少年团 name one interest), those tagged with more of them first."""
    named = {
        interest_id
        for alias, interest_id in await store.aliases_named(conn, query)
        if names_alias(query, alias)
    }
    return await store.tagged_with(conn, sorted(named), filters, limit=CANDIDATES)


async def _nearest(ctx: Context, query: str, filters: SearchFilters) -> list[str]:
    """The nearest rooms' ids, best first, before the filters other than language."""
    index = ctx.search
    assert index is not None
    primary = filters.language.split("-")[0] if filters.language else None
    min_score = ctx.settings.search_min_similarity
    key = (index.embedder.model_id, query)
    vector = _query_vectors.get(key)

    def run() -> list[tuple[str, float]]:
        nonlocal vector
        if vector is None:
            vector = index.embedder.encode([query])[0]
        floor = min(min_score, WEAK_SIMILARITY)
        return index.vectors.top_k(vector, CANDIDATES, min_score=floor, language=primary)

    hits = await asyncio.to_thread(run)
    _remember(key, vector)
    # Cross-language similarities run low (a right answer often scores 0.2-0.3): the best
    # few are kept down to a weak floor when they are close to the best match; the rest
    # must clear the configured floor.
    best = hits[0][1] if hits else 0.0
    near_best = max(WEAK_SIMILARITY, best - WEAK_MARGIN)
    return [
        room_id
        for rank, (room_id, score) in enumerate(hits)
        if score >= min_score or (rank < WEAK_KEPT and score >= near_best)
    ]


def _remember(key: tuple[str, str], vector: Vectors | None) -> None:
    if vector is None:
        return
    _query_vectors[key] = vector
    _query_vectors.move_to_end(key)
    if len(_query_vectors) > _QUERY_CACHE_SIZE:
        _query_vectors.popitem(last=False)


def _page_ranked(
    ranked: list[tuple[str, float, str]], after: list[Any] | None, limit: int
) -> tuple[list[tuple[str, float, str]], bool]:
    if after is not None:
        score, last_id = _ranked_key(after)
        ranked = [r for r in ranked if (-r[1], r[0]) > (-score, last_id)]
    return ranked[:limit], len(ranked) > limit


def _ranked_key(key: list[Any]) -> tuple[float, str]:
    score, room_id = key
    if not isinstance(score, int | float) or not isinstance(room_id, str):
        raise InvalidInput("This cursor is not one this search returned.", code="invalid_cursor")
    return float(score), room_id


async def _by_size(
    conn: AsyncConnection, filters: SearchFilters, after: list[Any] | None, limit: int
) -> list[tuple[str, int]]:
    start = None
    if after is not None:
        count, room_id = after
        if not isinstance(count, int) or not isinstance(room_id, str):
            raise InvalidInput(
                "This cursor is not one this search returned.", code="invalid_cursor"
            )
        start = (count, room_id)
    return await store.by_size(conn, filters, after=start, limit=limit + 1)
