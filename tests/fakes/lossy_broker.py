"""A broker that loses account events: the in-process broker, minus every publish to a
``user:`` channel while ``dropping`` is set. The contract allows it (at most once); the
server must still make those events take effect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openlink import broker
from openlink.broker.memory import MemoryBroker


class LossyBroker(MemoryBroker):
    # Not "memory": the hub runs its catch-up only for brokers that can lose events.
    name = "lossy"

    def __init__(self) -> None:
        super().__init__()
        self.dropping = True
        self.dropped: list[str] = []

    async def publish(self, channel: str, data: bytes) -> None:
        if self.dropping and channel.startswith("user:"):
            self.dropped.append(channel)
            return
        await super().publish(channel, data)


def use_lossy_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """For a fixture: servers started meanwhile may say ``broker="lossy"``."""
    monkeypatch.setitem(broker.REGISTRY, "lossy", lambda _settings: LossyBroker())
    yield
