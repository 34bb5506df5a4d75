"""Room bans: by account, so that a rejoin under a new open profile is refused too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.store.schema import bans


@dataclass(slots=True)
class Ban:
    room_id: str
    #: The banned membership; the only name moderators ever see for the person.
    member_id: str
    nickname: str
    until: datetime | None
    reason: str
    created_by: str | None
    created_at: datetime


def _ban(row: Any) -> Ban:
    return Ban(
        room_id=row.room_id,
        member_id=row.member_id,
        nickname=row.nickname,
        until=row.until,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
    )


async def active_ban(
    conn: AsyncConnection, room_id: str, user_id: int, now: datetime
) -> Ban | None:
    row = (
        await conn.execute(
            select(bans).where(
                bans.c.room_id == room_id,
                bans.c.user_id == user_id,
                or_(bans.c.until.is_(None), bans.c.until > now),
            )
        )
    ).one_or_none()
    return None if row is None else _ban(row)


async def put_ban(conn: AsyncConnection, *, room_id: str, user_id: int, **values: Any) -> None:
    """Ban (again): a later ban replaces an earlier one."""
    await conn.execute(delete(bans).where(bans.c.room_id == room_id, bans.c.user_id == user_id))
    await conn.execute(insert(bans).values(room_id=room_id, user_id=user_id, **values))


async def lift_ban(conn: AsyncConnection, room_id: str, member_id: str) -> bool:
    result = await conn.execute(
        delete(bans).where(bans.c.room_id == room_id, bans.c.member_id == member_id)
    )
    return bool(result.rowcount)


async def list_bans(conn: AsyncConnection, room_id: str, now: datetime) -> list[Ban]:
    rows = await conn.execute(
        select(bans)
        .where(bans.c.room_id == room_id, or_(bans.c.until.is_(None), bans.c.until > now))
        .order_by(bans.c.created_at.desc())
    )
    return [_ban(r) for r in rows]
