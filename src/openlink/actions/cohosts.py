"""Co-hosts: the host appoints members, chooses their rights, and takes the role back."""

from __future__ import annotations

from collections.abc import Iterable

from openlink.actions.audit import do_audit
from openlink.actions.context import Context
from openlink.actions.moderation import check_active_target
from openlink.actions.rooms import check_promotable
from openlink.actions.stream import do_append_system
from openlink.domain.accounts import User
from openlink.domain.members import Member
from openlink.domain.permissions import Action, Role, check_grant, check_rights
from openlink.errors import Conflict, InvalidInput
from openlink.queries.access import access_room_for
from openlink.store import members as members_store


async def do_set_cohost(
    ctx: Context, user: User, room_id: str, member_id: str, rights: Iterable[str]
) -> Member:
    """Appoint a member as co-host with ``rights``, or change a co-host's rights.

    Setting the rights a co-host already has changes nothing.
    """
    granted = check_rights(rights)
    async with ctx.db.write() as tx:
        room, host = await access_room_for(
            tx.conn, user, room_id, Action.APPOINT_COHOST, for_update=True
        )
        check_grant(host.role, host.rights, granted)
        target = await check_active_target(tx, room, member_id)
        if target.role is Role.HOST:
            raise InvalidInput("The host already holds every right.", code="target_is_host")
        if target.role is Role.COHOST and target.rights == granted:
            return target
        if target.role is Role.MEMBER:
            await check_promotable(tx, target)
            limit = ctx.settings.max_cohosts
            if await members_store.count_cohosts(tx.conn, room.id) >= limit:
                raise Conflict(
                    f"A room has at most {limit} co-hosts.", code="cohost_limit", max_cohosts=limit
                )
            event = "cohost_appointed"
        else:
            event = "cohost_rights_changed"
        names = sorted(granted)
        await members_store.update_member(tx.conn, target.id, role=Role.COHOST.value, rights=names)
        system = {"event": event, "member": target.id, "rights": names}
        await do_append_system(ctx, tx, room.id, system, ctx.now(), target.id)
        action = "cohost_appoint" if event == "cohost_appointed" else "cohost_rights"
        await do_audit(
            ctx, tx, room, host, action, target_member=target.id, details={"rights": names}
        )
        target.role, target.rights = Role.COHOST, granted
        return target


async def do_remove_cohost(ctx: Context, user: User, room_id: str, member_id: str) -> Member:
    """Make a co-host a plain member again."""
    async with ctx.db.write() as tx:
        room, host = await access_room_for(
            tx.conn, user, room_id, Action.APPOINT_COHOST, for_update=True
        )
        target = await check_active_target(tx, room, member_id)
        if target.role is not Role.COHOST:
            raise Conflict("This member is not a co-host.", code="not_cohost")
        await members_store.update_member(tx.conn, target.id, role=Role.MEMBER.value, rights=None)
        system = {"event": "cohost_removed", "member": target.id}
        await do_append_system(ctx, tx, room.id, system, ctx.now(), target.id)
        await do_audit(ctx, tx, room, host, "cohost_remove", target_member=target.id)
        target.role, target.rights = Role.MEMBER, frozenset()
        return target
