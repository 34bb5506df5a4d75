"""A client's socket as the hub sees it: ``send`` never blocks and never queues unboundedly.

Two ways to write, chosen per socket by the gateway:

* ``TransportConn`` writes pre-encoded frames straight to the socket's transport (the
  server's write buffer *is* the outbound queue, capped at ``max_bytes``).
* ``QueueConn`` is the portable path for any ASGI server: a bounded queue and a writer task.

A socket that falls ``max_bytes`` behind is closed with ``CLOSE_RESUME``: the client
reconnects and resumes from its last rev, losing nothing, and the server's memory stays
bounded whatever the client does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from openlink.clock import Timer
from openlink.realtime.frames import Frame

#: Close codes the protocol defines (docs/protocol.md).
CLOSE_RESUME = 4000  # you fell behind: reconnect and resume
CLOSE_AUTH = 4001  # no valid token
CLOSE_PROTOCOL = 4002  # hello missing or malformed

#: Starts closing the socket with (code, reason) and returns at once: the gateway's closer
#: runs the close as a task under the supervisor.
Closer = Callable[[int, str], None]


class Conn:
    """Base: identity, membership bookkeeping and the close path."""

    __slots__ = (
        "_closer",
        "access_rev",
        "closed",
        "expiry",
        "held_user_events",
        "language",
        "ready",
        "rooms",
        "sizes",
        "token_hash",
        "typing_at",
        "user_id",
    )

    def __init__(self, user_id: int, closer: Closer, token_hash: str = "") -> None:
        self.user_id = user_id
        self.token_hash = token_hash
        #: Until ``ready`` went out, account events wait here, so none precedes it.
        self.ready = False
        self.held_user_events: list[tuple[dict[str, Any], bytes]] = []
        self.rooms: dict[str, str] = {}  # room id -> this account's member id there
        self.sizes: dict[str, int] = {}  # room id -> member count when last seen
        self.typing_at: dict[str, float] = {}
        #: The account's reading language (primary subtag): which translations it gets.
        self.language: str | None = None
        self.closed = False
        self._closer = closer
        #: The account's ``access_rev`` this socket's token and rooms are known to match.
        self.access_rev = 0
        #: Closes the socket when its token expires.
        self.expiry: Timer | None = None

    def send(self, frame: Frame) -> None:
        raise NotImplementedError

    def send_batch(self, frames: list[Frame], wire: bytes) -> None:
        """Send several frames; ``wire`` is their wire bytes joined, for one write."""
        for frame in frames:
            self.send(frame)

    async def drain(self) -> None:
        """Wait until the outbound buffer is low again (used while catching up)."""

    def cork(self) -> None:
        """Hold what is sent until :meth:`uncork`, to leave in one write: a connect's
        ``ready`` and its rooms' first frames cost one system call, not one each. Corks
        nest: writing resumes at the last ``uncork``."""

    def uncork(self) -> None:
        """Undo one :meth:`cork`; at the last, write what was held, in order."""

    def kill(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._closer(code, reason)


def _cut(transport: asyncio.WriteTransport) -> None:
    if not transport.is_closing() or transport.get_write_buffer_size():
        transport.abort()


#: How long a socket told to close may keep its unsent backlog before it is cut.
CLOSE_GRACE_S = 5.0


def close_frame(code: int, reason: str) -> bytes:
    payload = code.to_bytes(2, "big") + reason.encode()[:123]
    return bytes((0x88, len(payload))) + payload


#: A corked socket writes what it holds once it holds this much.
CORK_BYTES = 65_536


class TransportConn(Conn):
    __slots__ = ("_corked", "_corked_bytes", "_corks", "_transport", "_writable", "max_bytes")

    def __init__(
        self,
        user_id: int,
        closer: Closer,
        transport: asyncio.WriteTransport,
        writable: asyncio.Event | None,
        max_bytes: int,
        token_hash: str = "",
    ) -> None:
        super().__init__(user_id, closer, token_hash)
        self._transport = transport
        self._writable = writable
        self.max_bytes = max_bytes
        self._corked: list[bytes] | None = None
        self._corked_bytes = 0
        self._corks = 0

    def send(self, frame: Frame) -> None:
        self._write(frame.wire)

    def send_batch(self, frames: list[Frame], wire: bytes) -> None:
        self._write(wire)

    def cork(self) -> None:
        self._corks += 1
        if self._corked is None:
            self._corked = []

    def uncork(self) -> None:
        self._corks = max(0, self._corks - 1)
        if self._corks == 0:
            self._release()
            self._corked = None

    def _release(self) -> None:
        corked = self._corked
        if corked:
            self._corked, self._corked_bytes = [], 0
            self._put(corked[0] if len(corked) == 1 else b"".join(corked))

    def _write(self, wire: bytes) -> None:
        if self.closed:
            return
        corked = self._corked
        if corked is None:
            self._put(wire)
            return
        corked.append(wire)
        self._corked_bytes += len(wire)
        if self._corked_bytes >= CORK_BYTES:
            self._release()

    def _put(self, wire: bytes) -> None:
        transport = self._transport
        if transport.is_closing():
            self.closed = True
            return
        transport.write(wire)
        if transport.get_write_buffer_size() > self.max_bytes:
            self.kill(CLOSE_RESUME, "outbound queue full: reconnect and resume")

    def kill(self, code: int, reason: str) -> None:
        """Queue a close frame behind the backlog, and cut the connection if the client
        has not read its way to it within ``CLOSE_GRACE_S``.

        Closing through the ASGI server would wait for the write buffer to drain, which a
        reader that stopped reading never lets happen; the buffer is freed here either way.
        """
        if self.closed:
            return
        self._release()  # what was sent before the close goes out before it
        self._corked = None
        if self.closed:  # that write found the socket closing, or over its limit
            return
        self.closed = True
        transport = self._transport
        if transport.is_closing():
            return
        transport.write(close_frame(code, reason))
        asyncio.get_running_loop().call_later(CLOSE_GRACE_S, _cut, transport)

    def stop_writing(self) -> None:
        """The server closes this socket itself (it wrote its own Close frame, at
        shutdown): nothing may follow that frame."""
        self.closed = True

    async def drain(self) -> None:
        self._release()
        if self._writable is not None and not self.closed:
            try:
                await asyncio.wait_for(self._writable.wait(), timeout=30)
            except TimeoutError:
                self.kill(CLOSE_RESUME, "outbound queue stalled: reconnect and resume")


class QueueConn(Conn):
    __slots__ = ("_low", "_queue", "_size", "max_bytes")

    def __init__(self, user_id: int, closer: Closer, max_bytes: int, token_hash: str = "") -> None:
        super().__init__(user_id, closer, token_hash)
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._size = 0
        self._low = asyncio.Event()
        self._low.set()
        self.max_bytes = max_bytes

    def send(self, frame: Frame) -> None:
        if self.closed:
            return
        self._size += len(frame.payload)
        if self._size > self.max_bytes:
            self.kill(CLOSE_RESUME, "outbound queue full: reconnect and resume")
            return
        self._queue.put_nowait(frame.payload)
        if self._size > self.max_bytes // 2:
            self._low.clear()

    async def run_writer(self, send_text: Callable[[str], Awaitable[None]]) -> None:
        while (payload := await self._queue.get()) is not None:
            await send_text(payload.decode())
            self._size -= len(payload)
            if self._size <= self.max_bytes // 2:
                self._low.set()

    def stop_writer(self) -> None:
        self._queue.put_nowait(None)

    async def drain(self) -> None:
        await self._low.wait()
