"""A broker whose next subscriptions to room channels fail: the in-process broker, with
``fail_room_subscribes`` failures to hand out. Like a Redis that hiccups while a node opens
a room."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openlink import broker
from openlink.broker.memory import MemoryBroker


class FlakyBroker(MemoryBroker):
    name = "flaky"

    def __init__(self) -> None:
        super().__init__()
        self.fail_room_subscribes = 0
        self.failed: list[str] = []

    async def subscribe(self, channel: str) -> None:
        if self.fail_room_subscribes and channel.startswith("room:"):
            self.fail_room_subscribes -= 1
            self.failed.append(channel)
            raise ConnectionError(f"subscribing to {channel} failed")
        await super().subscribe(channel)


def use_flaky_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For a fixture: servers started meanwhile may say ``broker="flaky"``."""
    monkeypatch.setitem(broker.REGISTRY, "flaky", lambda _settings: FlakyBroker())
    yield
