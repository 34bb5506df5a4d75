"""Reading partners (the operator) and what a link shows to other sites: the room behind
a link code, and the origins allowed to frame its widget."""

from __future__ import annotations

from openlink.actions.context import Context
from openlink.domain.accounts import User, require_operator
from openlink.domain.governance import check_link_usable
from openlink.domain.partners import Partner
from openlink.domain.rooms import Room, RoomKind
from openlink.errors import NotFound
from openlink.store import partners as store
from openlink.store import rooms as rooms_store


async def all_partners(ctx: Context) -> list[Partner]:
    async with ctx.db.read() as conn:
        return await store.list_partners(conn)


async def all_partners_as_operator(ctx: Context, operator: User) -> list[Partner]:
    require_operator(operator)
    return await all_partners(ctx)


async def room_behind_link(ctx: Context, link_code: str) -> tuple[Room, list[str]]:
    """The room a link leads to, with the origins that may frame its widget.

    The same refusals as a link preview: 404 ``link_not_found``, 410 for a spent link."""
    async with ctx.db.read() as conn:
        room = await rooms_store.get_room_by_link(conn, link_code)
        if room is None or room.kind is RoomKind.DIRECT:
            raise NotFound("This link does not lead to a room (any more).", code="link_not_found")
        origins = await store.frame_origins(conn, room.id)
    check_link_usable(room.link_expires_at, room.link_max_uses, room.link_uses, ctx.now())
    return room, origins
