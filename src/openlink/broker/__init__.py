"""Fan-out between nodes. ``base.Broker`` is the contract; pick one by name with :func:`create`.

``memory`` (default, one process) needs nothing. Further brokers (Redis) register here and
ship their drivers as extras.
"""

from __future__ import annotations

from collections.abc import Callable

from openlink.broker.base import Broker, Handler
from openlink.broker.memory import MemoryBroker
from openlink.config import Settings


def _memory(_settings: Settings) -> Broker:
    return MemoryBroker()


REGISTRY: dict[str, Callable[[Settings], Broker]] = {"memory": _memory}


def create(settings: Settings) -> Broker:
    try:
        factory = REGISTRY[settings.broker]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"Unknown broker {settings.broker!r}; known brokers: {known}.") from None
    return factory(settings)


__all__ = ["REGISTRY", "Broker", "Handler", "MemoryBroker", "create"]
