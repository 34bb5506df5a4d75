"""The host bot: a welcome message, keyword answers and scheduled notices, without code.

Hosts (and co-hosts with the ``settings`` right) configure it; the join path calls
:func:`welcome`, the send path :func:`on_message`, and the bot scheduler
(``services/bot.py``) calls :func:`tick` to post the scheduled notices. The bot's
messages are of kind ``bot`` and name no member.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions.audit import do_audit
from openlink.actions.context import Context
from openlink.actions.stream import do_append
from openlink.domain import bot as rules
from openlink.domain.accounts import User
from openlink.domain.bot import BotConfig, Schedule
from openlink.domain.ids import new_id
from openlink.domain.members import Member
from openlink.domain.messages import Message, MessageKind
from openlink.domain.permissions import Action
from openlink.domain.rooms import Room, RoomKind, RoomStatus
from openlink.errors import Conflict, Forbidden, NotFound
from openlink.queries.access import access_room_for
from openlink.ratelimit import Rate
from openlink.store import bot as store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx

log = logging.getLogger("openlink.bot")

#: Schedules read per database round in one tick.
TICK_BATCH = 100
#: Rounds per tick at most: a schedule that keeps failing cannot spin a tick forever.
TICK_ROUNDS = 10
_COOLDOWN = Rate(1, rules.ANSWER_COOLDOWN_S)


# -- settings ------------------------------------------------------------------------


async def access_bot(ctx: Context, user: User, room_id: str) -> BotConfig:
    """The room's bot as a member sees it: everything it says is said to everyone."""
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.READ)
        return await store.get_config(conn, room.id)


async def do_put_bot(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    welcome: str | None,
    answers: list[tuple[list[str], str]],
) -> BotConfig:
    """Replace the room's welcome and answers."""
    text = rules.check_welcome(welcome)
    checked = rules.check_answers(answers)
    now = ctx.now()
    async with ctx.db.write() as tx:
        room, member = await _access_for_change(tx.conn, user, room_id)
        await store.put_config(tx.conn, room.id, text, checked, now)
        await store.bump_rev(tx.conn, room.id)
        details = {"welcome": text is not None, "answers": len(checked)}
        await do_audit(ctx, tx, room, member, "bot_updated", details=details)
        return await store.get_config(tx.conn, room.id)


async def access_schedules(ctx: Context, user: User, room_id: str) -> list[Schedule]:
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.READ)
        return await store.schedules_of(conn, room.id)


async def do_add_schedule(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    body: str,
    interval_s: int,
    first_at: datetime | None,
) -> Schedule:
    text = rules.check_schedule_body(body)
    interval = rules.check_interval(interval_s)
    now = ctx.now()
    next_at = rules.check_first_at(first_at, interval, now)
    async with ctx.db.write() as tx:
        room, member = await _access_for_change(tx.conn, user, room_id)
        if await store.count_schedules(tx.conn, room.id) >= rules.MAX_SCHEDULES:
            raise Conflict(
                f"A room has at most {rules.MAX_SCHEDULES} scheduled notices.",
                code="too_many_schedules",
                max_schedules=rules.MAX_SCHEDULES,
            )
        schedule = Schedule(new_id(), room.id, text, interval, next_at, now)
        await store.insert_schedule(tx.conn, schedule)
        await store.bump_rev(tx.conn, room.id)
        details = {"schedule": schedule.id, "interval_s": interval}
        await do_audit(ctx, tx, room, member, "bot_schedule_added", details=details)
        return schedule


async def do_delete_schedule(ctx: Context, user: User, room_id: str, schedule_id: str) -> None:
    async with ctx.db.write() as tx:
        room, member = await _access_for_change(tx.conn, user, room_id)
        if not await store.delete_schedule(tx.conn, room.id, schedule_id):
            raise NotFound("No such scheduled notice in this room.", code="schedule_not_found")
        await store.bump_rev(tx.conn, room.id)
        details = {"schedule": schedule_id}
        await do_audit(ctx, tx, room, member, "bot_schedule_deleted", details=details)


async def _access_for_change(
    conn: AsyncConnection, user: User, room_id: str
) -> tuple[Room, Member]:
    room, member = await access_room_for(conn, user, room_id, Action.EDIT_ROOM, for_update=True)
    if room.kind is not RoomKind.GROUP:
        raise Forbidden("The host bot works in group rooms only.", code="bot_group_only")
    return room, member


# -- what the bot says ---------------------------------------------------------------


async def do_post(
    ctx: Context,
    tx: Tx,
    room_id: str,
    body: str,
    now: datetime,
    *,
    reply_to: int | None = None,
    mentions: list[str] | None = None,
) -> Message:
    """Write a bot message and publish it after commit."""
    return await do_append(
        ctx, tx, room_id, MessageKind.BOT, now, body=body, reply_to=reply_to, mentions=mentions
    )


@dataclass(slots=True, frozen=True)
class _Compiled:
    config: BotConfig
    matcher: list[tuple[int, tuple[str, ...]]]


class _Cache:
    """Per process: each room's bot as of its ``bot_rev``, so that joins and messages
    read the database only after the bot changed. Bounded; least recently used leaves."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._items: OrderedDict[str, _Compiled] = OrderedDict()

    def get(self, room_id: str, bot_rev: int) -> _Compiled | None:
        found = self._items.get(room_id)
        if found is None or found.config.bot_rev < bot_rev:
            return None
        self._items.move_to_end(room_id)
        return found

    def put(self, room_id: str, config: BotConfig) -> _Compiled:
        found = self._items.get(room_id)
        if found is not None and found.config.bot_rev >= config.bot_rev:
            return found
        compiled = self._items[room_id] = _Compiled(config, config.matcher())
        self._items.move_to_end(room_id)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return compiled


_cache = _Cache()
#: The name of answer tasks under the supervisor (tests and shutdown wait for them).
ANSWER_TASK = "bot.answer"


async def _compiled(conn: AsyncConnection, room_id: str, bot_rev: int) -> _Compiled:
    found = _cache.get(room_id, bot_rev)
    if found is None:
        # Keyed by the rev actually read, which is at least the caller's.
        found = _cache.put(room_id, await store.get_config(conn, room_id))
    return found


async def welcome(
    ctx: Context, tx: Tx, room_id: str, bot_rev: int, member: Member, now: datetime
) -> None:
    """Post the room's welcome message for ``member`` in the join transaction, if it has one.
    ``bot_rev`` 0 means the room never had a bot: nothing to read."""
    if bot_rev == 0:
        return
    bot = await _compiled(tx.conn, room_id, bot_rev)
    if bot.config.welcome is None:
        return
    body = rules.welcome_body(bot.config.welcome, member.nickname)
    await do_post(ctx, tx, room_id, body, now, mentions=[member.id])


def on_message(ctx: Context, bot_rev: int, message: Message) -> None:
    """A member's message was committed: answer it if it asks a keyword question.
    Called after commit; must not block the sender (spawn the answer as a task)."""
    if bot_rev == 0 or message.kind is not MessageKind.TEXT or message.member_id is None:
        return
    if message.hidden or message.deleted or not message.body:
        return
    cached = _cache.get(message.room_id, bot_rev)
    if cached is not None and rules.first_match(cached.matcher, message.body) is None:
        return  # the common case: no question, no task
    ctx.tasks.spawn(_answer(ctx, bot_rev, message), name=ANSWER_TASK)


async def _answer(ctx: Context, bot_rev: int, question: Message) -> None:
    assert question.body is not None
    async with ctx.db.read() as conn:
        bot = await _compiled(conn, question.room_id, bot_rev)
    index = rules.first_match(bot.matcher, question.body)
    if index is None:
        return
    key = f"bot-answer:{question.room_id}:{index}"
    if await ctx.limiter.hit(key, _COOLDOWN) is not None:
        return  # answered a moment ago: the answer is still on screen
    async with ctx.db.write() as tx:
        room = await rooms_store.get_room(tx.conn, question.room_id)
        if room is None or room.status is not RoomStatus.OPEN:
            return
        answer = bot.config.answers[index].answer
        await do_post(ctx, tx, room.id, answer, ctx.now(), reply_to=question.seq)


# -- scheduled notices ---------------------------------------------------------------


async def tick(ctx: Context) -> int:
    """Post every schedule that is due now; returns how many this process posted.

    Safe to run in several processes at once: each due time is claimed by one
    conditional update, in the transaction that posts it."""
    now = ctx.now()
    posted = 0
    for _ in range(TICK_ROUNDS):
        async with ctx.db.read() as conn:
            due = await store.due_schedules(conn, now, TICK_BATCH)
        for schedule in due:
            try:
                posted += await _post_scheduled(ctx, schedule, now)
            except Exception:
                log.exception("scheduled notice %s failed", schedule.id)
        if len(due) < TICK_BATCH:
            break
    return posted


async def _post_scheduled(ctx: Context, schedule: Schedule, now: datetime) -> bool:
    next_at = rules.next_due(schedule.next_at, schedule.interval_s, now)
    async with ctx.db.write() as tx:
        if not await store.claim(tx.conn, schedule, next_at):
            return False  # another tick or process posted this one
        room = await rooms_store.get_room(tx.conn, schedule.room_id)
        if room is None or room.status is not RoomStatus.OPEN:
            return False
        await do_post(ctx, tx, room.id, schedule.body, ctx.now())
        return True
