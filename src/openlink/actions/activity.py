"""Room activity for trending: who wrote and who joined, per room and hour.

The send path calls :func:`note_activity` for every message, so the common case (this
member already counted this hour) must cost no database work: each process remembers the
rows of the current hour it has written. The memory holds one hour of (room, member,
kind) triples and is dropped when the hour turns.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime

from openlink.actions.context import Context
from openlink.domain.discovery import WINDOW_H, hour_bucket
from openlink.store import activity as store
from openlink.store.db import Database, Tx

log = logging.getLogger("openlink.activity")


class _Written:
    """The (room, member, kind) triples written during ``bucket`` by this process."""

    __slots__ = ("bucket", "seen")

    def __init__(self) -> None:
        self.bucket: int | None = None
        self.seen: set[tuple[str, str, str]] = set()


# One per database: two apps in one process (tests) never share what they wrote.
_written: weakref.WeakKeyDictionary[Database, _Written] = weakref.WeakKeyDictionary()


async def note_activity(
    ctx: Context, tx: Tx, room_id: str, member_id: str, kind: str, now: datetime
) -> None:
    """Record that ``member_id`` did ``kind`` (``post`` or ``join``) in ``room_id`` during
    the hour of ``now``, inside the caller's transaction. Must cost next to nothing when
    the same member already counted for that hour (most messages)."""
    bucket = hour_bucket(now)
    memo = _written.setdefault(ctx.db, _Written())
    key = (room_id, member_id, kind)
    if bucket == memo.bucket and key in memo.seen:
        return
    await store.record(
        tx.conn,
        room_id=room_id,
        bucket=bucket,
        member_id=member_id,
        kind=kind,
    )

    # Remembered only once committed: a rolled-back send must not hide the next one.
    async def remember() -> None:
        if memo.bucket is None or bucket > memo.bucket:
            if memo.bucket is not None:
                _prune_soon(ctx, bucket)
            memo.bucket, memo.seen = bucket, set()
        if bucket == memo.bucket:
            memo.seen.add(key)

    tx.after_commit(remember)


async def do_prune_activity(ctx: Context, now_bucket: int) -> int:
    """Delete the activity that has left the trending window."""
    async with ctx.db.write() as tx:
        return await store.prune(tx.conn, now_bucket - WINDOW_H)


def _prune_soon(ctx: Context, now_bucket: int) -> None:
    # A task of its own: this runs in an after-commit callback, which on SQLite still
    # holds the write lock that the prune's transaction needs.
    async def run() -> None:
        try:
            await do_prune_activity(ctx, now_bucket)
        except Exception:
            log.exception("pruning old room activity failed; the next hour tries again")

    ctx.tasks.spawn(run(), name="activity.prune")
