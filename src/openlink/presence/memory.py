"""Presence for one process: counters in memory."""

from __future__ import annotations

from collections import Counter


class MemoryPresence:
    def __init__(self) -> None:
        self._rooms: dict[str, Counter[str]] = {}

    def reader_joined(self, room_id: str, language: str) -> None:
        self._rooms.setdefault(room_id, Counter())[language] += 1

    def reader_left(self, room_id: str, language: str) -> None:
        counts = self._rooms.get(room_id)
        if counts is None or counts[language] <= 0:
            return
        counts[language] -= 1
        if counts[language] <= 0:
            del counts[language]
            if not counts:
                del self._rooms[room_id]

    def reading_languages(self, room_id: str) -> frozenset[str]:
        counts = self._rooms.get(room_id)
        return frozenset(counts) if counts else frozenset()
