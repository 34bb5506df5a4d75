"""Reports, with the reported message's body joined in, and who hears of a new one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.reports import Reason, Report, ReportStatus, excerpt
from openlink.store.schema import messages, reports, users

# The reported message's body, and whether it is hidden: who may read a hidden one is the
# actions' business (domain.reports.seen_by). A deleted one is gone.
_SELECT = select(
    reports, messages.c.body.label("message_body"), messages.c.hidden_at.label("hidden_at")
).outerjoin(
    messages,
    and_(messages.c.room_id == reports.c.room_id, messages.c.seq == reports.c.target_seq),
)


def _report(row: Any) -> Report:
    return Report(
        id=row.id,
        room_id=row.room_id,
        reporter_member=row.reporter_member,
        target_member=row.target_member,
        target_seq=row.target_seq,
        reason=Reason(row.reason),
        note=row.note,
        status=ReportStatus(row.status),
        created_at=row.created_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        excerpt=excerpt(row.message_body),
        message_hidden=row.hidden_at is not None and row.message_body is not None,
    )


async def insert_report(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(reports).values(status=ReportStatus.OPEN.value, **values))


async def get_report(conn: AsyncConnection, report_id: str) -> Report | None:
    row = (await conn.execute(_SELECT.where(reports.c.id == report_id))).one_or_none()
    return None if row is None else _report(row)


async def open_duplicate(
    conn: AsyncConnection,
    room_id: str,
    reporter_user_id: int,
    target_member: str,
    target_seq: int | None,
) -> Report | None:
    """The reporter's open report about the same member (and message), if any."""
    same_seq = (
        reports.c.target_seq.is_(None) if target_seq is None else reports.c.target_seq == target_seq
    )
    q = _SELECT.where(
        reports.c.room_id == room_id,
        reports.c.reporter_user_id == reporter_user_id,
        reports.c.target_member == target_member,
        same_seq,
        reports.c.status == ReportStatus.OPEN.value,
    )
    row = (await conn.execute(q.limit(1))).first()
    return None if row is None else _report(row)


async def list_reports(
    conn: AsyncConnection, *, room_id: str | None, status: ReportStatus | None, limit: int
) -> list[Report]:
    """Newest first; every room's when ``room_id`` is None."""
    q = _SELECT
    if room_id is not None:
        q = q.where(reports.c.room_id == room_id)
    if status is not None:
        q = q.where(reports.c.status == status.value)
    rows = await conn.execute(
        q.order_by(reports.c.created_at.desc(), reports.c.id.desc()).limit(limit)
    )
    return [_report(r) for r in rows]


async def resolve(conn: AsyncConnection, report_id: str, now: datetime, by: str) -> None:
    await conn.execute(
        update(reports)
        .where(reports.c.id == report_id, reports.c.status == ReportStatus.OPEN.value)
        .values(status=ReportStatus.RESOLVED.value, resolved_at=now, resolved_by=by)
    )


async def operator_user_ids(conn: AsyncConnection) -> set[int]:
    rows = await conn.execute(select(users.c.id).where(users.c.is_operator.is_(True)))
    return set(rows.scalars())
