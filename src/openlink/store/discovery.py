"""The reads behind trending and recommendations: a few aggregate queries each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.store.schema import bans, interests, members, room_activity, room_tags, rooms

#: At most this many candidates come from each source of recommendations.
MAX_CANDIDATES = 200


def listed() -> list[ColumnElement[bool]]:
    """Rooms anyone may find: public, open group rooms."""
    return [rooms.c.kind == "group", rooms.c.visibility == "public", rooms.c.status == "open"]


def in_language(primary: str) -> ColumnElement[bool]:
    """The room's language has this primary subtag (``pt`` matches ``pt`` and ``pt-BR``)."""
    return or_(rooms.c.language == primary, rooms.c.language.startswith(f"{primary}-"))


def never_member(user_id: int | None) -> list[ColumnElement[bool]]:
    """Rooms the account is not in and never was (left, kicked, banned), nor banned from;
    without an account (a visitor), every room."""
    if user_id is None:
        return []
    return [
        ~exists().where(members.c.room_id == rooms.c.id, members.c.user_id == user_id),
        ~exists().where(bans.c.room_id == rooms.c.id, bans.c.user_id == user_id),
    ]


def _number(value: float) -> Any:
    # Inline, not bound: a CASE of bound floats leaves PostgreSQL guessing their types.
    return literal_column(f"{value:.9f}")


async def trending(
    conn: AsyncConnection,
    *,
    weights: dict[int, float],
    join_weight: float,
    language: str | None,
    banned_user: int | None,
    limit: int,
    offset: int,
) -> list[tuple[str, float]]:
    """(room id, score), best first: per room, the sum over its activity rows in the
    window of (1 for a writer, ``join_weight`` for a joiner) × the hour's weight.

    A row is one member in one hour, so a member's hundredth message in an hour adds
    nothing: the score counts distinct people per hour, not messages.
    """
    a = room_activity.c
    hour = case({b: _number(w) for b, w in weights.items()}, value=a.bucket, else_=_number(0))
    kind = case((a.kind == "join", _number(join_weight)), else_=_number(1))
    score = func.sum(kind * hour).label("score")
    where = [a.bucket >= min(weights), a.bucket <= max(weights), *listed()]
    if language is not None:
        where.append(in_language(language))
    if banned_user is not None:
        where.append(~exists().where(bans.c.room_id == rooms.c.id, bans.c.user_id == banned_user))
    stmt = (
        select(a.room_id, score)
        .join(rooms, rooms.c.id == a.room_id)
        .where(*where)
        .group_by(a.room_id)
        .order_by(score.desc(), a.room_id)
        .limit(limit)
        .offset(offset)
    )
    return [(r.room_id, float(r.score)) for r in await conn.execute(stmt)]


async def tag_matches(
    conn: AsyncConnection, user_id: int | None, interest_ids: list[str], names: list[str]
) -> list[tuple[str, str, str | None]]:
    """(room id, tag name, interest id) of candidate rooms' tags that name one of the
    interests or equal one of the names."""
    if not interest_ids and not names:
        return []
    t = room_tags.c
    stmt = (
        select(t.room_id, t.name, t.interest_id)
        .join(rooms, rooms.c.id == t.room_id)
        .where(or_(t.interest_id.in_(interest_ids), t.name.in_(names)))
        .where(*listed(), *never_member(user_id))
        .order_by(rooms.c.member_count.desc(), t.room_id)
        .limit(MAX_CANDIDATES * 3)
    )
    return [(r.room_id, r.name, r.interest_id) for r in await conn.execute(stmt)]


async def related_interests(
    conn: AsyncConnection, interest_ids: list[str], *, min_rooms: int, limit: int
) -> list[tuple[str, str]]:
    """(interest id, canonical name) of other interests that listed rooms carry together
    with one of ``interest_ids``, those shared by the most rooms first (at least
    ``min_rooms``). Room tags only: who is in those rooms plays no part."""
    if not interest_ids:
        return []
    mine, other = room_tags.alias("mine"), room_tags.alias("other")
    n = func.count(mine.c.room_id.distinct())
    stmt = (
        select(other.c.interest_id, interests.c.name)
        .select_from(
            mine.join(other, other.c.room_id == mine.c.room_id)
            .join(rooms, rooms.c.id == mine.c.room_id)
            .join(interests, interests.c.id == other.c.interest_id)
        )
        .where(mine.c.interest_id.in_(interest_ids), other.c.interest_id.not_in(interest_ids))
        .where(*listed())
        .group_by(other.c.interest_id, interests.c.name)
        .having(n >= min_rooms)
        .order_by(n.desc(), other.c.interest_id)
        .limit(limit)
    )
    return [(r.interest_id, r.name) for r in await conn.execute(stmt)]


async def popular(conn: AsyncConnection, user_id: int | None, language: str | None) -> list[str]:
    """The largest candidate rooms (for an account, those it was never in), those in
    ``language`` first."""
    order = [rooms.c.member_count.desc(), rooms.c.id]
    if language is not None:
        order.insert(0, case((in_language(language), 0), else_=1))
    stmt = (
        select(rooms.c.id)
        .where(*listed(), *never_member(user_id))
        .order_by(*order)
        .limit(MAX_CANDIDATES)
    )
    return list((await conn.execute(stmt)).scalars())


async def activity_counts(
    conn: AsyncConnection, room_ids: list[str], since_bucket: int
) -> dict[str, int]:
    """Room → rows of activity since the bucket (distinct writers and joiners per hour)."""
    if not room_ids:
        return {}
    a = room_activity.c
    stmt = (
        select(a.room_id, func.count().label("n"))
        .where(a.room_id.in_(room_ids), a.bucket >= since_bucket)
        .group_by(a.room_id)
    )
    return {r.room_id: int(r.n) for r in await conn.execute(stmt)}
