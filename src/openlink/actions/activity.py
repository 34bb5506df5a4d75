"""Room activity for trending: who wrote and who joined, per room and hour.

(Being built. The send and join paths already call the hook below.)
"""

from __future__ import annotations

from datetime import datetime

from openlink.actions.context import Context
from openlink.store.db import Tx


async def note_activity(
    ctx: Context, tx: Tx, room_id: str, member_id: str, kind: str, now: datetime
) -> None:
    """Record that ``member_id`` did ``kind`` (``post`` or ``join``) in ``room_id`` during
    the hour of ``now``, inside the caller's transaction. Must cost next to nothing when
    the same member already counted for that hour (most messages)."""
