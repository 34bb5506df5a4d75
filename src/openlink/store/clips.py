"""Clips, their likes, views, comments and reports (domain/clips.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.clips import Clip, ClipReport, Comment
from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import (
    clip_comments,
    clip_likes,
    clip_reports,
    clip_views,
    clips,
    members,
)


async def insert_clip(conn: AsyncConnection, c: Clip) -> None:
    await conn.execute(
        insert(clips).values(
            id=c.id,
            media_id=c.media_id,
            user_id=c.user_id,
            room_id=c.room_id,
            member_id=c.member_id,
            interest_id=c.interest_id,
            nickname=c.nickname,
            avatar_url=c.avatar_url,
            profile_kind=c.profile_kind,
            caption=c.caption,
            lang=c.lang,
            hidden=c.hidden,
            created_at=c.created_at,
        )
    )


def _clip(row: Any) -> Clip:
    return Clip(
        id=row.id,
        media_id=row.media_id,
        user_id=row.user_id,
        room_id=row.room_id,
        member_id=row.member_id,
        interest_id=row.interest_id,
        nickname=row.nickname,
        avatar_url=row.avatar_url,
        profile_kind=row.profile_kind,
        caption=row.caption,
        lang=row.lang,
        likes=row.likes,
        comments=row.comments,
        views=row.views,
        hidden=row.hidden,
        created_at=row.created_at,
    )


async def get_clip(conn: AsyncConnection, clip_id: str) -> Clip | None:
    row = (await conn.execute(select(clips).where(clips.c.id == clip_id))).first()
    return _clip(row) if row is not None else None


async def get_clips(conn: AsyncConnection, ids: list[str]) -> list[Clip]:
    if not ids:
        return []
    return [_clip(r) for r in (await conn.execute(select(clips).where(clips.c.id.in_(ids))))]


async def clip_of_media(conn: AsyncConnection, media_id: str) -> Clip | None:
    row = (await conn.execute(select(clips).where(clips.c.media_id == media_id))).first()
    return _clip(row) if row is not None else None


async def newest(
    conn: AsyncConnection,
    *,
    where: list[Any],
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Clip]:
    """Clips matching ``where``, newest first, after the keyset ``after``."""
    q = select(clips).where(*where)
    if after is not None:
        at, last_id = after
        q = q.where(
            or_(clips.c.created_at < at, and_(clips.c.created_at == at, clips.c.id < last_id))
        )
    q = q.order_by(clips.c.created_at.desc(), clips.c.id.desc()).limit(limit)
    return [_clip(r) for r in (await conn.execute(q)).all()]


async def liked_of(conn: AsyncConnection, user_id: int, clip_ids: list[str]) -> set[str]:
    """Which of ``clip_ids`` the account liked: shown to that account only."""
    if not clip_ids:
        return set()
    q = select(clip_likes.c.clip_id).where(
        clip_likes.c.user_id == user_id, clip_likes.c.clip_id.in_(clip_ids)
    )
    return set((await conn.execute(q)).scalars())


async def set_like(
    conn: AsyncConnection, clip_id: str, user_id: int, liked: bool, now: datetime
) -> bool:
    """Like or unlike; True if it changed anything (the count moves with it)."""
    if liked:
        done = await conn.execute(
            insert_or_ignore(clip_likes).values(clip_id=clip_id, user_id=user_id, created_at=now)
        )
        delta = 1
    else:
        done = await conn.execute(
            delete(clip_likes).where(
                clip_likes.c.clip_id == clip_id, clip_likes.c.user_id == user_id
            )
        )
        delta = -1
    if not done.rowcount:
        return False
    await conn.execute(
        update(clips).where(clips.c.id == clip_id).values(likes=clips.c.likes + delta)
    )
    return True


async def add_view(conn: AsyncConnection, clip_id: str, user_id: int) -> bool:
    """Count a view once per account: True if this one counted."""
    done = await conn.execute(insert_or_ignore(clip_views).values(clip_id=clip_id, user_id=user_id))
    if not done.rowcount:
        return False
    await conn.execute(update(clips).where(clips.c.id == clip_id).values(views=clips.c.views + 1))
    return True


async def set_hidden(conn: AsyncConnection, clip_id: str, hidden: bool) -> None:
    await conn.execute(update(clips).where(clips.c.id == clip_id).values(hidden=hidden))


async def delete_clip(conn: AsyncConnection, clip_id: str) -> None:
    await conn.execute(delete(clips).where(clips.c.id == clip_id))


async def insert_comment(conn: AsyncConnection, c: Comment) -> None:
    await conn.execute(
        insert(clip_comments).values(
            id=c.id,
            clip_id=c.clip_id,
            user_id=c.user_id,
            nickname=c.nickname,
            avatar_url=c.avatar_url,
            profile_kind=c.profile_kind,
            body=c.body,
            lang=c.lang,
            created_at=c.created_at,
        )
    )
    await conn.execute(
        update(clips).where(clips.c.id == c.clip_id).values(comments=clips.c.comments + 1)
    )


async def comments_of(
    conn: AsyncConnection, clip_id: str, after: tuple[datetime, str] | None, limit: int
) -> list[Comment]:
    """A clip's thread, oldest first, after the keyset ``after``."""
    q = select(clip_comments).where(clip_comments.c.clip_id == clip_id)
    if after is not None:
        at, last_id = after
        q = q.where(
            or_(
                clip_comments.c.created_at > at,
                and_(clip_comments.c.created_at == at, clip_comments.c.id > last_id),
            )
        )
    q = q.order_by(clip_comments.c.created_at, clip_comments.c.id).limit(limit)
    return [
        Comment(
            id=r.id,
            clip_id=r.clip_id,
            user_id=r.user_id,
            nickname=r.nickname,
            avatar_url=r.avatar_url,
            profile_kind=r.profile_kind,
            body=r.body,
            lang=r.lang,
            created_at=r.created_at,
        )
        for r in (await conn.execute(q)).all()
    ]


async def insert_report(
    conn: AsyncConnection,
    *,
    id: str,
    clip_id: str,
    reporter_id: int,
    reason: str,
    note: str,
    now: datetime,
) -> bool:
    """False if this account reported this clip already."""
    done = await conn.execute(
        insert_or_ignore(clip_reports).values(
            id=id,
            clip_id=clip_id,
            reporter_id=reporter_id,
            reason=reason,
            note=note,
            created_at=now,
        )
    )
    return bool(done.rowcount)


async def reported(conn: AsyncConnection, limit: int) -> list[tuple[str, int]]:
    """Clips with reports, most reported first: (clip id, reports)."""
    q = (
        select(clip_reports.c.clip_id, func.count())
        .group_by(clip_reports.c.clip_id)
        .order_by(func.count().desc(), clip_reports.c.clip_id)
        .limit(limit)
    )
    return [(r[0], int(r[1])) for r in (await conn.execute(q)).all()]


async def report_reasons(conn: AsyncConnection, clip_ids: list[str]) -> dict[str, list[str]]:
    """Each clip's distinct report reasons, sorted."""
    if not clip_ids:
        return {}
    q = (
        select(clip_reports.c.clip_id, clip_reports.c.reason)
        .where(clip_reports.c.clip_id.in_(clip_ids))
        .distinct()
        .order_by(clip_reports.c.clip_id, clip_reports.c.reason)
    )
    out: dict[str, list[str]] = {}
    for clip_id, reason in (await conn.execute(q)).all():
        out.setdefault(clip_id, []).append(reason)
    return out


def _room_reports() -> Any:
    """Reports of room clips, each with its reporter's active membership in the clip's
    room (null when the reporter is not a member)."""
    reporter = and_(
        members.c.room_id == clips.c.room_id,
        members.c.user_id == clip_reports.c.reporter_id,
        members.c.active.is_(True),
    )
    return (
        select(
            clip_reports.c.id,
            clip_reports.c.clip_id,
            members.c.id.label("reporter_member"),
            clip_reports.c.reason,
            clip_reports.c.note,
            clip_reports.c.created_at,
        )
        .join(clips, clips.c.id == clip_reports.c.clip_id)
        .outerjoin(members, reporter)
    )


def _clip_report(row: Any) -> ClipReport:
    return ClipReport(
        id=row.id,
        clip_id=row.clip_id,
        reporter_member=row.reporter_member,
        reason=row.reason,
        note=row.note,
        created_at=row.created_at,
    )


async def room_reports(conn: AsyncConnection, room_id: str, limit: int) -> list[ClipReport]:
    """The newest ``limit`` reports of the room's clips, newest first."""
    q = (
        _room_reports()
        .where(clips.c.room_id == room_id)
        .order_by(clip_reports.c.created_at.desc(), clip_reports.c.id.desc())
        .limit(limit)
    )
    return [_clip_report(r) for r in (await conn.execute(q)).all()]


async def get_room_report(conn: AsyncConnection, report_id: str) -> ClipReport | None:
    """One report of a room clip (None for an interest clip's)."""
    q = _room_reports().where(clip_reports.c.id == report_id, clips.c.room_id.is_not(None))
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else _clip_report(row)
