"""Events every open socket of one account must obey: left a room, signed out, suspended,
sessions revoked.

The broker may lose any event, so each is also made durable: the account's ``access_rev``
is bumped in the same transaction as the change. Every node compares the revision of its
connected accounts at each catch-up and, when it moved, checks their sockets' tokens and
rooms against the database (``realtime/hub.py``).
"""

from __future__ import annotations

from typing import Any

from openlink.actions.context import Context
from openlink.actions.notify import notify_user
from openlink.store import accounts as store
from openlink.store.db import Tx


async def do_account_event(ctx: Context, tx: Tx, user_id: int, event: dict[str, Any]) -> None:
    """Bump the account's revision in ``tx``; publish ``event`` once it commits."""
    await store.bump_access_rev(tx.conn, user_id)
    notify_user(ctx, tx, user_id, event)
