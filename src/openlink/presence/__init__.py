"""Presence: who is connected where, apart from fan-out (the broker).

It answers how many accounts are online in a room and which languages its connected
readers read (so that each message is translated once per language present, never once
per reader). ``memory`` counts this process's sockets; ``redis`` shares the counts of
every node, with TTLs so that a dead node's sockets stop counting.
"""

from __future__ import annotations

from openlink.config import Settings
from openlink.presence.base import Presence
from openlink.presence.memory import MemoryPresence


def create(settings: Settings) -> Presence:
    """Redis presence when the broker is Redis (several nodes), else in memory."""
    if settings.broker == "redis":
        from openlink.presence.redis import RedisPresence

        return RedisPresence(
            settings.redis_url,
            ttl_s=settings.presence_ttl_s,
            prefix=settings.redis_prefix,
            connect_timeout_s=settings.redis_connect_timeout_s,
            socket_timeout_s=settings.redis_socket_timeout_s,
            retry_after_s=settings.redis_retry_after_s,
        )
    return MemoryPresence()


__all__ = ["MemoryPresence", "Presence", "create"]
