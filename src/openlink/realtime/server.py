"""Serving on uvicorn with the fast write path for WebSocket fan-out.

The ASGI interface sends every frame through per-connection coroutines and dicts; a
broadcast to thousands of sockets then costs about twice an encode-once write. This
protocol subclass is uvicorn's own sans-I/O WebSocket protocol, unchanged, except that it
lends the app its transport (under the ``openlink.transport`` scope extension) once the
handshake is done, so that the hub can write one pre-encoded frame to many sockets.
Everything else (handshake, incoming frames, ping/pong, close) stays uvicorn's.
See docs/decisions/0002-websocket-fast-path.md.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

TRANSPORT_EXTENSION = "openlink.transport"


class FastPathWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][TRANSPORT_EXTENSION] = {
                "transport": self.transport,
                "writable": self.writable,
            }


class DrainingServer:
    """Mixin for ``uvicorn.Server``: the first SIGTERM drains before stopping.

    Draining: readiness (``/readyz``) answers 503 at once so the load balancer stops
    sending new clients, while everything keeps working for ``drain_s`` seconds; then the
    normal shutdown runs: listeners close, every WebSocket gets close code 1012 (service
    restart: reconnect, to another node, and resume), in-flight requests finish. A send
    whose ack is lost this way is re-sent with its client_id and stored once. A second
    signal, or Ctrl-C, stops without the wait.
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
