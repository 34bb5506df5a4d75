"""The presence contract: who is connected to which room, across every node.

The hub reports each socket that starts or stops carrying a room (``joined`` / ``left``,
synchronous and cheap: implementations buffer); readers ask how many distinct accounts
are online in a room and which languages its connected readers read. A node that dies
stops counting within the implementation's TTL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

#: Called with a room id once this node's change to the room's presence is visible to
#: every node (at once in memory; after the write lands in a shared store).
Listener = Callable[[str], None]


class Presence(Protocol):
    name: str

    async def start(self) -> None: ...

    def set_listener(self, listener: Listener | None) -> None: ...

    async def stop(self) -> None: ...

    def joined(self, room_id: str, user_id: int, language: str | None) -> None:
        """A socket of ``user_id`` reading ``language`` now carries ``room_id``. Counted
        per socket: each call is undone by one :meth:`left`."""
        ...

    def left(self, room_id: str, user_id: int, language: str | None) -> None: ...

    async def online(self, room_id: str) -> int:
        """Distinct accounts with at least one socket carrying the room, on any node."""
        ...

    async def reading_languages(self, room_id: str) -> frozenset[str]:
        """The languages the room's connected sockets read, on any node."""
        ...

    def invalidate(self, room_id: str) -> None:
        """Another node changed the room's presence: forget any cached answer."""
        ...
