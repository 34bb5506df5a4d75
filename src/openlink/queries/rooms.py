"""Reading rooms: my rooms with unread counts, one room, its members, link previews."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.events import member_view, message_view, room_view
from openlink.domain.governance import check_link_usable
from openlink.domain.media import preview_media_view
from openlink.domain.members import Member
from openlink.domain.messages import Message
from openlink.domain.permissions import Role
from openlink.domain.rooms import RoomKind, Tag
from openlink.errors import Forbidden, InvalidInput, NotFound
from openlink.queries import media
from openlink.queries.access import access_room_as_member, access_room_for_preview
from openlink.store import members as members_store
from openlink.store import messages as messages_store
from openlink.store import rooms as store
from openlink.store.db import driver_iso, driver_json


async def my_rooms(ctx: Context, user: User) -> list[dict[str, Any]]:
    """My rooms with my membership, unread count and last message; latest activity first.

    Every socket connect reads this, so it is a fixed number of statements however many
    rooms the account is in: the rooms with the memberships, unread counts and newest
    messages, then, if any of them has tags, their tags. The views are made from the rows
    directly (``_listed_room``), the same as ``room_view``, ``member_view`` and
    ``message_view`` make them from domain objects."""
    async with ctx.db.read() as conn:
        rows, tags = await store.room_list_of_user(conn, user.id)
    out = [_listed_room(r, tags[r[0]]) for r in rows]
    out.sort(key=_activity, reverse=True)
    if any(room["last_message"] and "media" in room["last_message"] for room in out):
        # Attachments' URLs leave the server signed, as in every view.
        out = list(await media.signed(ctx, out))
    return out


def _listed_room(r: Sequence[Any], tags: list[Tag]) -> dict[str, Any]:
    """One room of ``my_rooms`` from its row: ``room_view`` of the room, with ``me``
    (``member_view``), ``read_seq``, ``unread`` and ``last_message`` (``message_view``).
    The row's first columns are the room view's, in its order (``LIST_ROOM_KEYS``), and
    stored enum values are the views' strings, so most values are used as read; the
    timestamps, booleans and JSON come as the driver read them (``store.db.driver_rows``).
    """
    c = dict(zip(store.ROOM_LIST_COLUMNS, r, strict=True))
    view = dict(zip(store.LIST_ROOM_KEYS, r, strict=False))
    for key in _ROOM_FLAGS:
        view[key] = bool(view[key])
    view["link"] = f"/l/{view['link']}"
    view["tags"] = [{"name": t.name, "category": t.category.value} for t in tags]
    view["created_at"] = driver_iso(view["created_at"])
    view["link_expires_at"] = driver_iso(view["link_expires_at"])
    me: dict[str, Any] = {
        "id": c["m_id"],
        "nickname": c["m_nickname"],
        "avatar_url": c["m_avatar_url"],
        "profile": c["m_profile_kind"],
        "role": c["m_role"],
        "joined_at": driver_iso(c["m_joined_at"]),
    }
    if c["m_role"] == Role.COHOST.value:
        me["rights"] = sorted(set(driver_json(c["m_rights"]) or ()))
    if c["m_timed_out_until"] is not None:
        me["timed_out_until"] = driver_iso(c["m_timed_out_until"])
    view["me"] = me
    view["read_seq"] = c["m_last_read_seq"]
    view["unread"] = int(c["unread"])
    view["last_message"] = None if c["n_seq"] is None else _listed_message(c)
    return view


#: The room view's booleans (SQLite's driver reads 0 and 1).
_ROOM_FLAGS = (
    "has_code", "join_approval", "verified_only", "preview_enabled", "translation_enabled",
    "link_previews",
)  # fmt: skip


def _listed_message(c: dict[str, Any]) -> dict[str, Any]:
    """``message_view`` of the room's newest message, from the ``n_`` columns."""
    view: dict[str, Any] = {
        "room": c["n_room_id"],
        "seq": c["n_seq"],
        "rev": c["n_rev"],
        "kind": c["n_kind"],
        "member": c["n_member_id"],
        "created_at": driver_iso(c["n_created_at"]),
    }
    if c["n_deleted_at"] is not None:
        view["deleted"] = True
        view["deleted_at"] = driver_iso(c["n_deleted_at"])
        return view
    if c["n_hidden_at"] is not None:
        view["hidden"] = True
        view["hidden_at"] = driver_iso(c["n_hidden_at"])
        if c["n_reply_to"] is not None:
            view["reply_to"] = c["n_reply_to"]
        return view
    view["body"] = c["n_body"]
    media = driver_json(c["n_media"])
    if media:
        view["media"] = list(media)
    if c["n_reply_to"] is not None:
        view["reply_to"] = c["n_reply_to"]
    mentions = driver_json(c["n_mentions"])
    if mentions:
        view["mentions"] = list(mentions)
    reactions = driver_json(c["n_reactions"])
    if reactions:
        view["reactions"] = dict(reactions)
    if c["n_edited_at"] is not None:
        view["edited_at"] = driver_iso(c["n_edited_at"])
    system = driver_json(c["n_system"])
    if system is not None:
        view["system"] = system
    if c["n_link_warning"]:
        view["link_warning"] = True
    if c["n_lang"] is not None:
        view["lang"] = c["n_lang"]
    preview = driver_json(c["n_preview"])
    if preview is not None and not preview.get("removed"):
        view["preview"] = preview
    return view


def _activity(view: dict[str, Any]) -> str:
    last = view["last_message"]
    return str(last["created_at"] if last else view["created_at"])


async def room_for(ctx: Context, user: User | None, room_id: str) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        room, member = await access_room_for_preview(conn, user, room_id)
        view = room_view(room)
        if member is not None:
            view["me"] = member_view(member)
            view["read_seq"] = member.last_read_seq
            view["unread"] = await messages_store.count_after(
                conn, room.id, member.last_read_seq, not_by=member.id
            )
        return view


async def link_preview(ctx: Context, link_code: str) -> dict[str, Any]:
    """What a link shows before joining: enough to decide, nothing about who is inside."""
    async with ctx.db.read() as conn:
        room = await store.get_room_by_link(conn, link_code)
    if room is None or room.kind is RoomKind.DIRECT:
        raise NotFound("This link does not lead to a room (any more).", code="link_not_found")
    check_link_usable(room.link_expires_at, room.link_max_uses, room.link_uses, ctx.now())
    view = room_view(room)
    view.pop("last_seq")
    return view


PREVIEW_MESSAGES = 20


async def preview(
    ctx: Context, user: User | None, room_id: str, *, address: str | None = None
) -> dict[str, Any]:
    """Read before joining: a public room's recent messages, notice, tags and size.

    Hidden and deleted messages show as such (no body), as in history; the host can turn
    previews off, and members read the room's history instead. Visitors without an
    account are limited per address."""
    await limits.spend_visitor(ctx, user, address)
    async with ctx.db.read() as conn:
        room, member = await access_room_for_preview(conn, user, room_id)
        if member is None and not room.preview_enabled:
            raise Forbidden(
                "The host has turned off previews of this room: join it to read it.",
                code="preview_disabled",
            )
        recent = await messages_store.page(
            conn, room.id, before=None, after=None, limit=PREVIEW_MESSAGES
        )
        notice = (
            await messages_store.get_message(conn, room.id, room.pinned_seq)
            if room.pinned_seq is not None
            else None
        )
        shown = [m for m in (*recent, notice) if m is not None]
        authors = await _authors(conn, room.id, shown)
    # Attachments: a member reads them in full; anyone else sees their small pictures
    # only (decision 0029: the URLs are signed, the same for every reader this hour).
    view = message_view if member is not None else _visitor_message_view
    return dict(
        await media.signed(
            ctx,
            {
                "room": room_view(room),
                "notice": view(notice) if notice is not None else None,
                "messages": [view(m) for m in recent],
                "members": [member_view(m) for m in authors],
            },
        )
    )


def _visitor_message_view(message: Message) -> dict[str, Any]:
    shown = message_view(message)
    if shown.get("media"):
        shown["media"] = [preview_media_view(m) for m in shown["media"]]
    return shown


async def _authors(conn: AsyncConnection, room_id: str, shown: list[Message]) -> list[Member]:
    """The host, and the members still in the room who wrote what the preview shows: by
    their member views, as members see them. Those who left are not named (a client shows
    them as former members)."""
    host = await members_store.host_of(conn, room_id)
    hosts = [host] if host is not None else []
    ids = {m.member_id for m in shown if m.member_id is not None} - {h.id for h in hosts}
    return hosts + await members_store.active_members(conn, room_id, sorted(ids))


async def members_of(
    ctx: Context, user: User, room_id: str, *, after: str | None, limit: int
) -> list[dict[str, Any]]:
    if not 1 <= limit <= 500:
        raise InvalidInput("limit is 1 to 500.", code="invalid_limit")
    async with ctx.db.read() as conn:
        room, _ = await access_room_as_member(conn, user, room_id)
        return [
            member_view(m)
            for m in await members_store.list_members(conn, room.id, after=after, limit=limit)
        ]
