"""Moderating a room: notices, hiding messages, kicks, bans and time-outs.

Every action locks the room row, checks the moderator's right, writes its change, a
system message where the room should see it, and one audit entry, all in one
transaction; events go out after commit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openlink.actions import translation
from openlink.actions.account_events import do_account_event
from openlink.actions.audit import do_audit
from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.actions.stream import do_append, do_append_system
from openlink.domain import governance
from openlink.domain import messages as message_rules
from openlink.domain.accounts import User
from openlink.domain.events import iso
from openlink.domain.members import Member
from openlink.domain.messages import Message, MessageKind
from openlink.domain.moderation import check_ban_duration, check_reason, check_target
from openlink.domain.permissions import Action
from openlink.domain.rooms import Room
from openlink.errors import Conflict, InvalidInput, NotFound
from openlink.queries.access import access_room_for
from openlink.store import bans as bans_store
from openlink.store import members as members_store
from openlink.store import messages as messages_store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx


async def check_active_target(tx: Tx, room: Room, member_id: str) -> Member:
    target = await members_store.get_member(tx.conn, room.id, member_id)
    if target is None or not target.active:
        raise NotFound("No such member in this room.", code="member_not_found")
    return target


# -- notices ---------------------------------------------------------------------------


async def do_post_notice(
    ctx: Context, user: User, room_id: str, body: str, *, pin: bool
) -> Message:
    body = message_rules.check_body(body, ctx.settings.max_message_chars)
    now = ctx.now()
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.POST_NOTICE, for_update=True
        )
        notice = await do_append(
            ctx, tx, room.id, MessageKind.NOTICE, now, member_id=member.id, body=body
        )
        seq = notice.seq
        if pin:
            await rooms_store.update_room(tx.conn, room.id, pinned_seq=seq)
            await do_append_system(
                ctx, tx, room.id, {"event": "notice_pinned", "seq": seq}, now, member.id
            )
        await do_audit(ctx, tx, room, member, "notice", target_seq=seq, details={"pin": pin})
        return notice


async def do_unpin_notice(ctx: Context, user: User, room_id: str) -> None:
    """Unpin the room's notice; nothing happens when none is pinned."""
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.POST_NOTICE, for_update=True
        )
        if room.pinned_seq is None:
            return
        await rooms_store.update_room(tx.conn, room.id, pinned_seq=None)
        await do_append_system(ctx, tx, room.id, {"event": "notice_unpinned"}, ctx.now(), member.id)
        await do_audit(ctx, tx, room, member, "notice_unpin", target_seq=room.pinned_seq)


# -- hiding ----------------------------------------------------------------------------


async def check_hideable(tx: Tx, room: Room, seq: int) -> Message:
    message = await messages_store.get_message(tx.conn, room.id, seq)
    if message is None:
        raise NotFound("No such message in this room.", code="message_not_found")
    if message.kind is MessageKind.SYSTEM:
        raise InvalidInput("System messages cannot be hidden.", code="system_message")
    if message.deleted:
        raise NotFound("This message was deleted.", code="message_deleted")
    return message


async def do_set_hidden(
    ctx: Context, user: User, room_id: str, seq: int, *, hidden: bool, reason: str | None = None
) -> Message:
    """Hide a message for everyone (or show it again). Repeating either changes nothing.

    The body stays stored for moderators' review; every view of the message drops it.
    """
    reason = check_reason(reason)
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.HIDE_MESSAGE, for_update=True
        )
        message = await check_hideable(tx, room, seq)
        if message.hidden == hidden:
            return message
        rev = await rooms_store.next_seq(tx.conn, room.id)
        now = ctx.now()
        updated = await messages_store.update_message(
            tx.conn,
            room.id,
            seq,
            rev=rev,
            hidden_at=now if hidden else None,
            hidden_by=member.id if hidden else None,
        )
        change = "hidden" if hidden else "unhidden"
        details = {"reason": reason} if reason else {}
        await do_audit(
            ctx,
            tx,
            room,
            member,
            "hide" if hidden else "unhide",
            target_member=message.member_id,
            target_seq=seq,
            details=details,
        )
        notify_message(ctx, tx, updated, change)
        await translation.on_change(ctx, tx, updated)
        return updated


# -- kicks and bans --------------------------------------------------------------------


async def do_kick(
    ctx: Context,
    user: User,
    room_id: str,
    member_id: str,
    *,
    ban: bool = False,
    ban_s: int | None = None,
    reason: str | None = None,
) -> None:
    """Remove a member from the room at once; with ``ban``, keep the account out."""
    now = ctx.now()
    until = check_ban_duration(ban_s, now) if ban else None
    reason = check_reason(reason)
    async with ctx.db.write() as tx:
        room, member = await access_room_for(tx.conn, user, room_id, Action.KICK, for_update=True)
        target = await check_active_target(tx, room, member_id)
        check_target(member, target)
        event = "banned" if ban else "kicked"
        await members_store.update_member(
            tx.conn, target.id, active=False, left_at=now, left_reason=event
        )
        await rooms_store.add_member_count(tx.conn, room.id, -1)
        if ban:
            await _put_ban(tx, room, member, target, until, reason, now)
        system: dict[str, Any] = {"event": event, "member": target.id, "by": member.id}
        if ban:
            system["until"] = iso(until)
        await do_append_system(ctx, tx, room.id, system, now, target.id)
        details: dict[str, Any] = {"reason": reason} if reason else {}
        if ban:
            details["until"] = iso(until)
        action = "ban" if ban else "kick"
        await do_audit(ctx, tx, room, member, action, target_member=target.id, details=details)
        left = {"type": "left", "room": room.id, "reason": event}
        await do_account_event(ctx, tx, target.user_id, left)


async def _put_ban(
    tx: Tx, room: Room, by: Member, target: Member, until: Any, reason: str, now: Any
) -> None:
    await bans_store.put_ban(
        tx.conn,
        room_id=room.id,
        user_id=target.user_id,
        member_id=target.id,
        nickname=target.nickname,
        until=until,
        reason=reason,
        created_by=by.id,
        created_at=now,
    )


async def do_ban_former(
    ctx: Context,
    user: User,
    room_id: str,
    member_id: str,
    *,
    ban_s: int | None,
    reason: str | None,
) -> bans_store.Ban:
    """Ban someone who already left, by the member id they had.

    It only keeps them from joining again: whether the account is in the room now under
    another membership is not looked at, so the ban links no two memberships.
    """
    now = ctx.now()
    until = check_ban_duration(ban_s, now)
    reason = check_reason(reason)
    async with ctx.db.write() as tx:
        room, member = await access_room_for(tx.conn, user, room_id, Action.KICK, for_update=True)
        target = await members_store.get_member(tx.conn, room.id, member_id)
        if target is None:
            raise NotFound("No such member in this room.", code="member_not_found")
        if target.active:
            raise Conflict(
                "This member is still in the room: kick them with a ban instead.",
                code="member_still_active",
            )
        if target.user_id == member.user_id:
            raise InvalidInput("You cannot do that to yourself.", code="cannot_target_self")
        await _put_ban(tx, room, member, target, until, reason, now)
        details: dict[str, Any] = {"until": iso(until)}
        if reason:
            details["reason"] = reason
        await do_audit(ctx, tx, room, member, "ban", target_member=target.id, details=details)
        # This membership's own entry: another stay's ban of the account must not show.
        ban = await bans_store.get_ban(tx.conn, room.id, target.id)
        assert ban is not None
        return ban


async def do_unban(ctx: Context, user: User, room_id: str, member_id: str) -> None:
    """Lift one membership's ban; the account stays out while another entry holds it."""
    async with ctx.db.write() as tx:
        room, member = await access_room_for(tx.conn, user, room_id, Action.KICK, for_update=True)
        if not await bans_store.lift_ban(tx.conn, room.id, member_id):
            raise NotFound("No ban on this member id.", code="ban_not_found")
        await do_audit(ctx, tx, room, member, "unban", target_member=member_id)


# -- time-outs -------------------------------------------------------------------------


async def do_timeout(
    ctx: Context, user: User, room_id: str, member_id: str, duration_s: int
) -> Member:
    """Make a member read-only for ``duration_s``; a new time-out replaces the last one."""
    duration_s = governance.check_timeout(duration_s)
    now = ctx.now()
    until = now + timedelta(seconds=duration_s)
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.TIMEOUT, for_update=True
        )
        target = await check_active_target(tx, room, member_id)
        check_target(member, target)
        await members_store.update_member(tx.conn, target.id, timed_out_until=until)
        system = {"event": "timed_out", "member": target.id, "until": iso(until), "by": member.id}
        await do_append_system(ctx, tx, room.id, system, now, target.id)
        await do_audit(
            ctx,
            tx,
            room,
            member,
            "timeout",
            target_member=target.id,
            details={"until": iso(until), "duration_s": duration_s},
        )
        target.timed_out_until = until
        return target


async def do_lift_timeout(ctx: Context, user: User, room_id: str, member_id: str) -> Member:
    """End a member's time-out now; nothing happens when they have none running."""
    now = ctx.now()
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.TIMEOUT, for_update=True
        )
        target = await check_active_target(tx, room, member_id)
        check_target(member, target)
        running = target.timed_out(now)
        if target.timed_out_until is not None:
            await members_store.update_member(tx.conn, target.id, timed_out_until=None)
            target.timed_out_until = None
        if not running:
            return target
        system = {"event": "timeout_lifted", "member": target.id, "by": member.id}
        await do_append_system(ctx, tx, room.id, system, now, target.id)
        await do_audit(ctx, tx, room, member, "timeout_lift", target_member=target.id)
        return target
