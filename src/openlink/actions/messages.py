"""Writing to a room: send (idempotent by client id), edit, delete, react, read markers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openlink.actions import (
    activity,
    automod,
    bot,
    flow,
    limits,
    media,
    previews,
    speech,
    translation,
)
from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.domain import messages as rules
from openlink.domain.accounts import User
from openlink.domain.governance import has_link
from openlink.domain.members import Member
from openlink.domain.messages import Message, MessageKind
from openlink.domain.permissions import Action
from openlink.errors import Conflict, Forbidden, InvalidInput, NotFound
from openlink.queries.access import access_member_for, access_sender
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
    """Nothing to write: a retried send, or an edit to the text the message has."""

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
    media_ids: list[str] | None = None,
) -> Sent:
    client_id = rules.check_client_id(client_id)
    body = _check_body(ctx, body, media_ids)
    mention_ids = rules.check_mentions(mentions or [])
    try:
        async with ctx.db.write() as tx:
            member, policy = await access_sender(tx.conn, user, room_id, Action.POST)
            seq = await rooms_store.next_seq(tx.conn, room_id)
            # After next_seq: the room row is locked, so a concurrent retry waits here and
            # then finds this one (before any limit counts it). Rolling back returns the
            # seq unused.
            existing = await store.by_client_id(tx.conn, room_id, member.id, client_id)
            if existing is not None:
                raise _AlreadySent(existing)
            now = ctx.now()
            attached = await media.check_attachments(tx, user, room_id, media_ids or [])
            verdict = await speech.check_room_text(
                ctx, tx, member, policy, body, mention_ids, now, reply_to=reply_to
            )
            message = Message(
                room_id=room_id,
                seq=seq,
                rev=seq,
                kind=MessageKind.TEXT,
                member_id=member.id,
                body=body,
                created_at=now,
                reply_to=reply_to,
                mentions=mention_ids,
                client_id=client_id,
                link_warning=await _link_warning(tx, member, body, before=None),
                lang=translation.detect_language(ctx, body, policy.language) if body else None,
                media=await media.do_attach(tx, attached, room_id, seq, now),
            )
            if verdict is not None:
                message.hidden_at, message.hidden_by = now, "automod"
            await store.insert_message(tx.conn, message)
            if verdict is not None:
                await automod.on_hidden(ctx, tx, message, verdict, now)
            await activity.note_activity(ctx, tx, room_id, member.id, "post", now)
            notify_message(ctx, tx, message, "new")
            translation.translate_after_commit(
                ctx,
                tx,
                message,
                enabled=policy.translation_enabled,
                glossary_rev=policy.glossary_rev,
            )
            previews.previews_after_commit(ctx, tx, user.id, message)
    except _AlreadySent as dup:
        return Sent(dup.message, created=False)
    except speech.Blocked as blocked:
        raise await speech.refusal(ctx, blocked) from None
    if policy.bot_rev and not message.hidden:
        bot.on_message(ctx, policy.bot_rev, message)
    return Sent(message, created=True)


def _check_body(ctx: Context, body: str, media_ids: list[str] | None) -> str:
    """A message with attachments may have no text."""
    if media_ids and not body.strip():
        return ""
    return rules.check_body(body, ctx.settings.max_message_chars)


async def _link_warning(tx: Tx, member: Member, body: str, *, before: int | None) -> bool:
    """Links in the member's first message in the room (``before``: the one edited)."""
    if not has_link(body):
        return False
    return not await store.has_posted(tx.conn, member.room_id, member.id, before=before)


async def _own_live_message(
    tx: Tx, member: Member, room_id: str, seq: int, *, allow_hidden: bool = False
) -> Message:
    message = await store.get_message(tx.conn, room_id, seq)
    if message is None or message.kind is not MessageKind.TEXT:
        raise NotFound("No such message in this room.", code="message_not_found")
    if message.member_id != member.id:
        raise Forbidden("Only the sender can change this message.", code="not_sender")
    if message.deleted:
        raise NotFound("This message was deleted.", code="message_deleted")
    if message.hidden and not allow_hidden:
        raise Forbidden("A moderator hid this message.", code="message_hidden")
    return message


async def do_edit_message(
    ctx: Context,
    user: User,
    room_id: str,
    seq: int,
    body: str,
    media_ids: list[str] | None = None,
) -> Message:
    """Change a message's text, and its attachments when ``media_ids`` is given (the new
    list: uploads left out are forgotten). An edit passes the same checks as a send
    (:func:`speech.check_room_text`, :func:`media.check_attachments`) and counts against
    the same limits; a message takes at most ``max_edits_per_message`` edits, which also
    bounds its re-translations."""
    try:
        async with ctx.db.write() as tx:
            member, policy = await access_sender(tx.conn, user, room_id, Action.EDIT_OWN)
            flow.check_not_timed_out(member, ctx.now())
            # Locks the room first, so that two edits of one message cannot both take its
            # last allowed edit. Rolling back (no change, or a refusal) returns the seq.
            rev = await rooms_store.next_seq(tx.conn, room_id)
            message = await _own_live_message(tx, member, room_id, seq)
            kept = [v["id"] for v in message.media]
            new_ids = kept if media_ids is None else media_ids
            body = _check_body(ctx, body, new_ids)
            if message.body == body and new_ids == kept:
                raise _AlreadySent(message)
            check_edit_allowance(ctx, message)
            now = ctx.now()
            attached = await media.check_attachments(tx, user, room_id, new_ids, seq=seq)
            verdict = await speech.check_room_text(
                ctx, tx, member, policy, body, message.mentions, now, edit=True
            )
            values: dict[str, Any] = dict(
                body=body,
                rev=rev,
                edited_at=now,
                edits=message.edits + 1,
                link_warning=await _link_warning(tx, member, body, before=seq),
                lang=translation.detect_language(ctx, body, policy.language) if body else None,
            )
            if new_ids != kept:
                await media.do_detach_all_but(tx, room_id, seq, new_ids)
                values["media"] = await media.do_attach(tx, attached, room_id, seq, now) or None
            if verdict is not None:
                values.update(hidden_at=now, hidden_by="automod")
            if previews.card_outdated(message.preview, body):
                values.update(preview=None)
            edited = await store.update_message(tx.conn, room_id, seq, **values)
            if verdict is not None:
                await automod.on_hidden(ctx, tx, edited, verdict, now)
            change = "edited" if verdict is None else "hidden"
            notify_message(ctx, tx, edited, change)
            await translation.on_change(ctx, tx, edited)
            previews.previews_after_commit(ctx, tx, user.id, edited)
            return edited
    except _AlreadySent as unchanged:
        return unchanged.message
    except speech.Blocked as blocked:
        raise await speech.refusal(ctx, blocked) from None


def check_edit_allowance(ctx: Context, message: Message) -> None:
    limit = ctx.settings.max_edits_per_message
    if message.edits >= limit:
        raise Conflict(
            f"A message can be edited at most {limit} times: send a new one instead.",
            code="edit_limit",
            max_edits=limit,
        )


async def do_delete_message(ctx: Context, user: User, room_id: str, seq: int) -> Message:
    """Leave a tombstone: the body and reactions are erased, the place in history stays."""
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.DELETE_OWN)
        # Deleting your own message stays possible when hidden or timed out.
        await _own_live_message(tx, member, room_id, seq, allow_hidden=True)
        rev = await rooms_store.next_seq(tx.conn, room_id)
        await store.clear_reactions(tx.conn, room_id, seq)
        await media.do_detach_all_but(tx, room_id, seq, keep=[])
        deleted = await store.update_message(
            tx.conn,
            room_id,
            seq,
            body=None,
            mentions=None,
            reactions=None,
            preview=None,
            media=None,
            rev=rev,
            deleted_at=ctx.now(),
        )
        notify_message(ctx, tx, deleted, "deleted")
        await translation.on_change(ctx, tx, deleted)
        return deleted


async def do_react(
    ctx: Context, user: User, room_id: str, seq: int, emoji: str, *, add: bool
) -> Message:
    """Add or remove one reaction. Idempotent: repeating it changes nothing."""
    emoji = rules.check_reaction(emoji)
    await limits.spend(ctx, limits.REACTIONS, user.id)
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.REACT)
        flow.check_not_timed_out(member, ctx.now())
        message = await store.get_message(tx.conn, room_id, seq)
        if message is None or message.kind is MessageKind.SYSTEM or message.deleted:
            raise NotFound("No such message in this room.", code="message_not_found")
        if message.hidden:
            raise Forbidden("A moderator hid this message.", code="message_hidden")
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
        notify_message(ctx, tx, updated, "reactions")
        return updated


async def do_mark_read(ctx: Context, user: User, room_id: str, seq: int) -> int:
    """Move the member's read marker forward to ``seq`` (never back); returns the marker."""
    if seq < 0:
        raise InvalidInput("seq must not be negative.", code="invalid_seq")
    await limits.spend(ctx, limits.READS, user.id)
    async with ctx.db.write() as tx:
        member = await check_sender(tx, user, room_id, Action.READ)
        last = await rooms_store.last_seq(tx.conn, room_id)
        return await members_store.advance_read_marker(tx.conn, member.id, min(seq, last))


async def check_can_type(ctx: Context, user: User, room_id: str) -> str:
    """The member id to show as typing, if the user may post in the room now."""
    async with ctx.db.read() as conn:
        member = await access_member_for(conn, user, room_id, Action.POST)
    flow.check_not_timed_out(member, ctx.now())
    return member.id
