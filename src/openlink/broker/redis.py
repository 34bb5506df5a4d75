"""Redis pub/sub: fan-out between the nodes of one instance.

One connection publishes; one more holds the subscriptions and feeds a reader task,
which calls the handler on the event loop (never inside ``publish``). Redis pub/sub is
at most once, as the contract says: an event published while a node's subscription
connection is down is lost to that node. So when the reader loses its connection it
reconnects with backoff, subscribes everything again and then calls ``on_gap``: the hub
reads what it missed from the database.

``sharded=True`` uses Redis 7's sharded pub/sub (SPUBLISH/SSUBSCRIBE), which a Redis
Cluster routes to the shard owning the channel instead of broadcasting every event to
every shard.

``prefix`` namespaces the channels on the wire (``{prefix}room:…``), so that several
instances can share one Redis; subscribers see the names without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from openlink.broker.base import GapHandler, Handler
from openlink.redis_client import Outage, connect

log = logging.getLogger("openlink.broker")

SUBSCRIBE_TIMEOUT_S = 5.0
BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0)


class RedisBroker:
    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        sharded: bool = False,
        prefix: str = "",
        connect_timeout_s: float = 1.0,
        socket_timeout_s: float = 0.5,
        retry_after_s: float = 2.0,
    ) -> None:
        self.url = url
        self.sharded = sharded
        self.prefix = prefix
        self.connect_timeout_s = connect_timeout_s
        self.socket_timeout_s = socket_timeout_s
        #: Publishes run after commit, under SQLite's writer lock: while Redis hangs,
        #: they are dropped without waiting (the catch-up recovers them).
        self._outage = Outage(retry_after_s)
        self._handler: Handler | None = None
        self._on_gap: GapHandler | None = None
        self._client: Any = None
        #: Subscriptions block while no event comes, so they have a client of their own,
        #: without the per-command timeout.
        self._sub_client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        #: Channels as named on the wire, with the prefix.
        self._channels: set[str] = set()
        self._confirm: dict[str, asyncio.Future[None]] = {}
        self._connected = asyncio.Event()
        #: Counters for metrics: events in, publishes that failed, reconnects.
        self.received = 0
        self.publish_errors = 0
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self, handler: Handler, on_gap: GapHandler | None = None) -> None:
        try:
            import redis.asyncio  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "OPENLINK_BROKER=redis needs the 'redis' package (pip install 'openlink[redis]')"
            ) from exc
        self._handler, self._on_gap = handler, on_gap
        self._client = connect(
            self.url,
            connect_timeout_s=self.connect_timeout_s,
            socket_timeout_s=self.socket_timeout_s,
        )
        self._sub_client = connect(
            self.url, connect_timeout_s=self.connect_timeout_s, socket_timeout_s=None
        )
        await self._client.ping()  # a wrong URL is a start-up error, not a silent retry
        await self._open_pubsub()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._close_pubsub()
        for client in (self._client, self._sub_client):
            if client is not None:
                await client.aclose()
        self._client = self._sub_client = None
        self._channels.clear()
        self._handler = None
        self._connected.clear()

    async def publish(self, channel: str, data: bytes) -> None:
        if self._outage.active:
            self.publish_errors += 1
            return
        try:
            async with asyncio.timeout(self.connect_timeout_s + self.socket_timeout_s * 2):
                if self.sharded:
                    await self._client.spublish(self.prefix + channel, data)
                else:
                    await self._client.publish(self.prefix + channel, data)
        except (OSError, ConnectionError, TimeoutError, _redis_errors()) as exc:
            # At most once: the change is committed; subscribers recover it from the
            # database (gap fill, periodic catch-up, resume).
            self.publish_errors += 1
            self._outage.failed()
            log.warning("publish to %s failed: %r", channel, exc)

    async def subscribe(self, channel: str) -> None:
        channel = self.prefix + channel
        if channel in self._channels:
            return
        self._channels.add(channel)
        if self._connected.is_set():
            await self._subscribe([channel])

    async def unsubscribe(self, channel: str) -> None:
        channel = self.prefix + channel
        if channel not in self._channels:
            return
        self._channels.discard(channel)
        if self._connected.is_set() and self._pubsub is not None:
            with contextlib.suppress(OSError, ConnectionError, _redis_errors()):
                if self.sharded:
                    await self._pubsub.sunsubscribe(channel)
                else:
                    await self._pubsub.unsubscribe(channel)

    # -- the subscription connection -------------------------------------------------

    async def _open_pubsub(self) -> None:
        self._pubsub = self._sub_client.pubsub()
        # An empty pub/sub object connects on its first command: ping to connect now
        # (within the timeouts: this client has no per-command timeout of its own).
        async with asyncio.timeout(self.connect_timeout_s + self.socket_timeout_s):
            await self._pubsub.ping()
        self._connected.set()

    async def _resubscribe(self) -> None:
        """After a reconnect, from inside the reader: subscribe everything again and read
        the confirmations here (nobody else is reading), dispatching what comes between."""
        channels = sorted(self._channels)
        if not channels:
            return
        if self.sharded:
            await self._pubsub.ssubscribe(*channels)
        else:
            await self._pubsub.subscribe(*channels)
        waiting = set(channels)
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT_S):
            while waiting:
                message = await self._pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT_S)
                if message is None:
                    continue
                if message.get("type") in ("subscribe", "ssubscribe"):
                    channel = message.get("channel")
                    waiting.discard(channel.decode() if isinstance(channel, bytes) else channel)
                self._dispatch(message)

    async def _close_pubsub(self) -> None:
        self._connected.clear()
        for future in self._confirm.values():
            if not future.done():
                future.cancel()
        self._confirm.clear()
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None

    async def _subscribe(self, channels: list[str]) -> None:
        """Subscribe and wait until Redis confirms each channel: only then is every later
        publish guaranteed to reach this node."""
        loop = asyncio.get_running_loop()
        waits = []
        for ch in channels:
            future = self._confirm.get(ch)
            if future is None or future.done():
                future = loop.create_future()
                self._confirm[ch] = future
            waits.append(future)
        if self.sharded:
            await self._pubsub.ssubscribe(*channels)
        else:
            await self._pubsub.subscribe(*channels)
        async with asyncio.timeout(SUBSCRIBE_TIMEOUT_S):
            await asyncio.gather(*waits)

    async def _read(self) -> None:
        attempt = 0
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
                attempt = 0
                if message is not None:
                    self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis subscription lost: %s", exc)
                await self._close_pubsub()
                attempt = await self._reconnect(attempt)

    async def _reconnect(self, attempt: int) -> int:
        while True:
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            attempt += 1
            try:
                await self._open_pubsub()
                await self._resubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._close_pubsub()
                log.warning("redis reconnect %d failed: %r", attempt, exc)
                continue
            self.reconnects += 1
            self._outage.clear()
            log.warning("redis subscription restored after %d attempts", attempt)
            if self._on_gap is not None:
                self._on_gap()  # events published while we were away are gone
            return 0

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        channel = message.get("channel")
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        if kind in ("message", "smessage"):
            self.received += 1
            if self._handler is not None and name in self._channels:
                self._handler(name.removeprefix(self.prefix), bytes(message["data"]))
        elif kind in ("subscribe", "ssubscribe"):
            future = self._confirm.pop(name, None)
            if future is not None and not future.done():
                future.set_result(None)


def _redis_errors() -> type[Exception]:
    from redis.exceptions import RedisError

    return RedisError
