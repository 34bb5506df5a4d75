"""Presence: who is connected where, apart from fan-out (the broker).

Today it answers one question for translation: which reading languages the connected
members of a room have, so that each message is translated once per language present,
never once per reader. ``memory`` counts this process's sockets.
"""

from __future__ import annotations

from openlink.presence.base import Presence
from openlink.presence.memory import MemoryPresence

__all__ = ["MemoryPresence", "Presence"]
