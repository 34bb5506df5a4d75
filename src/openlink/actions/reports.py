"""Reporting a message or a member, and resolving reports (room moderators or operator)."""

from __future__ import annotations

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.actions.notify import notify_user
from openlink.domain import reports as rules
from openlink.domain.accounts import User, require_operator
from openlink.domain.audit import ActorKind, AuditEntry
from openlink.domain.ids import new_id
from openlink.domain.members import Member
from openlink.domain.messages import MessageKind
from openlink.domain.permissions import Action, may_read_hidden
from openlink.domain.reports import Reason, Report, ReportStatus, report_view
from openlink.errors import InvalidInput, NotFound
from openlink.queries.access import access_room_for
from openlink.store import audit as audit_store
from openlink.store import members as members_store
from openlink.store import messages as messages_store
from openlink.store import reports as store
from openlink.store.db import Tx


async def do_report(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    member_id: str | None,
    seq: int | None,
    reason: Reason,
    note: str,
) -> tuple[Report, bool]:
    """File a report; returns it and whether it is new (an open duplicate is returned)."""
    if (member_id is None) == (seq is None):
        raise InvalidInput(
            "Report either a member (member_id) or a message (seq).", code="invalid_report_target"
        )
    note = rules.check_note(note)
    # Across every room: OPENLINK_REPORTS_PER_ACCOUNT.
    await limits.spend(ctx, limits.REPORTS, user.id)
    async with ctx.db.write() as tx:
        # The room row lock serializes reports per room, so a duplicate is always seen.
        room, me = await access_room_for(tx.conn, user, room_id, Action.REPORT, for_update=True)
        target = await _target(tx, room.id, member_id, seq)
        if target.user_id == user.id:
            raise InvalidInput("You cannot report yourself.", code="cannot_report_self")
        found = await store.open_duplicate(tx.conn, room.id, user.id, target.id, seq)
        if found is not None:
            return rules.seen_by(found, hidden_text=False), False
        report_id = new_id()
        await store.insert_report(
            tx.conn,
            id=report_id,
            room_id=room.id,
            reporter_user_id=user.id,
            reporter_member=me.id,
            target_member=target.id,
            target_seq=seq,
            reason=reason.value,
            note=note,
            created_at=ctx.now(),
        )
        report = await store.get_report(tx.conn, report_id)
        assert report is not None
        readers = await _readers(tx, room.id)
        notify_report(ctx, tx, readers, report)
    return rules.seen_by(report, hidden_text=False), True


async def _readers(tx: Tx, room_id: str) -> dict[int, bool]:
    """Who hears of a new report in the room (its host and co-hosts, and the operators),
    and whether each may read hidden text."""
    readers = {
        m.user_id: may_read_hidden(m.role, m.rights)
        for m in await members_store.moderators(tx.conn, room_id)
    }
    for user_id in await store.operator_user_ids(tx.conn):
        readers[user_id] = True
    return readers


async def _target(tx: Tx, room_id: str, member_id: str | None, seq: int | None) -> Member:
    """The reported member: the one named, or the sender of the message at ``seq``."""
    if seq is not None:
        message = await messages_store.get_message(tx.conn, room_id, seq)
        if message is None or message.deleted:
            raise NotFound("No such message in this room.", code="message_not_found")
        if message.kind in (MessageKind.SYSTEM, MessageKind.BOT) or message.member_id is None:
            raise InvalidInput(
                "Server and bot messages cannot be reported.", code="message_not_reportable"
            )
        member_id = message.member_id
    assert member_id is not None
    member = await members_store.get_member(tx.conn, room_id, member_id)
    if member is None:
        raise NotFound("No such member in this room.", code="member_not_found")
    return member


def notify_report(ctx: Context, tx: Tx, readers: dict[int, bool], report: Report) -> None:
    """The room's moderators, and operators with a socket open, hear of a new report, each
    with the excerpt they may read."""
    for user_id, hidden_text in sorted(readers.items()):
        view = report_view(rules.seen_by(report, hidden_text=hidden_text))
        notify_user(ctx, tx, user_id, {"type": "report", "room": report.room_id, "report": view})


async def do_resolve_report(
    ctx: Context, user: User, room_id: str, report_id: str, *, outcome: str
) -> Report:
    """A room moderator closes a report; the outcome goes to the room's audit log."""
    outcome = rules.check_outcome(outcome)
    async with ctx.db.write() as tx:
        room, me = await access_room_for(
            tx.conn, user, room_id, Action.VIEW_MODERATION, for_update=True
        )
        report = await _report_in(tx, report_id, room.id)
        resolved = await _resolve(ctx, tx, report, outcome, me.id)
    return rules.seen_by(resolved, hidden_text=may_read_hidden(me.role, me.rights))


async def do_resolve_report_as_operator(
    ctx: Context, user: User, report_id: str, *, outcome: str
) -> Report:
    require_operator(user)
    outcome = rules.check_outcome(outcome)
    async with ctx.db.write() as tx:
        report = await _report_in(tx, report_id, None)
        return await _resolve(ctx, tx, report, outcome, None)


async def _report_in(tx: Tx, report_id: str, room_id: str | None) -> Report:
    report = await store.get_report(tx.conn, report_id)
    if report is None or (room_id is not None and report.room_id != room_id):
        raise NotFound("No such report.", code="report_not_found")
    return report


async def _resolve(
    ctx: Context, tx: Tx, report: Report, outcome: str, member_id: str | None
) -> Report:
    """Resolving a resolved report changes nothing: a retry is safe."""
    if report.status is ReportStatus.RESOLVED:
        return report
    now = ctx.now()
    await store.resolve(tx.conn, report.id, now, member_id or rules.BY_OPERATOR)
    await audit_store.append(
        tx.conn,
        AuditEntry(
            room_id=report.room_id,
            actor_kind=ActorKind.MEMBER if member_id else ActorKind.OPERATOR,
            actor=member_id,
            action="resolve_report",
            target_member=report.target_member,
            target_seq=report.target_seq,
            details={"report": report.id, "outcome": outcome},
            created_at=now,
        ),
    )
    resolved = await store.get_report(tx.conn, report.id)
    assert resolved is not None
    return resolved
