"""Writing the per-room audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openlink.actions.context import Context
from openlink.domain.audit import ActorKind, AuditEntry
from openlink.domain.members import Member
from openlink.domain.rooms import Room
from openlink.store import audit as audit_store
from openlink.store.db import Tx


async def do_audit(
    ctx: Context, tx: Tx, room: Room, actor: Member, action: str, **fields: Any
) -> None:
    """Record, in ``tx``, that ``actor`` (a member of ``room``) did ``action``; ``fields``
    are the entry's ``target_member``, ``target_seq`` and ``details``."""
    entry = AuditEntry(
        room_id=room.id,
        actor_kind=ActorKind.MEMBER,
        actor=actor.id,
        action=action,
        created_at=ctx.now(),
        **fields,
    )
    await audit_store.append(tx.conn, entry)


async def do_audit_operator(
    tx: Tx, room_id: str, action: str, now: datetime, **fields: Any
) -> None:
    """Record, in ``tx``, that the operator did ``action`` in room ``room_id`` (for its
    moderators to see); ``fields`` as for ``do_audit``."""
    entry = AuditEntry(
        room_id=room_id, actor_kind=ActorKind.OPERATOR, action=action, created_at=now, **fields
    )
    await audit_store.append(tx.conn, entry)
