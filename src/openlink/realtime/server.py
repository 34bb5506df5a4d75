"""Serving on uvicorn with the fast write path for WebSocket fan-out.

The ASGI interface sends every frame through per-connection coroutines and dicts; a
broadcast to thousands of sockets then costs about twice an encode-once write. This
protocol subclass is uvicorn's own sans-I/O WebSocket protocol, unchanged, except that it
lends the app its transport (under the ``openlink.transport`` scope extension) once the
handshake is done, so that the hub can write one pre-encoded frame to many sockets.
Everything else (handshake, incoming frames, ping/pong, close) stays uvicorn's, except the
close at server shutdown, which finishes the closing handshake (``shutdown``).
See docs/decisions/0002-websocket-fast-path.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

TRANSPORT_EXTENSION = "openlink.transport"

#: At shutdown, how long a socket waits for the client's Close reply before it is closed.
CLOSE_HANDSHAKE_S = 2.0


class FastPathWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        self.on_shutdown: list[Callable[[], None]] = []
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][TRANSPORT_EXTENSION] = {
                "transport": self.transport,
                "writable": self.writable,
                # Whoever writes to the transport registers here to stop before our Close.
                "on_shutdown": self.on_shutdown,
            }

    def shutdown(self) -> None:
        """Close with 1012 and finish the closing handshake.

        uvicorn writes its Close frame and closes the transport at once: a frame the
        client sent meanwhile, or its Close reply, then meets a closed socket, the kernel
        answers with a reset, and a client still sending may lose our Close frame and
        see an abnormal closure. Here the connection keeps reading (and discarding) until
        the client's Close arrives, which closes it (``handle_close``), or for
        ``CLOSE_HANDSHAKE_S`` at most.
        """
        open_socket = self.handshake_complete and self.initial_response is None
        if not open_socket or self.transport.is_closing():
            super().shutdown()
            return
        self.stop_keepalive()
        if self.close_timer is not None:  # the app's Close is already out: wait less
            self.close_timer.cancel()
        if not self.close_sent:
            for stop in getattr(self, "on_shutdown", ()):
                stop()
            self.queue.put_nowait({"type": "websocket.disconnect", "code": 1012})
            self.conn.send_close(1012)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(CLOSE_HANDSHAKE_S, self.transport.close)


class DrainingServer:
    """Mixin for ``uvicorn.Server``: the first SIGTERM drains before stopping.

    Draining: readiness (``/readyz``) answers 503 at once so the load balancer stops
    sending new clients, while everything keeps working for ``drain_s`` seconds; then the
    normal shutdown runs: listeners close, every WebSocket gets close code 1012 (service
    restart: reconnect, to another node, and resume) and its closing handshake completes,
    in-flight requests finish. A send whose ack is lost this way is re-sent with its
    client_id and stored once. A second signal, or Ctrl-C, stops without the wait.
    """

    drain_s: float = 0.0
    hub: Any = None
    _drain_until: float | None = None

    def handle_exit(self, sig: int, frame: Any) -> None:
        import signal
        import time

        if sig == signal.SIGTERM and self.drain_s > 0 and self._drain_until is None:
            self._drain_until = time.monotonic() + self.drain_s
            if self.hub is not None:
                self.hub.draining = True
            return
        super().handle_exit(sig, frame)  # type: ignore[misc]

    async def on_tick(self, counter: int) -> bool:
        import time

        if self._drain_until is not None and time.monotonic() >= self._drain_until:
            return True
        return await super().on_tick(counter)  # type: ignore[misc]
