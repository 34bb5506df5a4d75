"""Joining a room: through its link or, for public rooms, from discovery.

A 1:1 link never admits anyone to itself: each joiner gets a private room with the host
(the same one again on a second join).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openlink.actions import activity, bot, images, join_requests, limits
from openlink.actions.context import Context
from openlink.actions.participation import check_participation_code
from openlink.actions.rooms import (
    check_nickname_free,
    do_add_member,
    notify_joined,
    reload_room,
    resolve_profile,
)
from openlink.actions.stream import do_append_system
from openlink.domain.accounts import User
from openlink.domain.events import iso, member_view
from openlink.domain.governance import check_entry_conditions, check_link_usable
from openlink.domain.ids import new_id, new_link_code
from openlink.domain.members import Member
from openlink.domain.permissions import Role
from openlink.domain.rooms import Room, RoomKind, RoomStatus, Visibility
from openlink.errors import Conflict, Forbidden, NotFound
from openlink.queries.access import room_not_found
from openlink.store import bans as bans_store
from openlink.store import members as members_store
from openlink.store import rooms as store
from openlink.store.db import Tx
from openlink.store.join_requests import JoinRequest


def link_not_found() -> NotFound:
    return NotFound("This link does not lead to a room (any more).", code="link_not_found")


@dataclass(slots=True)
class Joined:
    room: Room
    member: Member


@dataclass(slots=True)
class Pending:
    """The room asks a host or co-host to approve newcomers: the request waits."""

    room: Room
    request: JoinRequest


async def do_join_by_link(
    ctx: Context,
    user: User,
    link_code: str,
    *,
    profile: dict[str, Any],
    code: str | None,
    address: str | None = None,
) -> Joined | Pending:
    async with ctx.db.read() as conn:
        room = await store.get_room_by_link(conn, link_code)
    if room is None or room.kind is RoomKind.DIRECT:
        raise link_not_found()
    return await _join(
        ctx, user, room.id, profile=profile, code=code, by_link=link_code, address=address
    )


async def do_join_public(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    profile: dict[str, Any],
    code: str | None,
    address: str | None = None,
) -> Joined | Pending:
    """``address`` is the client's, for the per-address limit on wrong codes."""
    return await _join(
        ctx, user, room_id, profile=profile, code=code, by_link=None, address=address
    )


async def _join(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    profile: dict[str, Any],
    code: str | None,
    by_link: str | None,
    address: str | None,
) -> Joined | Pending:
    async with ctx.db.read() as conn:
        room = await store.get_room(conn, room_id)
        if room is None or room.kind is RoomKind.DIRECT:
            raise room_not_found()
        code_hash = await store.get_code_hash(conn, room.id)
        already = await members_store.active_member(conn, room.id, user.id)
        if by_link is None and room.visibility is not Visibility.PUBLIC and already is None:
            raise room_not_found()
        if already is None:
            # The cheap refusals first, so that a banned or too-new account costs no argon2.
            await check_not_banned(conn, room.id, user.id, ctx.now())
            check_entry(ctx, user, room)
    if already is None:
        # Every attempt to come in as a newcomer counts, so join/leave cycles are bounded.
        await limits.spend(ctx, limits.JOINS, user.id)
    if already is None and code_hash is not None:
        await check_participation_code(
            ctx, room.id, code_hash, code, user_id=user.id, address=address
        )
    if already is None:
        profile = await images.with_stored_avatar(ctx, user, profile)
    now = ctx.now()
    async with ctx.db.write() as tx:
        locked = await store.get_room(tx.conn, room.id, for_update=True)
        if locked is None or (
            by_link is not None and not hmac.compare_digest(locked.link_code, by_link)
        ):
            raise link_not_found() if by_link else room_not_found()
        room = locked
        if room.status is RoomStatus.CLOSED:
            raise Forbidden("This room is closed.", code="room_closed")
        existing = await members_store.active_member(tx.conn, room.id, user.id)
        if existing is not None and room.kind is RoomKind.GROUP:
            return Joined(room, existing)
        if existing is not None and existing.role is Role.HOST:
            raise Conflict("This is your own 1:1 link.", code="own_direct_link")
        await check_not_banned(tx.conn, room.id, user.id, now)
        if by_link is not None:
            check_link_usable(room.link_expires_at, room.link_max_uses, room.link_uses, now)
        if room.kind is RoomKind.DIRECT_LINK:
            return await _join_direct(ctx, tx, user, room, profile, now, by_link)
        if room.is_full:
            raise Conflict("This room is full.", code="room_full", member_cap=room.member_cap)
        columns = await resolve_profile(tx.conn, user, profile, room.profile_policy)
        if room.join_approval:
            # Told now, not only when a moderator approves (which checks again).
            await check_nickname_free(tx, room.id, columns["nickname"])
            request, filed = await join_requests.do_request(ctx, tx, room, user, columns, now)
            if filed and by_link is not None:
                await store.count_link_use(tx.conn, room.id)
            return Pending(await reload_room(tx.conn, room.id), request)
        if by_link is not None:
            await store.count_link_use(tx.conn, room.id)
        member = await do_add_member(tx, room.id, user.id, Role.MEMBER, now, columns)
        await do_announce(ctx, tx, room, member, now)
        joined = await reload_room(tx.conn, room.id)
        notify_joined(ctx, tx, user.id, joined, member)
        return Joined(joined, member)


def check_entry(ctx: Context, user: User, room: Room) -> None:
    check_entry_conditions(
        created_at=user.created_at,
        verified=user.verified,
        min_account_age_days=room.min_account_age_days,
        verified_only=room.verified_only,
        now=ctx.now(),
    )


async def check_not_banned(conn: Any, room_id: str, user_id: int, now: datetime) -> None:
    ban = await bans_store.active_ban(conn, room_id, user_id, now)
    if ban is not None:
        raise Forbidden(
            "You are banned from this room.",
            code="banned",
            until=iso(ban.until),
        )


async def _join_direct(
    ctx: Context,
    tx: Tx,
    user: User,
    link: Room,
    profile: dict[str, Any],
    now: datetime,
    by_link: str | None,
) -> Joined:
    existing_id = await store.direct_room_for(tx.conn, link.id, user.id)
    if existing_id is not None:
        room = await reload_room(tx.conn, existing_id)
        member = await members_store.active_member(tx.conn, room.id, user.id)
        assert member is not None
        return Joined(room, member)
    host = await members_store.host_of(tx.conn, link.id)
    if host is None:
        raise Forbidden("This 1:1 link has no host.", code="room_closed")
    columns = await resolve_profile(tx.conn, user, profile, link.profile_policy)
    if by_link is not None:
        await store.count_link_use(tx.conn, link.id)
    room = await store.insert_room(
        tx.conn,
        id=new_id(),
        kind=RoomKind.DIRECT.value,
        name=link.name,
        description=link.description,
        cover_url=link.cover_url,
        visibility=Visibility.UNLISTED.value,
        profile_policy=link.profile_policy.value,
        member_cap=2,
        status=RoomStatus.OPEN.value,
        link_code=new_link_code(),
        parent_id=link.id,
        created_by=host.user_id,
        created_at=now,
        tags=[],
    )
    host_profile = {
        "nickname": host.nickname,
        "avatar_url": host.avatar_url,
        "profile_kind": host.profile_kind.value,
    }
    host_member = await do_add_member(tx, room.id, host.user_id, Role.HOST, now, host_profile)
    member = await do_add_member(tx, room.id, user.id, Role.MEMBER, now, columns)
    await do_announce(ctx, tx, room, member, now)
    joined = await reload_room(tx.conn, room.id)
    notify_joined(ctx, tx, host.user_id, joined, host_member)
    notify_joined(ctx, tx, user.id, joined, member)
    return Joined(joined, member)


async def do_announce(ctx: Context, tx: Tx, room: Room, member: Member, now: datetime) -> None:
    """Write the 'joined' message (and the host bot's welcome); the newcomer has read
    everything up to the joined message."""
    message = await do_append_system(
        ctx, tx, room.id, {"event": "joined", "profile": member_view(member)}, now, member.id
    )
    await members_store.advance_read_marker(tx.conn, member.id, message.seq)
    member.last_read_seq = message.seq
    await activity.note_activity(ctx, tx, room.id, member.id, "join", now)
    if room.bot_rev:
        await bot.welcome(ctx, tx, room.id, room.bot_rev, member, now)
