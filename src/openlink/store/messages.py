"""The room stream: messages keyed by (room, seq), each carrying the rev of its last change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.images import image_id_of
from openlink.domain.messages import Message, MessageKind
from openlink.store.schema import messages, reactions

#: Unread counts stop here; clients show it as "999+".
UNREAD_CAP = 1_000
#: The messages an unread count counts (live text), as ``ix_messages_unread``'s condition
#: says, with the kind written out rather than bound: a planner uses a partial index only
#: where it can prove that the query's condition implies the index's, which PostgreSQL's
#: generic plan of a prepared statement cannot with ``kind = $1``.
COUNTED_AS_UNREAD_CLAUSE = and_(
    messages.c.kind == literal_column(f"'{MessageKind.TEXT.value}'"),
    messages.c.deleted_at.is_(None),
)


def _message(row: Any) -> Message:
    return Message(
        room_id=row.room_id,
        seq=row.seq,
        rev=row.rev,
        kind=MessageKind(row.kind),
        member_id=row.member_id,
        body=row.body,
        created_at=row.created_at,
        reply_to=row.reply_to,
        mentions=list(row.mentions or []),
        reactions=dict(row.reactions or {}),
        client_id=row.client_id,
        edited_at=row.edited_at,
        deleted_at=row.deleted_at,
        system=row.system,
        hidden_at=row.hidden_at,
        hidden_by=row.hidden_by,
        link_warning=row.link_warning,
        lang=row.lang,
        edits=row.edits,
        preview=row.preview,
        media=list(row.media or []),
    )


async def insert_message(conn: AsyncConnection, m: Message) -> None:
    await conn.execute(
        insert(messages).values(
            room_id=m.room_id,
            seq=m.seq,
            rev=m.rev,
            kind=m.kind.value,
            member_id=m.member_id,
            body=m.body,
            reply_to=m.reply_to,
            mentions=m.mentions or None,
            reactions=m.reactions or None,
            system=m.system,
            client_id=m.client_id,
            created_at=m.created_at,
            hidden_at=m.hidden_at,
            hidden_by=m.hidden_by,
            link_warning=m.link_warning,
            lang=m.lang,
            media=m.media or None,
        )
    )


async def by_client_id(
    conn: AsyncConnection, room_id: str, member_id: str, client_id: str
) -> Message | None:
    row = (
        await conn.execute(
            select(messages).where(
                messages.c.room_id == room_id,
                messages.c.member_id == member_id,
                messages.c.client_id == client_id,
            )
        )
    ).one_or_none()
    return None if row is None else _message(row)


async def get_message(conn: AsyncConnection, room_id: str, seq: int) -> Message | None:
    row = (
        await conn.execute(
            select(messages).where(messages.c.room_id == room_id, messages.c.seq == seq)
        )
    ).one_or_none()
    return None if row is None else _message(row)


async def exists(conn: AsyncConnection, room_id: str, seq: int) -> bool:
    q = select(messages.c.seq).where(messages.c.room_id == room_id, messages.c.seq == seq)
    return (await conn.execute(q)).first() is not None


async def has_posted(
    conn: AsyncConnection, room_id: str, member_id: str, before: int | None = None
) -> bool:
    """Whether the member wrote any message in the room (before ``seq``, if given)."""
    q = select(messages.c.seq).where(
        messages.c.room_id == room_id,
        messages.c.member_id == member_id,
        messages.c.kind == MessageKind.TEXT.value,
    )
    if before is not None:
        q = q.where(messages.c.seq < before)
    return (await conn.execute(q.limit(1))).first() is not None


async def update_message(conn: AsyncConnection, room_id: str, seq: int, **values: Any) -> Message:
    if "preview" in values:
        values["preview_image"] = _card_image(values["preview"])
    row = (
        await conn.execute(
            update(messages)
            .where(messages.c.room_id == room_id, messages.c.seq == seq)
            .values(**values)
            .returning(messages)
        )
    ).one()
    return _message(row)


def _card_image(card: Any) -> str | None:
    """The id of the instance image a card shows, if any."""
    image = card.get("image") if isinstance(card, dict) else None
    return image_id_of(image) if isinstance(image, str) else None


async def page(
    conn: AsyncConnection, room_id: str, *, before: int | None, after: int | None, limit: int
) -> list[Message]:
    """Messages by seq, ascending. ``after`` pages forward, otherwise backward from ``before``."""
    q = select(messages).where(messages.c.room_id == room_id)
    if after is not None:
        q = q.where(messages.c.seq > after).order_by(messages.c.seq).limit(limit)
        return [_message(r) for r in await conn.execute(q)]
    if before is not None:
        q = q.where(messages.c.seq < before)
    q = q.order_by(messages.c.seq.desc()).limit(limit)
    return [_message(r) for r in reversed((await conn.execute(q)).all())]


async def changed_since(
    conn: AsyncConnection, room_id: str, rev: int, *, upto: int | None = None, limit: int
) -> list[Message]:
    """Messages whose latest change is after ``rev`` (and at most ``upto``), by rev."""
    cond = and_(messages.c.room_id == room_id, messages.c.rev > rev)
    if upto is not None:
        cond = and_(cond, messages.c.rev <= upto)
    q = select(messages).where(cond).order_by(messages.c.rev).limit(limit)
    return [_message(r) for r in await conn.execute(q)]


def count_after_statement(room_id: str, seq: int, *, not_by: str, cap: int = UNREAD_CAP) -> Any:
    """The statement of ``count_after``."""
    unread = (
        select(messages.c.seq)
        .where(
            messages.c.room_id == room_id,
            messages.c.seq > seq,
            COUNTED_AS_UNREAD_CLAUSE,
            messages.c.member_id != not_by,
        )
        .limit(cap)
        .subquery()
    )
    return select(func.count()).select_from(unread)


async def count_after(
    conn: AsyncConnection, room_id: str, seq: int, *, not_by: str, cap: int = UNREAD_CAP
) -> int:
    """Unread: live messages after ``seq`` that someone other than ``not_by`` wrote.

    Counting stops at ``cap`` (clients show "999+"), and reads the partial index of the
    messages that count (``ix_messages_unread``), so a long-absent member's room list
    costs a bounded scan however many joins and system lines lie between.
    """
    q = count_after_statement(room_id, seq, not_by=not_by, cap=cap)
    return int((await conn.execute(q)).scalar_one())


async def add_reaction(
    conn: AsyncConnection, room_id: str, seq: int, member_id: str, emoji: str, now: datetime
) -> bool:
    existing = await conn.execute(
        select(reactions.c.seq).where(
            reactions.c.room_id == room_id,
            reactions.c.seq == seq,
            reactions.c.member_id == member_id,
            reactions.c.emoji == emoji,
        )
    )
    if existing.first() is not None:
        return False
    await conn.execute(
        insert(reactions).values(
            room_id=room_id, seq=seq, member_id=member_id, emoji=emoji, created_at=now
        )
    )
    return True


async def remove_reaction(
    conn: AsyncConnection, room_id: str, seq: int, member_id: str, emoji: str
) -> bool:
    result = await conn.execute(
        delete(reactions).where(
            reactions.c.room_id == room_id,
            reactions.c.seq == seq,
            reactions.c.member_id == member_id,
            reactions.c.emoji == emoji,
        )
    )
    return bool(result.rowcount)


async def reaction_counts(conn: AsyncConnection, room_id: str, seq: int) -> dict[str, int]:
    rows = await conn.execute(
        select(reactions.c.emoji, func.count())
        .where(reactions.c.room_id == room_id, reactions.c.seq == seq)
        .group_by(reactions.c.emoji)
        .order_by(reactions.c.emoji)
    )
    return {emoji: int(n) for emoji, n in rows}


async def my_reactions(
    conn: AsyncConnection, room_id: str, member_id: str, seqs: list[int]
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not seqs:
        return out
    rows = await conn.execute(
        select(reactions.c.seq, reactions.c.emoji).where(
            reactions.c.room_id == room_id,
            reactions.c.member_id == member_id,
            reactions.c.seq.in_(seqs),
        )
    )
    for seq, emoji in rows:
        out.setdefault(seq, []).append(emoji)
    return out


async def clear_reactions(conn: AsyncConnection, room_id: str, seq: int) -> None:
    await conn.execute(
        delete(reactions).where(reactions.c.room_id == room_id, reactions.c.seq == seq)
    )
