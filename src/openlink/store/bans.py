"""Room bans: one entry per banned membership (stay), enforced on the account.

A host sees and lifts each entry on its own; the account stays out while any of its
entries is in force, so a rejoin under a new open profile is refused too. Nothing a host
reads here says that two entries belong to one account.
"""

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


def _in_force(now: datetime) -> Any:
    return or_(bans.c.until.is_(None), bans.c.until > now)


async def active_ban(
    conn: AsyncConnection, room_id: str, user_id: int, now: datetime
) -> Ban | None:
    """The account's entry in force that ends last (a ban without end first), if any."""
    rows = await conn.execute(
        select(bans).where(bans.c.room_id == room_id, bans.c.user_id == user_id, _in_force(now))
    )
    found = [_ban(r) for r in rows]
    if not found:
        return None
    return max(found, key=lambda b: (b.until is None, b.until or b.created_at))


async def get_ban(conn: AsyncConnection, room_id: str, member_id: str) -> Ban | None:
    row = (
        await conn.execute(
            select(bans).where(bans.c.room_id == room_id, bans.c.member_id == member_id)
        )
    ).one_or_none()
    return None if row is None else _ban(row)


async def put_ban(
    conn: AsyncConnection, *, room_id: str, user_id: int, member_id: str, **values: Any
) -> None:
    """Ban one membership: banning it again replaces its entry; other memberships' entries
    (of the same account too) stay as they are."""
    await conn.execute(delete(bans).where(bans.c.room_id == room_id, bans.c.member_id == member_id))
    await conn.execute(
        insert(bans).values(room_id=room_id, user_id=user_id, member_id=member_id, **values)
    )


async def lift_ban(conn: AsyncConnection, room_id: str, member_id: str) -> bool:
    result = await conn.execute(
        delete(bans).where(bans.c.room_id == room_id, bans.c.member_id == member_id)
    )
    return bool(result.rowcount)


async def list_bans(conn: AsyncConnection, room_id: str, now: datetime) -> list[Ban]:
    rows = await conn.execute(
        select(bans)
        .where(bans.c.room_id == room_id, _in_force(now))
        .order_by(bans.c.created_at.desc(), bans.c.member_id)
    )
    return [_ban(r) for r in rows]
