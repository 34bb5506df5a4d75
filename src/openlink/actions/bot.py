"""The host bot: a welcome message, keyword answers and scheduled notices, without code.

(Being built. The join and send paths already call the hooks below.)
"""

from __future__ import annotations

from datetime import datetime

from openlink.actions.context import Context
from openlink.domain.members import Member
from openlink.domain.messages import Message
from openlink.store.db import Tx


async def welcome(
    ctx: Context, tx: Tx, room_id: str, bot_rev: int, member: Member, now: datetime
) -> None:
    """Post the room's welcome message for ``member`` in the join transaction, if it has one.
    ``bot_rev`` 0 means the room never had a bot: nothing to read."""


def on_message(ctx: Context, bot_rev: int, message: Message) -> None:
    """A member's message was committed: answer it if it asks a keyword question.
    Called after commit; must not block the sender (spawn the answer as a task)."""
