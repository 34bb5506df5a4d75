"""The in-process broker: the default for a single node. Needs nothing."""

from __future__ import annotations

import asyncio

from openlink.broker.base import GapHandler, Handler


class MemoryBroker:
    """Delivers on the next loop iteration, never inside ``publish``: like a network
    broker, a publisher is never slowed by what subscribers do with the event."""

    name = "memory"

    def __init__(self) -> None:
        self._handler: Handler | None = None
        self._channels: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self, handler: Handler, on_gap: GapHandler | None = None) -> None:
        # In one process nothing is ever missed: ``on_gap`` is never called.
        self._handler = handler
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self._handler = None
        self._channels.clear()

    async def publish(self, channel: str, data: bytes) -> None:
        if self._handler is not None and self._loop is not None and channel in self._channels:
            self._loop.call_soon(self._handler, channel, bytes(data))

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
