"""Reading a room's stream: history pages and changes since a resume point."""

from __future__ import annotations

from typing import Any

from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.events import message_view, translation_event
from openlink.domain.languages import base_language
from openlink.domain.messages import Message
from openlink.errors import InvalidInput
from openlink.queries import media
from openlink.queries.access import access_room_as_member
from openlink.store import messages as store
from openlink.store import rooms as rooms_store
from openlink.store import translations as translations_store

MAX_PAGE = 200


async def history(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """One page of messages by seq, ascending. ``after`` pages forward; otherwise the page
    ends just before ``before`` (or at the newest message)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit is 1 to {MAX_PAGE}.", code="invalid_limit")
    if before is not None and after is not None:
        raise InvalidInput("Give before or after, not both.", code="invalid_page")
    async with ctx.db.read() as conn:
        room, member = await access_room_as_member(conn, user, room_id)
        page = await store.page(conn, room.id, before=before, after=after, limit=limit + 1)
        more = len(page) > limit
        page = page[:limit] if after is not None else page[-limit:]
        mine = await store.my_reactions(conn, room.id, member.id, [m.seq for m in page])
        reading = base_language(user.language)
        translated = await translations_store.for_messages(
            conn,
            room.id,
            reading or "",
            [m.seq for m in page if m.lang is not None and m.lang != reading],
        )
    views = []
    for m in page:
        view = message_view(m)
        if m.seq in mine:
            view["my_reactions"] = sorted(mine[m.seq])
        if m.seq in translated and not (m.hidden or m.deleted):
            t = translated[m.seq]
            view["translation"] = {"lang": t.lang, "body": t.body}
        views.append(view)
    return {
        "messages": await media.signed(ctx, views),
        "has_more": more,
        "last_seq": room.last_seq,
        "read_seq": member.last_read_seq,
    }


async def changes_since(
    ctx: Context, room_id: str, rev: int, *, upto: int | None = None, limit: int
) -> list[Message]:
    """For the realtime hub: the stream after ``rev``, by rev (no access check: callers
    have already established membership)."""
    async with ctx.db.read() as conn:
        return await store.changed_since(conn, room_id, rev, upto=upto, limit=limit)


async def translations_for(
    ctx: Context, room_id: str, lang: str, rows: list[Message]
) -> list[dict[str, Any]]:
    """For the hub's catch-up: the stored ``message.translated`` events of ``rows`` in
    ``lang`` (current revs only), to send right after them."""
    wanted = [
        m.seq for m in rows if m.lang is not None and m.lang != lang and not (m.hidden or m.deleted)
    ]
    if not wanted:
        return []
    async with ctx.db.read() as conn:
        found = await translations_store.for_messages(conn, room_id, lang, wanted)
    return [
        translation_event(t.room_id, t.seq, t.rev, t.source_lang, t.lang, t.body)
        for t in sorted(found.values(), key=lambda t: t.seq)
    ]


async def last_seqs(ctx: Context, room_ids: list[str]) -> dict[str, int]:
    """For the hub's catch-up: each room's current last seq, in one read."""
    async with ctx.db.read() as conn:
        return await rooms_store.last_seqs(conn, room_ids)


async def last_seq(ctx: Context, room_id: str) -> int:
    async with ctx.db.read() as conn:
        return await rooms_store.last_seq(conn, room_id)
