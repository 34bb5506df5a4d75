"""Room activity per hour: who wrote, who joined. The raw material of trending."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import room_activity


async def record(
    conn: AsyncConnection, *, room_id: str, bucket: int, member_id: str, kind: str
) -> None:
    """Insert the row unless it is there: the primary key makes a row a fact
    ("this member wrote in this room during this hour"), however many messages it took."""
    values = {"room_id": room_id, "bucket": bucket, "member_id": member_id, "kind": kind}
    await conn.execute(insert_or_ignore(room_activity).values(**values))


async def prune(conn: AsyncConnection, before_bucket: int) -> int:
    result = await conn.execute(delete(room_activity).where(room_activity.c.bucket < before_bucket))
    return int(result.rowcount or 0)
