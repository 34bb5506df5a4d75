"""Fan-out between nodes. ``base.Broker`` is the contract; pick one by name with :func:`create`.

``memory`` (default, one process) needs nothing. ``redis`` (``OPENLINK_REDIS_URL``) joins
several processes into one instance; its driver ships as the ``redis`` extra.
"""

from __future__ import annotations

from collections.abc import Callable

from openlink.broker.base import Broker, Handler
from openlink.broker.memory import MemoryBroker
from openlink.config import Settings


def _memory(_settings: Settings) -> Broker:
    return MemoryBroker()


def _redis(settings: Settings) -> Broker:
    from openlink.broker.redis import RedisBroker

    if not settings.redis_url:
        raise ValueError("OPENLINK_BROKER=redis needs OPENLINK_REDIS_URL (redis://host:6379/0)")
    return RedisBroker(
        settings.redis_url,
        sharded=settings.redis_sharded,
        prefix=settings.redis_prefix,
        connect_timeout_s=settings.redis_connect_timeout_s,
        socket_timeout_s=settings.redis_socket_timeout_s,
        retry_after_s=settings.redis_retry_after_s,
    )


REGISTRY: dict[str, Callable[[Settings], Broker]] = {"memory": _memory, "redis": _redis}


def create(settings: Settings) -> Broker:
    try:
        factory = REGISTRY[settings.broker]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"Unknown broker {settings.broker!r}; known brokers: {known}.") from None
    return factory(settings)


__all__ = ["REGISTRY", "Broker", "Handler", "MemoryBroker", "create"]
