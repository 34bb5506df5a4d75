"""Appending to a room's stream: the one way a durable change gets its seq."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openlink.actions import translation
from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.domain.messages import Message, MessageKind
from openlink.store import messages as store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx


async def do_append(
    ctx: Context,
    tx: Tx,
    room_id: str,
    kind: MessageKind,
    now: datetime,
    *,
    member_id: str | None = None,
    body: str | None = None,
    system: dict[str, Any] | None = None,
    reply_to: int | None = None,
    mentions: list[str] | None = None,
) -> Message:
    """Write a message the server composes (system, notice, bot) and publish it after
    commit. Members' own messages go through ``messages.do_send_message``."""
    seq = await rooms_store.next_seq(tx.conn, room_id)
    lang: str | None = None
    if body is not None and kind in translation.TRANSLATABLE:
        enabled, glossary_rev = await rooms_store.translation_settings(tx.conn, room_id)
        lang = translation.detect_language(ctx, body, await rooms_store.language(tx.conn, room_id))
    message = Message(
        room_id=room_id,
        seq=seq,
        rev=seq,
        kind=kind,
        member_id=member_id,
        body=body,
        created_at=now,
        system=system,
        reply_to=reply_to,
        mentions=mentions or [],
        lang=lang,
    )
    await store.insert_message(tx.conn, message)
    notify_message(ctx, tx, message, "new")
    if lang is not None:
        translation.translate_after_commit(
            ctx, tx, message, enabled=enabled, glossary_rev=glossary_rev
        )
    return message


async def do_append_system(
    ctx: Context,
    tx: Tx,
    room_id: str,
    system: dict[str, Any],
    now: datetime,
    member_id: str | None = None,
) -> Message:
    """Write a server message (join, leave, host change, closing) and publish it after commit."""
    return await do_append(
        ctx, tx, room_id, MessageKind.SYSTEM, now, member_id=member_id, system=system
    )
