"""Keeping the semantic index current: a room whose searchable text changed is queued.

``room_changed`` is called after commit by room creation and settings changes: it queues
the room and wakes the indexer (``services/indexer.py``), and never blocks. The keyword
index needs nothing from here: triggers (SQLite) or expression indexes (PostgreSQL) keep
it current inside the writing transaction.
"""

from __future__ import annotations

from openlink.actions.context import Context


def room_changed(ctx: Context, room_id: str) -> None:
    """A room's searchable text (name, description, tags, language) or status changed:
    schedule its re-indexing. Called after commit; must return at once."""
    index = ctx.search
    if not index.semantic:
        return
    index.pending.add(room_id)
    index.wake.set()
