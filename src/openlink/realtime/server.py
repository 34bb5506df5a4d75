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
