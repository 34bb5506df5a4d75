"""Reading clips: ``access_clip`` is the one way to reach a clip for someone, and the
feeds (per interest, per room, "for you") are built from what it allows.

Who sees a clip: an interest clip, anyone; a room clip, the room's members, and anyone
else only while the room is a public group room showing its preview (a private room's
clips are never public). A hidden clip, only its poster, the operator and (room clips)
the room's moderators. Missing and forbidden are the same 404.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.domain import clips as rules
from openlink.domain.accounts import User, require_operator
from openlink.domain.clips import Clip, Order, clip_report_view, clip_view, comment_view
from openlink.domain.discovery import primary_language
from openlink.domain.media import MediaItem, MediaState
from openlink.domain.permissions import Action, may_read_hidden
from openlink.domain.rooms import Room, RoomKind, RoomStatus, Visibility
from openlink.errors import NotFound
from openlink.queries.access import access_clip, access_room_for, clip_not_found
from openlink.store import clips as store
from openlink.store import interests as interests_store
from openlink.store import media as media_store
from openlink.store import members as members_store
from openlink.store import rooms as rooms_store
from openlink.store.schema import clips as clips_table
from openlink.store.schema import rooms as rooms_table

MAX_PAGE = 50


async def views(
    conn: AsyncConnection, user: User | None, clips: list[Clip]
) -> list[dict[str, Any]]:
    """The views of ``clips`` (ready ones only) for the caller, in order."""
    items = await media_store.get_many(conn, [c.media_id for c in clips])
    liked = await store.liked_of(conn, user.id, [c.id for c in clips]) if user else set()
    room_ids = list({c.room_id for c in clips if c.room_id})
    rooms = {r.id: r for r in await rooms_store.get_rooms(conn, room_ids)}
    interest_ids = list({c.interest_id for c in clips if c.interest_id})
    names = {i.id: i.name for i in await interests_store.get_interests(conn, interest_ids)}
    out = []
    for c in clips:
        item = items.get(c.media_id)
        if item is None or item.state is not MediaState.READY:
            continue
        out.append(_view(user, c, item, liked, rooms.get(c.room_id or ""), names))
    return out


def _view(
    user: User | None,
    c: Clip,
    item: MediaItem,
    liked: set[str],
    room: Room | None,
    names: dict[str, str],
) -> dict[str, Any]:
    return clip_view(
        c,
        item,
        mine=user is not None and c.user_id == user.id,
        liked=c.id in liked,
        room={"id": room.id, "name": room.name} if room is not None else None,
        interest=names.get(c.interest_id or ""),
    )


async def get_clip(ctx: Context, user: User | None, clip_id: str) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        seen = await access_clip(conn, user, clip_id)
        found = await views(conn, user, [seen.clip])
    if not found:
        raise clip_not_found()
    return found[0]


def _public_rooms_only() -> Any:
    """Room clips of rooms anyone may see (see :func:`public_room`), and interest clips."""
    public = clips_table.c.room_id.in_(
        rooms_table.select()
        .with_only_columns(rooms_table.c.id)
        .where(
            rooms_table.c.visibility == Visibility.PUBLIC.value,
            rooms_table.c.kind == RoomKind.GROUP.value,
            rooms_table.c.preview_enabled.is_(True),
            rooms_table.c.status == RoomStatus.OPEN.value,
        )
    )
    return clips_table.c.room_id.is_(None) | public


def _page(raw: int) -> int:
    return max(1, min(raw, MAX_PAGE))


async def interest_feed(
    ctx: Context,
    user: User | None,
    interest_id: str,
    *,
    order: Order,
    cursor: str | None,
    limit: int,
    address: str | None = None,
) -> dict[str, Any]:
    """The clips posted to one interest, newest first or "top" (engagement, decayed)."""
    await limits.spend_visitor(ctx, user, address)
    where = [clips_table.c.interest_id == interest_id, clips_table.c.hidden.is_(False)]
    async with ctx.db.read() as conn:
        if await interests_store.get_interest(conn, interest_id) is None:
            raise NotFound("No interest has this id.", code="interest_not_found")
        if order is Order.NEW:
            return await _newest(conn, user, where, cursor, _page(limit))
        return await _ranked(ctx, conn, user, where, cursor, _page(limit), set(), None)


async def room_feed(
    ctx: Context, user: User, room_id: str, *, cursor: str | None, limit: int
) -> dict[str, Any]:
    """A room's clips, newest first, for its members (moderators see hidden ones too)."""
    async with ctx.db.read() as conn:
        room = await rooms_store.get_room(conn, room_id)
        member = None if room is None else await members_store.active_member(conn, room_id, user.id)
        if member is None:
            raise NotFound("No such room, or you are not in it.", code="room_not_found")
        where = [clips_table.c.room_id == room_id]
        if not may_read_hidden(member.role, member.rights) and not user.is_operator:
            where.append(clips_table.c.hidden.is_(False))
        return await _newest(conn, user, where, cursor, _page(limit))


async def for_you(ctx: Context, user: User, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """Interest clips and public rooms' clips, ranked from the caller's own interests
    and reading language, each clip's age and its public counts (decisions/0031)."""
    async with ctx.db.read() as conn:
        resolved = await interests_store.resolve(conn, user.interests)
        mine = {interest_id for interest_id, _ in resolved.values()}
        where = [clips_table.c.hidden.is_(False), _public_rooms_only()]
        return await _ranked(
            ctx, conn, user, where, cursor, _page(limit), mine, primary_language(user.language)
        )


async def _newest(
    conn: AsyncConnection, user: User | None, where: list[Any], cursor: str | None, limit: int
) -> dict[str, Any]:
    keyset = rules.parse_keyset_cursor(cursor)
    found = await store.newest(conn, where=where, after=keyset, limit=limit)
    more = len(found) == limit
    return {
        "clips": await views(conn, user, found),
        "next": rules.keyset_cursor(found[-1].created_at, found[-1].id) if more else None,
    }


async def _ranked(
    ctx: Context,
    conn: AsyncConnection,
    user: User | None,
    where: list[Any],
    cursor: str | None,
    limit: int,
    interests: set[str],
    language: str | None,
) -> dict[str, Any]:
    """The newest ``CANDIDATES`` clips of the window, ranked as of the first page."""
    now_s = int(ctx.now().timestamp())
    as_of_s, offset = rules.parse_rank_cursor(cursor, now_s)
    as_of = rules.EPOCH + timedelta(seconds=as_of_s)
    since = as_of - timedelta(hours=rules.WINDOW_H)
    window = [*where, clips_table.c.created_at >= since, clips_table.c.created_at <= as_of]
    found = await store.newest(conn, where=window, after=None, limit=rules.CANDIDATES)
    scored = sorted(
        found,
        key=lambda c: (
            -rules.score(
                c,
                as_of,
                interest=c.interest_id in interests,
                language=language is not None and primary_language(c.lang) == language,
            ),
            c.id,
        ),
    )
    page = scored[offset : offset + limit]
    more = offset + limit < len(scored)
    return {
        "clips": await views(conn, user, page),
        "next": rules.rank_cursor(as_of_s, offset + limit) if more else None,
    }


async def comments(
    ctx: Context, user: User | None, clip_id: str, *, cursor: str | None, limit: int
) -> dict[str, Any]:
    """An interest clip's thread, oldest first."""
    async with ctx.db.read() as conn:
        seen = await access_clip(conn, user, clip_id)
        keyset = rules.parse_keyset_cursor(cursor)
        found = await store.comments_of(conn, seen.clip.id, keyset, _page(limit))
    more = len(found) == _page(limit)
    return {
        "comments": [
            comment_view(c, mine=user is not None and c.user_id == user.id) for c in found
        ],
        "next": rules.keyset_cursor(found[-1].created_at, found[-1].id) if more else None,
    }


async def reported(ctx: Context, operator: User, *, limit: int) -> dict[str, Any]:
    """The operator's review list: reported clips, most reported first, each with its
    report count and reasons (never who reported)."""
    require_operator(operator)
    async with ctx.db.read() as conn:
        counts = await store.reported(conn, _page(limit))
        found = {c.id: c for c in await store.get_clips(conn, [i for i, _ in counts])}
        reasons = await store.report_reasons(conn, list(found))
        shown = {v["id"]: v for v in await views(conn, operator, list(found.values()))}
    return {
        "clips": [
            {"clip": shown[i], "reports": n, "reasons": reasons.get(i, [])}
            for i, n in counts
            if i in shown
        ]
    }


async def room_reports(ctx: Context, user: User, room_id: str, *, limit: int) -> dict[str, Any]:
    """The room's moderators' list of reports of its clips: the newest ``limit`` reports,
    grouped by clip (the clip of the newest report first). A hidden clip is shown only
    to a moderator who may read hidden content (as a hidden message's excerpt is); the
    others get its id and ``hidden``. The operator's list is :func:`reported`."""
    async with ctx.db.read() as conn:
        room, me = await access_room_for(conn, user, room_id, Action.VIEW_MODERATION)
        found = await store.room_reports(conn, room.id, limit)
        clips = await store.get_clips(conn, list(dict.fromkeys(r.clip_id for r in found)))
        shown = {v["id"]: v for v in await views(conn, user, clips)}
    hidden = {c.id: c.hidden for c in clips}
    may_see_hidden = may_read_hidden(me.role, me.rights)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in found:
        if r.clip_id in hidden:
            grouped.setdefault(r.clip_id, []).append(clip_report_view(r))
    return {
        "clips": [
            {
                "id": clip_id,
                "hidden": hidden[clip_id],
                "clip": shown.get(clip_id) if may_see_hidden or not hidden[clip_id] else None,
                "reports": reports,
            }
            for clip_id, reports in grouped.items()
        ]
    }
