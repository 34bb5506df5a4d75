"""Publishing events to the broker, only ever for a change that committed.

Each ``notify_*`` function takes the transaction whose change it announces and registers
the publish to run once that transaction has committed (``Tx.after_commit``): a rolled-back
change is never announced, and no call site has to remember how. A function given no open
transaction refuses. The event is encoded when it is published, so it shows the objects
as the transaction left them.

Ephemeral events (typing, presence), which announce nothing durable, are the one kind
published at once: :func:`publish_ephemeral`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from openlink.actions.context import Context
from openlink.domain.events import message_event, translation_event
from openlink.domain.messages import Message
from openlink.store.db import Tx
from openlink.store.translations import StoredTranslation


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def on_commit(ctx: Context, tx: Tx, channel: str, event: Callable[[], dict[str, Any]]) -> None:
    """Publish ``event()`` on ``channel`` once ``tx`` has committed."""
    if not isinstance(tx, Tx):
        raise TypeError("an event is published for a transaction: pass the open Tx")

    async def publish() -> None:
        await ctx.broker.publish(channel, orjson.dumps(event()))

    tx.after_commit(publish)


def notify_message(ctx: Context, tx: Tx, message: Message, change: str) -> None:
    on_commit(ctx, tx, room_channel(message.room_id), lambda: message_event(message, change))


def notify_user(ctx: Context, tx: Tx, user_id: int, event: dict[str, Any]) -> None:
    on_commit(ctx, tx, user_channel(user_id), lambda: event)


def notify_translated(ctx: Context, tx: Tx, t: StoredTranslation) -> None:
    on_commit(
        ctx,
        tx,
        room_channel(t.room_id),
        lambda: translation_event(t.room_id, t.seq, t.rev, t.source_lang, t.lang, t.body),
    )


async def publish_ephemeral(ctx: Context, room_id: str, event: dict[str, Any]) -> None:
    """An event with nothing durable behind it (typing, presence): published at once, and
    may be lost like any broker event."""
    await ctx.broker.publish(room_channel(room_id), orjson.dumps(event))


async def publish_to_user(ctx: Context, user_id: int, event: dict[str, Any]) -> None:
    """An ephemeral event for one account's own sockets (an upload's progress)."""
    await ctx.broker.publish(user_channel(user_id), orjson.dumps(event))
