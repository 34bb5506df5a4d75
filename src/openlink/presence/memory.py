"""Presence for one process: counters in memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K", str, int)


class _Room:
    __slots__ = ("languages", "users")

    def __init__(self) -> None:
        self.users: Counter[int] = Counter()
        self.languages: Counter[str] = Counter()


class LocalCounts:
    """Sockets per (room, account) and per (room, language) on this node."""

    def __init__(self) -> None:
        self.rooms: dict[str, _Room] = {}

    def joined(self, room_id: str, user_id: int, language: str | None) -> None:
        room = self.rooms.get(room_id)
        if room is None:  # not setdefault: that would build two counters on every call
            room = self.rooms[room_id] = _Room()
        room.users[user_id] += 1
        if language:
            room.languages[language] += 1

    def left(self, room_id: str, user_id: int, language: str | None) -> None:
        room = self.rooms.get(room_id)
        if room is None:
            return
        _decrement(room.users, user_id)
        if language:
            _decrement(room.languages, language)
        if not room.users:
            del self.rooms[room_id]

    def users(self, room_id: str) -> frozenset[int]:
        room = self.rooms.get(room_id)
        return frozenset(room.users) if room else frozenset()

    def count(self, room_id: str) -> int:
        room = self.rooms.get(room_id)
        return len(room.users) if room else 0

    def languages(self, room_id: str) -> frozenset[str]:
        room = self.rooms.get(room_id)
        return frozenset(room.languages) if room else frozenset()


def _decrement(counter: Counter[K], key: K) -> None:
    if counter[key] > 1:
        counter[key] -= 1
    else:
        counter.pop(key, None)


class MemoryPresence:
    name = "memory"

    def __init__(self) -> None:
        self.local = LocalCounts()
        self._listener: Callable[[str], None] | None = None

    def set_listener(self, listener: Callable[[str], None] | None) -> None:
        self._listener = listener

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def joined(self, room_id: str, user_id: int, language: str | None) -> None:
        self.local.joined(room_id, user_id, language)
        if self._listener is not None:
            self._listener(room_id)

    def left(self, room_id: str, user_id: int, language: str | None) -> None:
        self.local.left(room_id, user_id, language)
        if self._listener is not None:
            self._listener(room_id)

    async def online(self, room_id: str) -> int:
        return self.local.count(room_id)

    async def reading_languages(self, room_id: str) -> frozenset[str]:
        return self.local.languages(room_id)

    def invalidate(self, room_id: str) -> None:
        pass
