"""Keeping the search index current: rooms whose searchable text changed get re-embedded.

(Being built. Room creation and updates already call the hook below.)
"""

from __future__ import annotations

from openlink.actions.context import Context


def room_changed(ctx: Context, room_id: str) -> None:
    """A room's searchable text (name, description, tags, language) or status changed:
    schedule its re-indexing. Called after commit; must return at once."""
