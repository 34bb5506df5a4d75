"""The per-room audit log: append-only, one row per moderation action."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.audit import AuditEntry
from openlink.store.schema import audit_log


async def append(conn: AsyncConnection, entry: AuditEntry) -> None:
    await conn.execute(
        insert(audit_log).values(
            room_id=entry.room_id,
            actor=entry.actor,
            actor_kind=entry.actor_kind.value,
            action=entry.action,
            target_member=entry.target_member,
            target_seq=entry.target_seq,
            details=entry.details or None,
            created_at=entry.created_at,
        )
    )


async def page(
    conn: AsyncConnection, room_id: str, *, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first; ``before`` is an entry id to page back from."""
    q = select(audit_log).where(audit_log.c.room_id == room_id)
    if before is not None:
        q = q.where(audit_log.c.id < before)
    rows = await conn.execute(q.order_by(audit_log.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
