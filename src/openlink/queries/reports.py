"""Reading reports: one room's (its moderators), or every room's (the operator)."""

from __future__ import annotations

from typing import Any

from openlink.actions.context import Context
from openlink.domain.accounts import User, require_operator
from openlink.domain.permissions import Action, may_read_hidden
from openlink.domain.reports import ReportStatus, report_view, seen_by
from openlink.queries.access import access_room_for
from openlink.store import reports as store


async def room_reports(
    ctx: Context, user: User, room_id: str, *, status: ReportStatus | None, limit: int
) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        room, me = await access_room_for(conn, user, room_id, Action.VIEW_MODERATION)
        found = await store.list_reports(conn, room_id=room.id, status=status, limit=limit)
    hidden_text = may_read_hidden(me.role, me.rights)
    return [report_view(seen_by(r, hidden_text=hidden_text)) for r in found]


async def all_reports(
    ctx: Context, user: User, *, status: ReportStatus | None, limit: int
) -> list[dict[str, Any]]:
    require_operator(user)
    async with ctx.db.read() as conn:
        found = await store.list_reports(conn, room_id=None, status=status, limit=limit)
    return [report_view(r) for r in found]
