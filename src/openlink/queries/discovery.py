"""Finding rooms without a query: what is hot now, and what suits you."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.domain import discovery as rules
from openlink.domain.accounts import User, check_language
from openlink.domain.events import room_view
from openlink.errors import InvalidInput
from openlink.store import discovery as store
from openlink.store import interests as interests_store
from openlink.store import rooms as rooms_store

_CURSOR = re.compile(r"(\d{1,9})\.(\d{1,6})")


def _cursor(raw: str | None, now_bucket: int) -> tuple[int, int]:
    """(hour, offset): a page is ranked as of the hour the first page was."""
    if raw is None:
        return now_bucket, 0
    match = _CURSOR.fullmatch(raw)
    if match is None or not now_bucket - rules.WINDOW_H < int(match[1]) <= now_bucket:
        raise InvalidInput("This cursor is not one trending returned.", code="invalid_cursor")
    return int(match[1]), int(match[2])


async def trending(
    ctx: Context,
    user: User | None,
    *,
    language: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    address: str | None = None,
) -> dict[str, Any]:
    """Public open group rooms by activity in the last hours: per hour, its distinct
    writers plus ``JOIN_WEIGHT`` per joiner, the hour weighted down with its age.

    Pages continue with ``next``; a later page ranks as of the first page's hour, but
    activity in between may move rooms across pages.
    """
    await limits.spend_visitor(ctx, user, address)
    primary = rules.primary_language(check_language(language)) if language else None
    bucket, offset = _cursor(cursor, rules.hour_bucket(ctx.now()))
    async with ctx.db.read() as conn:
        ranked = await store.trending(
            conn,
            weights=rules.decay_weights(bucket),
            join_weight=rules.JOIN_WEIGHT,
            language=primary,
            banned_user=user.id if user is not None else None,
            limit=limit,
            offset=offset,
        )
        found = {r.id: r for r in await rooms_store.get_rooms(conn, [i for i, _ in ranked])}
    views = [
        {**room_view(found[room_id]), "score": round(score, 4)}
        for room_id, score in ranked
        if room_id in found
    ]
    more = len(ranked) == limit
    return {"rooms": views, "next": f"{bucket}.{offset + limit}" if more else None}


async def recommended(
    ctx: Context,
    user: User | None,
    *,
    language: str | None = None,
    limit: int = 20,
    address: str | None = None,
) -> dict[str, Any]:
    """Public open group rooms the account has never been in (nor been banned from),
    best first, each with the reasons: shared interests (across languages through
    aliases), interests that rooms often carry with those, and the account's reading
    language. Nothing about other accounts' memberships counts (decisions/0005).

    A visitor without an account gets the popular rooms, those in ``language`` (if
    given) first; an account's own reading language wins over ``language``."""
    await limits.spend_visitor(ctx, user, address)
    if user is not None:
        language = user.language
    elif language is not None:
        language = check_language(language)
    primary = rules.primary_language(language)
    user_id = user.id if user is not None else None
    wanted = user.interests if user is not None else []
    async with ctx.db.read() as conn:
        resolved = await interests_store.resolve(conn, wanted)
        canonical = dict(resolved.values())
        names = [n for n in wanted if n not in resolved]
        tagged = await store.tag_matches(conn, user_id, list(canonical), wanted)
        related = dict(
            await store.related_interests(
                conn, list(canonical), min_rooms=rules.MIN_RELATED_ROOMS, limit=rules.MAX_RELATED
            )
        )
        near = await store.tag_matches(conn, user_id, list(related), [])
        popular = await store.popular(conn, user_id, primary)
        ids = list(dict.fromkeys([r for r, _, _ in tagged + near] + popular))
        rooms = await rooms_store.get_rooms(conn, ids)
        since = rules.hour_bucket(ctx.now()) - rules.WINDOW_H + 1
        activity = await store.activity_counts(conn, ids, since)
    # A tag counts by its interest's canonical name, or as typed when it names no interest.
    shared = _names_by_room(
        tagged, lambda tag, i: canonical.get(i or "") or (tag if tag in names else None)
    )
    nearby = _names_by_room(near, lambda _tag, i: related.get(i or ""))
    scored = []
    for room in rooms:
        signals = rules.Signals(
            interests=shared.get(room.id, []),
            related=nearby.get(room.id, []),
            same_language=primary is not None and rules.primary_language(room.language) == primary,
            member_count=room.member_count,
            activity=activity.get(room.id, 0),
        )
        score, reasons = rules.recommendation_score(signals)
        scored.append((score, room, reasons))
    scored.sort(key=lambda s: (-s[0], s[1].id))
    return {
        "rooms": [
            {**room_view(room), "score": round(score, 4), "reasons": reasons}
            for score, room, reasons in scored[:limit]
        ]
    }


def _names_by_room(
    tags: list[tuple[str, str, str | None]], name_of: Callable[[str, str | None], str | None]
) -> dict[str, list[str]]:
    """Room id → the distinct names ``name_of(tag, interest id)`` gives its tags."""
    out: dict[str, list[str]] = {}
    for room_id, tag, interest_id in tags:
        name = name_of(tag, interest_id)
        if name is not None and name not in out.setdefault(room_id, []):
            out[room_id].append(name)
    return out
