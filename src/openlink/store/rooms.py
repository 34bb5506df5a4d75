"""Rooms, their tags and their sequence counter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, null, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.rooms import (
    ProfilePolicy,
    Room,
    RoomKind,
    RoomStatus,
    Tag,
    TagCategory,
    Visibility,
)
from openlink.store import grams
from openlink.store.db import column_names, driver_rows
from openlink.store.interests import owners as interest_owners
from openlink.store.messages import COUNTED_AS_UNREAD_CLAUSE, UNREAD_CAP
from openlink.store.schema import members, messages, room_tags, rooms


def _room(row: Any, tags: list[Tag]) -> Room:
    return Room(
        id=row.id,
        kind=RoomKind(row.kind),
        name=row.name,
        description=row.description,
        cover_url=row.cover_url,
        visibility=Visibility(row.visibility),
        profile_policy=ProfilePolicy(row.profile_policy),
        member_cap=row.member_cap,
        status=RoomStatus(row.status),
        link_code=row.link_code,
        has_code=row.code_hash is not None,
        last_seq=row.last_seq,
        member_count=row.member_count,
        created_at=row.created_at,
        parent_id=row.parent_id,
        tags=tags,
        slow_mode_s=row.slow_mode_s,
        probation_s=row.probation_s,
        join_approval=row.join_approval,
        min_account_age_days=row.min_account_age_days,
        verified_only=row.verified_only,
        link_expires_at=row.link_expires_at,
        link_max_uses=row.link_max_uses,
        link_uses=row.link_uses,
        pinned_seq=row.pinned_seq,
        automod_rev=row.automod_rev,
        bot_rev=row.bot_rev,
        language=row.language,
        preview_enabled=row.preview_enabled,
        translation_enabled=row.translation_enabled,
        link_previews=row.link_previews,
        glossary_rev=row.glossary_rev,
    )


async def insert_room(conn: AsyncConnection, *, tags: list[Tag], **values: Any) -> Room:
    row = (await conn.execute(insert(rooms).values(**values).returning(rooms))).one()
    await set_tags(conn, row.id, tags)
    return _room(row, tags)


async def set_tags(conn: AsyncConnection, room_id: str, tags: list[Tag]) -> None:
    """Replace the room's tags; each names the interest it is an alias of, if any."""
    await conn.execute(delete(room_tags).where(room_tags.c.room_id == room_id))
    if tags:
        interest = await interest_owners(conn, [t.name for t in tags])
        await conn.execute(
            insert(room_tags),
            [
                {
                    "room_id": room_id,
                    "name": t.name,
                    "category": t.category.value,
                    "interest_id": interest.get(t.name),
                }
                for t in tags
            ],
        )
    await grams.refresh(conn, room_id)


# Built once: on SQLite, building a statement costs more than running it.
_TAGS = (
    select(room_tags)
    .where(room_tags.c.room_id.in_(bindparam("ids", expanding=True)))
    .order_by(room_tags.c.room_id, room_tags.c.name)
)
_ROOMS = select(rooms).where(rooms.c.id.in_(bindparam("ids", expanding=True)))


async def _tags(conn: AsyncConnection, room_ids: list[str]) -> dict[str, list[Tag]]:
    out: dict[str, list[Tag]] = {rid: [] for rid in room_ids}
    if room_ids:
        rows = await conn.execute(_TAGS, {"ids": room_ids})
        for r in rows:
            out[r.room_id].append(Tag(r.name, TagCategory(r.category)))
    return out


async def get_room(conn: AsyncConnection, room_id: str, *, for_update: bool = False) -> Room | None:
    q = select(rooms).where(rooms.c.id == room_id)
    if for_update:
        q = q.with_for_update()
    row = (await conn.execute(q)).one_or_none()
    if row is None:
        return None
    return _room(row, (await _tags(conn, [row.id]))[row.id])


async def get_room_by_link(conn: AsyncConnection, link_code: str) -> Room | None:
    row = (await conn.execute(select(rooms).where(rooms.c.link_code == link_code))).one_or_none()
    if row is None:
        return None
    return _room(row, (await _tags(conn, [row.id]))[row.id])


async def get_rooms(conn: AsyncConnection, room_ids: list[str]) -> list[Room]:
    """The rooms with these ids, in the order of ``room_ids`` (missing ones left out)."""
    if not room_ids:
        return []
    rows = {r.id: r for r in await conn.execute(_ROOMS, {"ids": room_ids})}
    tags = await _tags(conn, list(rows))
    return [_room(rows[i], tags[i]) for i in room_ids if i in rows]


async def get_code_hash(conn: AsyncConnection, room_id: str) -> str | None:
    q = select(rooms.c.code_hash).where(rooms.c.id == room_id)
    return (await conn.execute(q)).scalar_one_or_none()


_MINE = (members.c.user_id == bindparam("user_id")) & members.c.active.is_(True)
_TAGS_OF_USER = (
    select(room_tags.c.room_id, room_tags.c.name, room_tags.c.category)
    .join(members, members.c.room_id == room_tags.c.room_id)
    .where(_MINE)
    .order_by(room_tags.c.room_id, room_tags.c.name)
)


#: The room list's columns of the room (``ready``, ``GET /api/rooms``), in the order and
#: under the names of ``room_view``, so that a row's first values zip into its view:
#: ``has_code`` is whether there is a code hash, ``link`` the link code, ``tags`` a NULL
#: that the tags replace.
LIST_ROOM_KEYS = (
    "id", "kind", "name", "description", "cover_url", "visibility", "profile_policy",
    "member_cap", "member_count", "status", "has_code", "link", "tags", "last_seq",
    "created_at", "slow_mode_s", "probation_s", "join_approval", "min_account_age_days",
    "verified_only", "link_expires_at", "link_max_uses", "link_uses", "pinned_seq",
    "language", "preview_enabled", "translation_enabled", "link_previews",
)  # fmt: skip
_LIST_ROOM_EXPRESSIONS: dict[str, Any] = {
    **{c.name: c for c in rooms.c},
    "has_code": rooms.c.code_hash.is_not(None),
    "link": rooms.c.link_code,
    "tags": null(),
}
_LIST_MEMBER = (
    "id", "nickname", "avatar_url", "profile_kind", "role", "joined_at", "rights",
    "timed_out_until", "last_read_seq",
)  # fmt: skip
_LIST_MESSAGE = (
    "room_id", "seq", "rev", "kind", "member_id", "created_at", "deleted_at", "hidden_at",
    "reply_to", "body", "media", "mentions", "reactions", "edited_at", "system",
    "link_warning", "lang", "preview",
)  # fmt: skip


def _mine_statement() -> Any:
    """The account's active memberships with their rooms, unread counts (capped, as
    ``messages.count_after``) and newest messages (by seq), in one statement, with only
    the columns the room list shows. Built once: building a statement costs more than
    running it on SQLite."""
    unread = (
        select(messages.c.seq)
        .where(
            messages.c.room_id == members.c.room_id,
            messages.c.seq > members.c.last_read_seq,
            COUNTED_AS_UNREAD_CLAUSE,
            messages.c.member_id != members.c.id,
        )
        .limit(UNREAD_CAP)
        .correlate(members)
        .subquery()
    )
    unread_count = select(func.count()).select_from(unread).correlate(members).scalar_subquery()
    older = messages.alias("older")
    newest_seq = (
        select(func.max(older.c.seq))
        .where(older.c.room_id == members.c.room_id)
        .correlate(members)
        .scalar_subquery()
    )
    newest = messages.alias("newest")
    on_newest = and_(newest.c.room_id == members.c.room_id, newest.c.seq == newest_seq)
    return (
        select(
            *(_LIST_ROOM_EXPRESSIONS[n].label(n) for n in LIST_ROOM_KEYS),
            *(members.c[n].label(f"m_{n}") for n in _LIST_MEMBER),
            *(newest.c[n].label(f"n_{n}") for n in _LIST_MESSAGE),
            unread_count.label("unread"),
            select(room_tags.c.room_id)
            .where(room_tags.c.room_id == members.c.room_id)
            .correlate(members)
            .exists()
            .label("tagged"),
        )
        .select_from(
            members.join(rooms, rooms.c.id == members.c.room_id).outerjoin(newest, on_newest)
        )
        .where(_MINE)
        .order_by(rooms.c.id)
    )


_MINE_WITH_NEWEST = _mine_statement()


#: The labels of a room list row, in order (``room_list_of_user``).
ROOM_LIST_COLUMNS = column_names(_MINE_WITH_NEWEST)


async def room_list_of_user(
    conn: AsyncConnection, user_id: int
) -> tuple[list[Sequence[Any]], dict[str, list[Tag]]]:
    """The rooms the user is an active member of, by id, as rows of the columns the room
    list shows (``ROOM_LIST_COLUMNS``: first ``LIST_ROOM_KEYS``; the membership's prefixed
    ``m_``, the newest message's ``n_``; ``unread``, ``tagged``), and each room's tags: two
    statements however many rooms, one if none of them has tags. Rows as the driver
    reads them (``db.driver_rows``), not domain objects: every socket connect reads this,
    and building a room, a member and a message per row cost more than the statement
    (``queries.rooms.my_rooms`` makes the views from them)."""
    rows = await driver_rows(conn, _MINE_WITH_NEWEST, {"user_id": user_id})
    tags: dict[str, list[Tag]] = {r[0]: [] for r in rows}
    if any(r[_TAGGED] for r in rows):  # many rooms have none (1:1 chats): then one statement
        for room_id, name, category in await driver_rows(conn, _TAGS_OF_USER, {"user_id": user_id}):
            if room_id in tags:  # on PostgreSQL a join may commit between the two reads
                tags[room_id].append(Tag(name, TagCategory(category)))
    return rows, tags


_TAGGED = ROOM_LIST_COLUMNS.index("tagged")


async def update_room(conn: AsyncConnection, room_id: str, **values: Any) -> None:
    await conn.execute(update(rooms).where(rooms.c.id == room_id).values(**values))
    if "name" in values or "description" in values:
        await grams.refresh(conn, room_id)


async def next_seq(conn: AsyncConnection, room_id: str) -> int:
    """Take the room's next sequence number inside the caller's transaction.

    The row stays locked until commit (PostgreSQL) or the whole database is (SQLite), so
    seqs are handed out in commit order with no gaps among committed changes.
    """
    result = await conn.execute(
        update(rooms)
        .where(rooms.c.id == room_id)
        .values(last_seq=rooms.c.last_seq + 1)
        .returning(rooms.c.last_seq)
    )
    return int(result.scalar_one())


async def add_member_count(conn: AsyncConnection, room_id: str, delta: int) -> None:
    await conn.execute(
        update(rooms).where(rooms.c.id == room_id).values(member_count=rooms.c.member_count + delta)
    )


async def direct_room_for(conn: AsyncConnection, parent_id: str, user_id: int) -> str | None:
    """The 1:1 room a link already gave this user, if they are still in it."""
    q = (
        select(rooms.c.id)
        .join(members, members.c.room_id == rooms.c.id)
        .where(
            rooms.c.parent_id == parent_id,
            members.c.user_id == user_id,
            members.c.active.is_(True),
            members.c.role != "host",
        )
    )
    return (await conn.execute(q)).scalars().first()


async def last_seq(conn: AsyncConnection, room_id: str) -> int:
    """The room's current last seq, without taking a new one."""
    q = select(rooms.c.last_seq).where(rooms.c.id == room_id)
    return int((await conn.execute(q)).scalar_one())


async def last_seqs(conn: AsyncConnection, room_ids: list[str]) -> dict[str, int]:
    q = select(rooms.c.id, rooms.c.last_seq).where(rooms.c.id.in_(room_ids))
    return {r.id: int(r.last_seq) for r in await conn.execute(q)}


async def language(conn: AsyncConnection, room_id: str) -> str | None:
    q = select(rooms.c.language).where(rooms.c.id == room_id)
    return (await conn.execute(q)).scalar_one_or_none()


async def translation_settings(conn: AsyncConnection, room_id: str) -> tuple[bool, int]:
    """Whether the room translates, and its glossary's rev."""
    q = select(rooms.c.translation_enabled, rooms.c.glossary_rev).where(rooms.c.id == room_id)
    row = (await conn.execute(q)).one()
    return bool(row.translation_enabled), int(row.glossary_rev)


async def count_link_use(conn: AsyncConnection, room_id: str) -> None:
    await conn.execute(
        update(rooms).where(rooms.c.id == room_id).values(link_uses=rooms.c.link_uses + 1)
    )


async def link_previews_on(conn: AsyncConnection, room_id: str) -> bool:
    """Whether the room's messages get link previews (false for a room that is gone)."""
    q = select(rooms.c.link_previews).where(rooms.c.id == room_id)
    return bool((await conn.execute(q)).scalar_one_or_none())
