"""The host bot: one settings row per room, and its scheduled notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.bot import Answer, BotConfig, Schedule
from openlink.domain.rooms import RoomStatus
from openlink.store.schema import bot_schedules, room_bots, rooms


async def get_config(conn: AsyncConnection, room_id: str) -> BotConfig:
    """The room's bot with the ``bot_rev`` it was read at (an empty bot if none)."""
    row = (
        await conn.execute(
            select(
                rooms.c.bot_rev, room_bots.c.welcome, room_bots.c.answers, room_bots.c.updated_at
            )
            .select_from(rooms.outerjoin(room_bots, room_bots.c.room_id == rooms.c.id))
            .where(rooms.c.id == room_id)
        )
    ).one()
    answers = tuple(Answer(tuple(a["keywords"]), a["answer"]) for a in row.answers or ())
    return BotConfig(
        bot_rev=row.bot_rev, welcome=row.welcome, answers=answers, updated_at=row.updated_at
    )


async def put_config(
    conn: AsyncConnection,
    room_id: str,
    welcome: str | None,
    answers: tuple[Answer, ...],
    now: datetime,
) -> None:
    values = {"welcome": welcome, "answers": [a.view() for a in answers], "updated_at": now}
    result = await conn.execute(
        update(room_bots).where(room_bots.c.room_id == room_id).values(**values)
    )
    if result.rowcount == 0:
        await conn.execute(insert(room_bots).values(room_id=room_id, **values))


async def bump_rev(conn: AsyncConnection, room_id: str) -> int:
    result = await conn.execute(
        update(rooms)
        .where(rooms.c.id == room_id)
        .values(bot_rev=rooms.c.bot_rev + 1)
        .returning(rooms.c.bot_rev)
    )
    return int(result.scalar_one())


def _schedule(row: Any) -> Schedule:
    return Schedule(
        id=row.id,
        room_id=row.room_id,
        body=row.body,
        interval_s=row.interval_s,
        next_at=row.next_at,
        created_at=row.created_at,
    )


async def schedules_of(conn: AsyncConnection, room_id: str) -> list[Schedule]:
    rows = await conn.execute(
        select(bot_schedules)
        .where(bot_schedules.c.room_id == room_id)
        .order_by(bot_schedules.c.created_at, bot_schedules.c.id)
    )
    return [_schedule(r) for r in rows]


async def count_schedules(conn: AsyncConnection, room_id: str) -> int:
    q = select(func.count()).select_from(bot_schedules).where(bot_schedules.c.room_id == room_id)
    return int((await conn.execute(q)).scalar_one())


async def insert_schedule(conn: AsyncConnection, schedule: Schedule) -> None:
    await conn.execute(
        insert(bot_schedules).values(
            id=schedule.id,
            room_id=schedule.room_id,
            body=schedule.body,
            interval_s=schedule.interval_s,
            next_at=schedule.next_at,
            created_at=schedule.created_at,
        )
    )


async def delete_schedule(conn: AsyncConnection, room_id: str, schedule_id: str) -> bool:
    result = await conn.execute(
        delete(bot_schedules).where(
            bot_schedules.c.room_id == room_id, bot_schedules.c.id == schedule_id
        )
    )
    return bool(result.rowcount)


async def due_schedules(conn: AsyncConnection, now: datetime, limit: int) -> list[Schedule]:
    """Schedules of open rooms whose next post is due, the most overdue first."""
    rows = await conn.execute(
        select(bot_schedules)
        .join(rooms, rooms.c.id == bot_schedules.c.room_id)
        .where(bot_schedules.c.next_at <= now, rooms.c.status == RoomStatus.OPEN.value)
        .order_by(bot_schedules.c.next_at)
        .limit(limit)
    )
    return [_schedule(r) for r in rows]


async def claim(conn: AsyncConnection, schedule: Schedule, next_at: datetime) -> bool:
    """Move a due schedule on to ``next_at`` if nobody else did since it was read.

    Whoever changes the row owns this due time: every other claimant's condition no
    longer holds (PostgreSQL re-checks it after the row lock; SQLite has one writer)."""
    result = await conn.execute(
        update(bot_schedules)
        .where(bot_schedules.c.id == schedule.id, bot_schedules.c.next_at == schedule.next_at)
        .values(next_at=next_at)
    )
    return result.rowcount == 1
