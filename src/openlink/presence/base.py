"""The presence contract."""

from __future__ import annotations

from typing import Protocol


class Presence(Protocol):
    def reader_joined(self, room_id: str, language: str) -> None:
        """A socket reading ``language`` now carries ``room_id``. Counted per socket."""
        ...

    def reader_left(self, room_id: str, language: str) -> None:
        """Undo one :meth:`reader_joined`."""
        ...

    def reading_languages(self, room_id: str) -> frozenset[str]:
        """The languages the room's connected sockets read (at least one socket each)."""
        ...
