"""Moderators' reads: a hidden message's text, the ban list, the audit log."""

from __future__ import annotations

import dataclasses
from typing import Any

from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.events import iso, message_view
from openlink.domain.permissions import Action, may_read_hidden
from openlink.errors import Forbidden, NotFound
from openlink.queries.access import access_room_for
from openlink.store import audit as audit_store
from openlink.store import bans as bans_store
from openlink.store import messages as messages_store

AUDIT_MAX_PAGE = 100


async def review_message(ctx: Context, user: User, room_id: str, seq: int) -> dict[str, Any]:
    """A message as it was written, hidden or not, for those who may read hidden text
    (also in a closed room, like the reports that point here)."""
    async with ctx.db.read() as conn:
        room, member = await access_room_for(conn, user, room_id, Action.VIEW_MODERATION)
        if not may_read_hidden(member.role, member.rights):
            raise Forbidden("Your role in this room does not allow that.", code="not_permitted")
        message = await messages_store.get_message(conn, room.id, seq)
    if message is None:
        raise NotFound("No such message in this room.", code="message_not_found")
    view = message_view(dataclasses.replace(message, hidden_at=None, hidden_by=None))
    view["hidden"] = message.hidden
    view["hidden_at"] = iso(message.hidden_at)
    view["hidden_by"] = message.hidden_by
    return view


async def bans(ctx: Context, user: User, room_id: str) -> list[dict[str, Any]]:
    """Active bans, newest first, by the member id and nickname the person had."""
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.KICK)
        found = await bans_store.list_bans(conn, room.id, ctx.now())
    return [ban_view(b) for b in found]


def ban_view(b: bans_store.Ban) -> dict[str, Any]:
    """A ban as moderators see it: the membership that was banned, never the account."""
    return {
        "member_id": b.member_id,
        "nickname": b.nickname,
        "until": iso(b.until),
        "reason": b.reason,
        "by": b.created_by,
        "created_at": iso(b.created_at),
    }


async def audit_page(
    ctx: Context, user: User, room_id: str, *, before: int | None, limit: int
) -> dict[str, Any]:
    """The room's audit log, newest first; ``next`` is the ``before`` of the older page."""
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.VIEW_MODERATION)
        rows = await audit_store.page(conn, room.id, before=before, limit=limit)
    entries = [
        {
            "id": r["id"],
            "actor": r["actor"],
            "actor_kind": r["actor_kind"],
            "action": r["action"],
            "target_member": r["target_member"],
            "target_seq": r["target_seq"],
            "details": r["details"] or {},
            "created_at": iso(r["created_at"]),
        }
        for r in rows
    ]
    return {"entries": entries, "next": entries[-1]["id"] if len(entries) == limit else None}
