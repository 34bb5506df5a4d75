"""The broker contract: publish bytes to a channel, receive what others published.

Guarantees, stated so that callers can rely on exactly these and nothing more:

* **At most once.** A published event reaches each node subscribed to its channel at
  most once; it may be lost (broker restart, slow consumer, partition). Durable room
  events are therefore also in the database, and the realtime hub fills any gap it sees
  from there: the broker is never trusted for completeness.
* **Per-publisher order.** Events one node publishes to one channel arrive in the order
  they were published. Events from different nodes may interleave in any order.
* **Opaque payloads.** The broker moves bytes (JSON events). It never parses them.

Channels are plain strings: ``room:{id}`` for a room's events, ``user:{id}`` for one
account's private events (joined, left).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Handler = Callable[[str, bytes], None]
#: Called when the broker knows it may have missed events (it reconnected).
GapHandler = Callable[[], None]


class Broker(Protocol):
    name: str

    async def start(self, handler: Handler, on_gap: GapHandler | None = None) -> None:
        """Connect. ``handler(channel, data)`` is then called on the event loop for every
        event that arrives on a subscribed channel. It must not block. ``on_gap()`` is
        called (on the loop) after the broker lost its connection and got it back: events
        published meanwhile may be gone, and the caller should read the database."""

    async def stop(self) -> None:
        """Disconnect and drop every subscription."""

    async def publish(self, channel: str, data: bytes) -> None:
        """Send ``data`` to every node subscribed to ``channel``, this one included."""

    async def subscribe(self, channel: str) -> None:
        """Start receiving ``channel``. Returns once the subscription is in effect, so that
        anything published after this call returns is delivered. Idempotent."""

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel``. Idempotent."""
