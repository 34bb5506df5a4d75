"""Memberships: one row per person per stay in a room."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.governance import RoomPolicy
from openlink.domain.members import Member, ProfileKind
from openlink.domain.permissions import Right, Role
from openlink.domain.rooms import RoomKind, RoomStatus
from openlink.store.schema import members, rooms


def _member(row: Any) -> Member:
    return Member(
        id=row.id,
        room_id=row.room_id,
        user_id=row.user_id,
        nickname=row.nickname,
        avatar_url=row.avatar_url,
        profile_kind=ProfileKind(row.profile_kind),
        role=Role(row.role),
        joined_at=row.joined_at,
        last_read_seq=row.last_read_seq,
        active=row.active,
        rights=frozenset(Right(r) for r in row.rights or ()),
        timed_out_until=row.timed_out_until,
    )


async def insert_member(conn: AsyncConnection, **values: Any) -> Member:
    values.setdefault("active", True)
    row = (await conn.execute(insert(members).values(**values).returning(members))).one()
    return _member(row)


async def active_member(conn: AsyncConnection, room_id: str, user_id: int) -> Member | None:
    row = (
        await conn.execute(
            select(members).where(
                members.c.room_id == room_id,
                members.c.user_id == user_id,
                members.c.active.is_(True),
            )
        )
    ).one_or_none()
    return None if row is None else _member(row)


async def memberships(conn: AsyncConnection, user_id: int) -> dict[str, Member]:
    """The user's active memberships, by room id."""
    rows = await conn.execute(
        select(members).where(members.c.user_id == user_id, members.c.active.is_(True))
    )
    return {r.room_id: _member(r) for r in rows}


async def host_of(conn: AsyncConnection, room_id: str) -> Member | None:
    row = (
        await conn.execute(
            select(members).where(
                members.c.room_id == room_id,
                members.c.active.is_(True),
                members.c.role == "host",
            )
        )
    ).first()
    return None if row is None else _member(row)


async def get_member(conn: AsyncConnection, room_id: str, member_id: str) -> Member | None:
    row = (
        await conn.execute(
            select(members).where(members.c.room_id == room_id, members.c.id == member_id)
        )
    ).one_or_none()
    return None if row is None else _member(row)


async def list_members(
    conn: AsyncConnection, room_id: str, *, after: str | None, limit: int
) -> list[Member]:
    q = select(members).where(members.c.room_id == room_id, members.c.active.is_(True))
    if after is not None:
        q = q.where(members.c.id > after)
    rows = await conn.execute(q.order_by(members.c.id).limit(limit))
    return [_member(r) for r in rows]


async def active_members(conn: AsyncConnection, room_id: str, ids: list[str]) -> list[Member]:
    """Those of ``ids`` that are active members of the room, by id."""
    if not ids:
        return []
    rows = await conn.execute(
        select(members)
        .where(members.c.room_id == room_id, members.c.active.is_(True), members.c.id.in_(ids))
        .order_by(members.c.id)
    )
    return [_member(r) for r in rows]


async def active_member_ids(conn: AsyncConnection, room_id: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are active members of the room."""
    if not ids:
        return set()
    rows = await conn.execute(
        select(members.c.id).where(
            members.c.room_id == room_id, members.c.active.is_(True), members.c.id.in_(ids)
        )
    )
    return set(rows.scalars())


async def update_member(conn: AsyncConnection, member_id: str, **values: Any) -> None:
    await conn.execute(update(members).where(members.c.id == member_id).values(**values))


async def deactivate(conn: AsyncConnection, member_id: str, now: datetime) -> None:
    await update_member(conn, member_id, active=False, left_at=now)


async def advance_read_marker(conn: AsyncConnection, member_id: str, seq: int) -> int:
    """Move the marker forward only; returns the marker now stored."""
    await conn.execute(
        update(members)
        .where(members.c.id == member_id, members.c.last_read_seq < seq)
        .values(last_read_seq=seq)
    )
    q = select(members.c.last_read_seq).where(members.c.id == member_id)
    return int((await conn.execute(q)).scalar_one())


async def sender(
    conn: AsyncConnection, room_id: str, user_id: int
) -> tuple[Member, RoomPolicy] | None:
    """The active member and the room's send policy in one read: the send path's lookup."""

    row = (
        await conn.execute(
            select(
                members,
                rooms.c.status.label("room_status"),
                rooms.c.kind.label("room_kind"),
                rooms.c.slow_mode_s,
                rooms.c.probation_s,
                rooms.c.automod_rev,
                rooms.c.bot_rev,
                rooms.c.translation_enabled,
                rooms.c.glossary_rev,
                rooms.c.language.label("room_language"),
            )
            .join(rooms, rooms.c.id == members.c.room_id)
            .where(
                members.c.room_id == room_id,
                members.c.user_id == user_id,
                members.c.active.is_(True),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    policy = RoomPolicy(
        status=RoomStatus(row.room_status),
        kind=RoomKind(row.room_kind),
        slow_mode_s=row.slow_mode_s,
        probation_s=row.probation_s,
        automod_rev=row.automod_rev,
        bot_rev=row.bot_rev,
        translation_enabled=row.translation_enabled,
        glossary_rev=row.glossary_rev,
        language=row.room_language,
    )
    return _member(row), policy


async def count_cohosts(conn: AsyncConnection, room_id: str) -> int:
    q = select(func.count()).where(
        members.c.room_id == room_id,
        members.c.active.is_(True),
        members.c.role == Role.COHOST.value,
    )
    return int((await conn.execute(q)).scalar_one())


async def nicknames(conn: AsyncConnection, room_id: str) -> list[tuple[str, str]]:
    """(member id, nickname) of everyone in the room."""
    rows = await conn.execute(
        select(members.c.id, members.c.nickname).where(
            members.c.room_id == room_id, members.c.active.is_(True)
        )
    )
    return [(r.id, r.nickname) for r in rows]


async def moderators(conn: AsyncConnection, room_id: str) -> list[Member]:
    """The room's host and co-hosts."""
    rows = await conn.execute(
        select(members).where(
            members.c.room_id == room_id,
            members.c.active.is_(True),
            members.c.role.in_([Role.HOST.value, Role.COHOST.value]),
        )
    )
    return [_member(r) for r in rows]
