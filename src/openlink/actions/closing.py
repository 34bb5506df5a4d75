"""Closing a room, by its host or by the operator. A closed room stays readable."""

from __future__ import annotations

from openlink.actions.context import Context
from openlink.actions.rooms import reload_room
from openlink.actions.stream import do_append_system
from openlink.domain.accounts import User, require_operator
from openlink.domain.audit import ActorKind, AuditEntry
from openlink.domain.permissions import Action, require
from openlink.domain.rooms import Room, RoomStatus
from openlink.queries.access import access_room_as_member, room_not_found
from openlink.store import audit as audit_store
from openlink.store import rooms as store
from openlink.store.db import Tx


async def do_close_room(ctx: Context, user: User, room_id: str, *, as_operator: bool) -> Room:
    """Close the room: no more writes, a ``closed`` system message, an audit entry.

    The host closes their own room; the operator (``as_operator``) closes any room. Closing
    a closed room changes nothing and returns it.
    """
    if as_operator:
        require_operator(user)
    async with ctx.db.write() as tx:
        if as_operator:
            room = await store.get_room(tx.conn, room_id, for_update=True)
            if room is None:
                raise room_not_found()
            actor = None
        else:
            room, member = await access_room_as_member(tx.conn, user, room_id, for_update=True)
            # Asked as of an open room, so that a host's second close is a no-op, not 403.
            require(member.role, Action.CLOSE_ROOM, RoomStatus.OPEN, room.kind, member.rights)
            actor = member.id
        if room.status is RoomStatus.CLOSED:
            return room
        await _close(ctx, tx, room, actor)
        return await reload_room(tx.conn, room.id)


async def _close(ctx: Context, tx: Tx, room: Room, actor: str | None) -> None:
    now = ctx.now()
    by = "operator" if actor is None else "host"
    await store.update_room(tx.conn, room.id, status=RoomStatus.CLOSED.value)
    await do_append_system(ctx, tx, room.id, {"event": "closed", "by": by}, now, actor)
    await audit_store.append(
        tx.conn,
        AuditEntry(
            room_id=room.id,
            actor_kind=ActorKind.OPERATOR if actor is None else ActorKind.MEMBER,
            actor=actor,
            action="close_room",
            created_at=now,
        ),
    )
