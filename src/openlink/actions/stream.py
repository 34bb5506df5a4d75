"""Appending to a room's stream: the one way a durable change gets its seq."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.domain.messages import Message, MessageKind
from openlink.store import messages as store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx


async def do_append_system(
    ctx: Context,
    tx: Tx,
    room_id: str,
    system: dict[str, Any],
    now: datetime,
    member_id: str | None = None,
) -> Message:
    """Write a server message (join, leave, host change, closing) and publish it after commit."""
    seq = await rooms_store.next_seq(tx.conn, room_id)
    message = Message(
        room_id=room_id,
        seq=seq,
        rev=seq,
        kind=MessageKind.SYSTEM,
        member_id=member_id,
        body=None,
        created_at=now,
        system=system,
    )
    await store.insert_message(tx.conn, message)
    tx.after_commit(lambda: notify_message(ctx, message, "new"))
    return message
