"""Join requests: people waiting for a host or co-host to let them into a room.

A request is ``pending`` until a moderator decides; an ``approved`` one is an invitation
the applicant may take up (``accepted``) for a while, or let lapse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.store.schema import join_requests

PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
ACCEPTED = "accepted"


@dataclass(slots=True)
class JoinRequest:
    id: str
    room_id: str
    user_id: int
    #: The member columns the applicant chose: nickname, avatar_url, profile_kind.
    profile: dict[str, Any]
    status: str
    created_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None


def _request(row: Any) -> JoinRequest:
    return JoinRequest(
        id=row.id,
        room_id=row.room_id,
        user_id=row.user_id,
        profile=dict(row.profile),
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
    )


async def insert_request(conn: AsyncConnection, **values: Any) -> JoinRequest:
    row = (
        await conn.execute(
            insert(join_requests).values(status=PENDING, **values).returning(join_requests)
        )
    ).one()
    return _request(row)


async def pending_for(conn: AsyncConnection, room_id: str, user_id: int) -> JoinRequest | None:
    row = (
        await conn.execute(
            select(join_requests).where(
                join_requests.c.room_id == room_id,
                join_requests.c.user_id == user_id,
                join_requests.c.status == PENDING,
            )
        )
    ).one_or_none()
    return None if row is None else _request(row)


async def approved_for(conn: AsyncConnection, room_id: str, user_id: int) -> JoinRequest | None:
    """The applicant's latest approved request not yet taken up, however old."""
    q = (
        select(join_requests)
        .where(
            join_requests.c.room_id == room_id,
            join_requests.c.user_id == user_id,
            join_requests.c.status == APPROVED,
        )
        .order_by(join_requests.c.decided_at.desc())
        .limit(1)
    )
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else _request(row)


async def get_request(conn: AsyncConnection, room_id: str, request_id: str) -> JoinRequest | None:
    row = (
        await conn.execute(
            select(join_requests).where(
                join_requests.c.room_id == room_id, join_requests.c.id == request_id
            )
        )
    ).one_or_none()
    return None if row is None else _request(row)


async def list_pending(
    conn: AsyncConnection, room_id: str, *, after: str | None, limit: int
) -> list[JoinRequest]:
    q = select(join_requests).where(
        join_requests.c.room_id == room_id, join_requests.c.status == PENDING
    )
    if after is not None:
        q = q.where(join_requests.c.id > after)
    rows = await conn.execute(q.order_by(join_requests.c.id).limit(limit))
    return [_request(r) for r in rows]


async def decide(
    conn: AsyncConnection, request_id: str, status: str, now: datetime, by: str | None
) -> bool:
    """Settle a pending request; False when it was no longer pending."""
    result = await conn.execute(
        update(join_requests)
        .where(join_requests.c.id == request_id, join_requests.c.status == PENDING)
        .values(status=status, decided_at=now, decided_by=by)
    )
    return bool(result.rowcount)


async def close_approved(conn: AsyncConnection, request_id: str, status: str) -> bool:
    """Take up (``accepted``) or decline (``withdrawn``) an approved request; False when
    it was no longer approved. ``decided_at`` stays the moderator's."""
    result = await conn.execute(
        update(join_requests)
        .where(join_requests.c.id == request_id, join_requests.c.status == APPROVED)
        .values(status=status)
    )
    return bool(result.rowcount)
