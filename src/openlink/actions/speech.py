"""The one policy for text a person puts anywhere, whatever route it comes by.

In a room: a message, its edit, and a room clip's caption pass :func:`check_room_text`
(time-out, mention cap, probation's link rule, automod, then slow mode and the flood
limits). Outside rooms (an interest clip's caption, a comment on one) there are no room
rules: :func:`check_open_text` applies what holds for every text on the server. Each
refusal has the same code whichever route the text came by.
"""

from __future__ import annotations

from datetime import datetime

from openlink.actions import automod, flow
from openlink.actions.context import Context
from openlink.domain.governance import RoomPolicy
from openlink.domain.members import Member
from openlink.domain.text import check_no_controls
from openlink.errors import InvalidInput, OpenLinkError
from openlink.store import members as members_store
from openlink.store import messages as messages_store
from openlink.store.db import Tx


class Blocked(Exception):
    """An automod rule blocked the text (or timed its author out). Raised inside the
    write transaction so that it rolls back; :func:`refusal` then records the verdict in
    a transaction of its own and gives the author's error."""

    def __init__(self, member: Member, verdict: automod.Verdict) -> None:
        self.member = member
        self.verdict = verdict


async def refusal(ctx: Context, blocked: Blocked) -> OpenLinkError:
    """The error for the author of blocked text, after the rollback."""
    member = blocked.member
    return await automod.on_blocked(ctx, member.room_id, member, blocked.verdict)


async def check_room_text(
    ctx: Context,
    tx: Tx,
    member: Member,
    policy: RoomPolicy,
    body: str,
    mention_ids: list[str],
    now: datetime,
    *,
    reply_to: int | None = None,
    edit: bool = False,
) -> automod.Verdict | None:
    """The checks for text a member puts in a room, sent or edited, cheapest first:
    time-out, mention cap and probation, references (a send's), automod, then the flood
    limits and slow mode, counted only once everything else passed.

    Returns a HIDE verdict (store the text hidden) or None; a block or time-out verdict
    raises :class:`Blocked`."""
    probation = flow.check_content(ctx, member, policy, body, mention_ids, now)
    if not edit:
        await _check_references(tx, member.room_id, reply_to, mention_ids)
    verdict = await automod.screen(ctx, tx.conn, member.room_id, policy.automod_rev, member, body)
    if verdict is not None and verdict.action is not automod.AutomodAction.HIDE:
        raise Blocked(member, verdict)
    await flow.check_and_count(ctx, member.room_id, member, policy, probation, edit=edit)
    return verdict


def check_open_text(body: str, what: str) -> str:
    """The checks for text outside any room. The operator has no server-wide word rules
    (automod is a room's), so what every text obeys is all there is: no control
    characters (``invalid_text``). A suspended account is refused before any route
    (``account_suspended``); lengths are the field's own; the per-account limits are
    the caller's."""
    return check_no_controls(body, what)


async def _check_references(
    tx: Tx, room_id: str, reply_to: int | None, mention_ids: list[str]
) -> None:
    if reply_to is not None and not await messages_store.exists(tx.conn, room_id, reply_to):
        raise InvalidInput("The message replied to is not in this room.", code="reply_not_found")
    if mention_ids:
        found = await members_store.active_member_ids(tx.conn, room_id, mention_ids)
        if len(found) != len(mention_ids):
            raise InvalidInput("A mentioned member is not in this room.", code="mention_not_found")
