"""Join requests: in a room that asks for approval, newcomers wait for a host or co-host.

An approval is an invitation, not an admission: the applicant comes in by accepting it
(:func:`do_accept`), which checks what a join would check at that moment. So every
approval looks the same to the moderator, "approved" and then a ``joined`` only if and
when the applicant comes in, also when the account was banned meanwhile through another
of its memberships: nothing tells which request was that banned stay (decision 0013).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions.context import Context
from openlink.actions.notify import notify_user
from openlink.domain.accounts import User
from openlink.domain.events import iso
from openlink.domain.ids import new_id
from openlink.domain.members import Member
from openlink.domain.permissions import Action, Role, can
from openlink.domain.rooms import Room, RoomStatus
from openlink.errors import Conflict, Forbidden, Gone, NotFound
from openlink.queries.access import access_room_for
from openlink.store import join_requests as store
from openlink.store import members as members_store
from openlink.store import rooms as rooms_store
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
    """File the user's request, or find their pending one (or valid approval) again;
    returns it and whether it is new. Moderators who can approve hear of a new one."""
    existing = await open_request(ctx, tx.conn, room.id, user.id, now)
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
    """Approve (the applicant may now come in: :func:`do_accept`) or reject a pending
    request. Nothing about the applicant's account decides the answer."""
    now = ctx.now()
    async with ctx.db.write() as tx:
        room, moderator = await access_room_for(
            tx.conn, user, room_id, Action.APPROVE_JOIN, for_update=True
        )
        request = await store.get_request(tx.conn, room.id, request_id)
        if request is None or request.status != store.PENDING:
            raise NotFound("No such pending join request.", code="join_request_not_found")
        if approve and room.is_full:
            raise Conflict("This room is full.", code="room_full", member_cap=room.member_cap)
        status = store.APPROVED if approve else store.REJECTED
        await store.decide(tx.conn, request.id, status, now, moderator.id)
        request.status, request.decided_at = status, now
        view = request_view(request)
        decided = {"type": "join_request_decided", "room": room.id, "request": view}
        notify_user(ctx, tx, request.user_id, decided)
    return view


async def do_accept(ctx: Context, user: User, room_id: str) -> tuple[Room, Member]:
    """Come in on an approved request, checked as a join is checked at this moment (the
    room open, no ban on the account, the entry conditions, a free place), with the
    profile chosen when asking. The participation code was proven then."""
    # Imported here: joining imports this module for do_request.
    from openlink.actions.joining import check_entry, check_not_banned, do_announce
    from openlink.actions.rooms import do_add_member, notify_joined, reload_room

    now = ctx.now()
    async with ctx.db.write() as tx:
        room = await rooms_store.get_room(tx.conn, room_id, for_update=True)
        request = None if room is None else await store.approved_for(tx.conn, room.id, user.id)
        if room is None or request is None:
            raise NotFound(
                "You have no approved join request for this room.", code="join_request_not_found"
            )
        if not _still_valid(ctx, request, now):
            raise Gone("This approval has expired; ask to join again.", code="approval_expired")
        member = await members_store.active_member(tx.conn, room.id, user.id)
        if member is None:
            if room.status is RoomStatus.CLOSED:
                raise Forbidden("This room is closed.", code="room_closed")
            await check_not_banned(tx.conn, room.id, user.id, now)
            check_entry(ctx, user, room)
            if room.is_full:
                raise Conflict("This room is full.", code="room_full", member_cap=room.member_cap)
            added = await do_add_member(tx, room.id, user.id, Role.MEMBER, now, request.profile)
            await do_announce(ctx, tx, room, added, now)
            room = await reload_room(tx.conn, room.id)
            notify_joined(ctx, tx, user.id, room, added)
            member = added
        await store.close_approved(tx.conn, request.id, store.ACCEPTED)
    return room, member


def _still_valid(ctx: Context, request: JoinRequest, now: datetime) -> bool:
    ttl = timedelta(seconds=ctx.settings.join_approval_ttl_s)
    return request.decided_at is not None and now < request.decided_at + ttl


async def open_request(
    ctx: Context, conn: AsyncConnection, room_id: str, user_id: int, now: datetime
) -> JoinRequest | None:
    """The applicant's pending request, or their approval while it is valid."""
    pending = await store.pending_for(conn, room_id, user_id)
    if pending is not None:
        return pending
    approved = await store.approved_for(conn, room_id, user_id)
    return approved if approved is not None and _still_valid(ctx, approved, now) else None


async def do_withdraw(ctx: Context, user: User, room_id: str) -> None:
    """Withdraw a pending request, or decline an approval not taken up yet."""
    async with ctx.db.write() as tx:
        request = await open_request(ctx, tx.conn, room_id, user.id, ctx.now())
        if request is None:
            raise NotFound(
                "You have no pending request for this room.", code="join_request_not_found"
            )
        if request.status == store.PENDING:
            await store.decide(tx.conn, request.id, store.WITHDRAWN, ctx.now(), None)
        else:
            await store.close_approved(tx.conn, request.id, store.WITHDRAWN)
