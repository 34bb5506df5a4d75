"""Join requests: in a room that asks for approval, newcomers wait for a host or co-host."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openlink.actions.context import Context
from openlink.actions.notify import notify_user
from openlink.domain.accounts import User
from openlink.domain.events import iso
from openlink.domain.ids import new_id
from openlink.domain.permissions import Action, Role, can
from openlink.domain.rooms import Room
from openlink.errors import Conflict, NotFound
from openlink.queries.access import access_room_for
from openlink.store import bans as bans_store
from openlink.store import join_requests as store
from openlink.store import members as members_store
from openlink.store.db import Tx
from openlink.store.join_requests import JoinRequest


def request_view(r: JoinRequest) -> dict[str, Any]:
    """What moderators see of an applicant: the profile chosen for this room, no account."""
    return {
        "id": r.id,
        "room": r.room_id,
        "nickname": r.profile["nickname"],
        "avatar_url": r.profile.get("avatar_url"),
        "profile": r.profile["profile_kind"],
        "status": r.status,
        "created_at": iso(r.created_at),
        "decided_at": iso(r.decided_at),
    }


async def do_request(
    ctx: Context, tx: Tx, room: Room, user: User, profile: dict[str, Any], now: datetime
) -> tuple[JoinRequest, bool]:
    """File the user's request, or find their pending one again; returns it and whether it
    is new. Moderators who can approve hear of a new one."""
    existing = await store.pending_for(tx.conn, room.id, user.id)
    if existing is not None:
        return existing, False
    request = await store.insert_request(
        tx.conn, id=new_id(), room_id=room.id, user_id=user.id, profile=profile, created_at=now
    )
    approvers = [
        m.user_id
        for m in await members_store.moderators(tx.conn, room.id)
        if can(m.role, Action.APPROVE_JOIN, room.status, room.kind, m.rights)
    ]
    event = {"type": "join_request", "room": room.id, "request": request_view(request)}
    for user_id in approvers:
        notify_user(ctx, tx, user_id, event)
    return request, True


async def list_requests(
    ctx: Context, user: User, room_id: str, *, after: str | None, limit: int
) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.APPROVE_JOIN)
        return [
            request_view(r)
            for r in await store.list_pending(conn, room.id, after=after, limit=limit)
        ]


async def do_decide(
    ctx: Context, user: User, room_id: str, request_id: str, *, approve: bool
) -> dict[str, Any]:
    """Approve (the applicant becomes a member) or reject a pending request."""
    # Imported here: joining imports this module for do_request.
    from openlink.actions.joining import do_announce
    from openlink.actions.rooms import do_add_member, notify_joined, reload_room

    now = ctx.now()
    async with ctx.db.write() as tx:
        room, moderator = await access_room_for(
            tx.conn, user, room_id, Action.APPROVE_JOIN, for_update=True
        )
        request = await store.get_request(tx.conn, room.id, request_id)
        if request is None or request.status != store.PENDING:
            raise NotFound("No such pending join request.", code="join_request_not_found")
        status = store.APPROVED if approve else store.REJECTED
        decided: dict[str, Any] = {"type": "join_request_decided", "room": room.id}
        already = await members_store.active_member(tx.conn, room.id, request.user_id)
        # A ban that landed on the account after it filed the request (through another
        # membership): the moderator's answer stays the one anyone gets, or it would tell
        # them that the applicant is that banned member. The account is just not admitted.
        banned = await bans_store.active_ban(tx.conn, room.id, request.user_id, now)
        if approve and already is None:
            if room.is_full:
                raise Conflict("This room is full.", code="room_full", member_cap=room.member_cap)
            if banned is None:
                member = await do_add_member(
                    tx, room.id, request.user_id, Role.MEMBER, now, request.profile
                )
                await do_announce(ctx, tx, room, member, now)
                joined = await reload_room(tx.conn, room.id)
                notify_joined(ctx, tx, request.user_id, joined, member)
        await store.decide(tx.conn, request.id, status, now, moderator.id)
        request.status, request.decided_at = status, now
        view = request_view(request)
        # The applicant, who knows of their ban, is told the truth: they are not let in.
        decided["request"] = {**view, "status": store.REJECTED} if banned else view
        notify_user(ctx, tx, request.user_id, decided)
    return view


async def do_withdraw(ctx: Context, user: User, room_id: str) -> None:
    async with ctx.db.write() as tx:
        request = await store.pending_for(tx.conn, room_id, user.id)
        if request is None:
            raise NotFound(
                "You have no pending request for this room.", code="join_request_not_found"
            )
        await store.decide(tx.conn, request.id, store.WITHDRAWN, ctx.now(), None)
