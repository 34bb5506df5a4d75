"""Publishing events to the broker. Called from ``Tx.after_commit`` only."""

from __future__ import annotations

from typing import Any

import orjson

from openlink.actions.context import Context
from openlink.domain.events import message_event
from openlink.domain.messages import Message


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


async def notify_message(ctx: Context, message: Message, change: str) -> None:
    data = orjson.dumps(message_event(message, change))
    await ctx.broker.publish(room_channel(message.room_id), data)


async def notify_user(ctx: Context, user_id: int, event: dict[str, Any]) -> None:
    await ctx.broker.publish(user_channel(user_id), orjson.dumps(event))


async def notify_room_ephemeral(ctx: Context, room_id: str, event: dict[str, Any]) -> None:
    await ctx.broker.publish(room_channel(room_id), orjson.dumps(event))
