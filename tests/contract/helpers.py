"""Helpers shared by the contract tests."""

from __future__ import annotations

import asyncio

WAIT_S = 2.0


class Inbox:
    """The handler a node starts its broker with: records what arrives, in order."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        self._arrived = asyncio.Event()
        self.inside_publish = False
        self.called_inside_publish = False

    def handler(self, channel: str, data: bytes) -> None:
        if self.inside_publish:
            self.called_inside_publish = True
        self.received.append((channel, data))
        self._arrived.set()

    def on(self, channel: str) -> list[bytes]:
        return [data for ch, data in self.received if ch == channel]

    async def wait_for(self, channel: str, data: bytes) -> None:
        async with asyncio.timeout(WAIT_S):
            while (channel, data) not in self.received:
                self._arrived.clear()
                await self._arrived.wait()
