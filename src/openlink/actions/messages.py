"""Writing to a room: send (idempotent by client id), edit, delete, react, read markers."""

from __future__ import annotations

from dataclasses import dataclass

from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.domain import messages as rules
from openlink.domain.accounts import User
from openlink.domain.members import Member
from openlink.domain.messages import Message, MessageKind
from openlink.domain.permissions import Action
from openlink.errors import Forbidden, InvalidInput, NotFound
from openlink.queries.access import access_member_for
from openlink.store import members as members_store
from openlink.store import messages as store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx


@dataclass(slots=True)
class Sent:
    message: Message
    #: False when this send was a retry of one already stored.
    created: bool


class _AlreadySent(Exception):
    def __init__(self, message: Message) -> None:
        self.message = message


async def check_sender(tx: Tx, user: User, room_id: str, action: Action) -> Member:
    return await access_member_for(tx.conn, user, room_id, action)


async def do_send_message(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    client_id: str,
    body: str,
    reply_to: int | None = None,
    mentions: list[str] | None = None,
) -> Sent:
    client_id = rules.check_client_id(client_id)
    body = rules.check_body(body, ctx.settings.max_message_chars)
    mention_ids = rules.check_mentions(mentions or [])
    try:
        async with ctx.db.write() as tx:
            member = await check_sender(tx, user, room_id, Action.POST)
            seq = await rooms_store.next_seq(tx.conn, room_id)
            # After next_seq: the room row is locked, so a concurrent retry waits here and
            # then finds this one. Rolling back returns the seq unused.
            existing = await store.by_client_id(tx.conn, room_id, member.id, client_id)
            if existing is not None:
                raise _AlreadySent(existing)
            if reply_to is not None and not await store.exists(tx.conn, room_id, reply_to):
                raise InvalidInput(
                    "The message replied to is not in this room.", code="reply_not_found"
                )
            if mention_ids:
                found = await members_store.active_member_ids(tx.conn, room_id, mention_ids)
                if len(found) != len(mention_ids):
                    raise InvalidInput(
                        "A mentioned member is not in this room.", code="mention_not_found"
                    )
            message = Message(
                room_id=room_id,
                seq=seq,
                rev=seq,
                kind=MessageKind.TEXT,
                member_id=member.id,
                body=body,
                created_at=ctx.now(),
                reply_to=reply_to,
                mentions=mention_ids,
                client_id=client_id,
            )
            await store.insert_message(tx.conn, message)
            tx.after_commit(lambda: notify_message(ctx, message, "new"))
    except _AlreadySent as dup:
        return Sent(dup.message, created=False)
    return Sent(message, created=True)


async def _own_live_message(tx: Tx, member: Member, room_id: str, seq: int) -> Message:
    message = await store.get_message(tx.conn, room_id, seq)
    if message is None or message.kind is not MessageKind.TEXT:
        raise NotFound("No such message in this room.", code="message_not_found")
    if message.member_id != member.id:
        raise Forbidden("Only the sender can change this message.", code="not_sender")
    if message.deleted:
        raise NotFound("This message was deleted.", code="message_deleted")
    return message


async def do_edit_message(ctx: Context, user: User, room_id: str, seq: int, body: str) -> Message:
    body = rules.check_body(body, ctx.settings.max_message_chars)
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.EDIT_OWN)
        message = await _own_live_message(tx, member, room_id, seq)
        if message.body == body:
            return message
        rev = await rooms_store.next_seq(tx.conn, room_id)
        edited = await store.update_message(
            tx.conn, room_id, seq, body=body, rev=rev, edited_at=ctx.now()
        )
        tx.after_commit(lambda: notify_message(ctx, edited, "edited"))
        return edited


async def do_delete_message(ctx: Context, user: User, room_id: str, seq: int) -> Message:
    """Leave a tombstone: the body and reactions are erased, the place in history stays."""
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.DELETE_OWN)
        await _own_live_message(tx, member, room_id, seq)
        rev = await rooms_store.next_seq(tx.conn, room_id)
        await store.clear_reactions(tx.conn, room_id, seq)
        deleted = await store.update_message(
            tx.conn,
            room_id,
            seq,
            body=None,
            mentions=None,
            reactions=None,
            rev=rev,
            deleted_at=ctx.now(),
        )
        tx.after_commit(lambda: notify_message(ctx, deleted, "deleted"))
        return deleted


async def do_react(
    ctx: Context, user: User, room_id: str, seq: int, emoji: str, *, add: bool
) -> Message:
    """Add or remove one reaction. Idempotent: repeating it changes nothing."""
    emoji = rules.check_reaction(emoji)
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.REACT)
        message = await store.get_message(tx.conn, room_id, seq)
        if message is None or message.kind is not MessageKind.TEXT or message.deleted:
            raise NotFound("No such message in this room.", code="message_not_found")
        if add:
            changed = await store.add_reaction(tx.conn, room_id, seq, member.id, emoji, ctx.now())
        else:
            changed = await store.remove_reaction(tx.conn, room_id, seq, member.id, emoji)
        if not changed:
            return message
        rev = await rooms_store.next_seq(tx.conn, room_id)
        counts = await store.reaction_counts(tx.conn, room_id, seq)
        updated = await store.update_message(
            tx.conn, room_id, seq, reactions=counts or None, rev=rev
        )
        tx.after_commit(lambda: notify_message(ctx, updated, "reactions"))
        return updated


async def do_mark_read(ctx: Context, user: User, room_id: str, seq: int) -> int:
    """Move the member's read marker forward to ``seq`` (never back); returns the marker."""
    if seq < 0:
        raise InvalidInput("seq must not be negative.", code="invalid_seq")
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.READ)
        last = await rooms_store.last_seq(tx.conn, room_id)
        return await members_store.advance_read_marker(tx.conn, member.id, min(seq, last))


async def check_can_type(ctx: Context, user: User, room_id: str) -> str:
    """The member id to show as typing, if the user may post in the room now."""
    async with ctx.db.read() as conn:
        member = await access_member_for(conn, user, room_id, Action.POST)
    return member.id
