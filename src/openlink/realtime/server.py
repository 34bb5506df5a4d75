"""Serving on uvicorn with the fast write path for WebSocket fan-out.

The ASGI interface sends every frame through per-connection coroutines and dicts; a
broadcast to thousands of sockets then costs about twice an encode-once write. This
protocol subclass is uvicorn's own sans-I/O WebSocket protocol, unchanged, except that it
lends the app its transport (under the ``openlink.transport`` scope extension) once the
handshake is done, so that the hub can write one pre-encoded frame to many sockets.
Everything else (incoming frames, ping/pong, close) stays uvicorn's, except the close at
server shutdown, which finishes the closing handshake (``shutdown``), and the opening
handshake of a plain upgrade request, which is answered from the request uvicorn's HTTP
parser already read (``upgrade``) instead of websockets parsing its bytes again.
See docs/decisions/0002-websocket-fast-path.md and 0022-connect-cost.md.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from uvicorn.logging import TRACE_LOG_LEVEL
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import ClientDisconnected, get_client_addr, get_path_with_query_string
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import OPEN, Protocol
from websockets.typing import Origin

TRANSPORT_EXTENSION = "openlink.transport"

#: At shutdown, how long a socket waits for the client's Close reply before it is closed.
CLOSE_HANDSHAKE_S = 2.0

#: RFC 6455's constant, appended to the client's key before hashing.
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: A Sec-WebSocket-Key of 16 bytes in base64, the only form a client may send.
_KEY = re.compile(rb"[A-Za-z0-9+/]{22}==")
#: The bytes ``websockets`` reads in a header name (a token) and in a value (stripped of
#: spaces and tabs), and the form of a Connection header it reads as a list of tokens.
_TOKEN = b"-!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = bytes([9, *range(0x20, 0x7F), *range(0x80, 0x100)])
_CONNECTION = re.compile(
    rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+(?:[ \t]*,[ \t]*[-!#$%&'*+.^_`|~0-9a-zA-Z]+)*"
)
#: Well inside ``websockets``' limits (8,192 bytes a line, 128 headers): all the names
#: and all the values together, so that no line can reach it.
_MAX_TARGET = 4096
_MAX_NAMES = 1024
_MAX_VALUES = 7000
_MAX_HEADERS = 100
#: Headers that make ``websockets`` do more than accept: a body, or a subprotocol to parse.
_UNUSUAL = frozenset((b"sec-websocket-protocol", b"transfer-encoding", b"content-length"))


def plain_upgrade_key(
    method: str, url: bytes, headers: list[tuple[bytes, bytes]], *, extensions: bool
) -> bytes | None:
    """The Sec-WebSocket-Key of an upgrade request that ``websockets`` would accept as it
    is, with nothing to negotiate, or None for anything else.

    Narrower than ``websockets``' own checks on purpose: no header twice; Connection a
    plain token list naming ``upgrade``, Upgrade ``websocket``, a Sec-WebSocket-Key of 16
    bytes in base64, Sec-WebSocket-Version 13; no subprotocol offered, no body, no
    extensions when any are available (``extensions``); every header short and of the
    characters ``websockets`` reads. A request outside that goes through ``websockets``
    as before, which answers it (or refuses it) as it always did. ``headers`` are uvicorn's:
    names in lower case, values without trailing spaces.
    """
    if method != "GET" or len(url) > _MAX_TARGET or not url.isascii():
        return None
    fields = dict(headers)
    n = len(fields)
    if n != len(headers) or n > _MAX_HEADERS or b"" in fields:
        return None
    if not fields.keys().isdisjoint(_UNUSUAL):
        return None
    if extensions and b"sec-websocket-extensions" in fields:
        return None
    names = b"\n".join(fields)
    values = b"\n".join(fields.values())
    if (
        len(names) > _MAX_NAMES
        or names.count(b"\n") != n - 1
        or names.translate(None, _TOKEN + b"\n")
    ):
        return None
    if (
        len(values) > _MAX_VALUES
        or values.count(b"\n") != n - 1
        or values.translate(None, _VALUE + b"\n")
    ):
        return None
    if values.startswith((b" ", b"\t")) or b"\n " in values or b"\n\t" in values:
        return None
    key = fields.get(b"sec-websocket-key")
    if key is None or _KEY.fullmatch(key) is None:
        return None
    if fields.get(b"sec-websocket-version") != b"13":
        return None
    upgrade = fields.get(b"upgrade")
    if upgrade is None or upgrade.lower() != b"websocket":
        return None
    connection = fields.get(b"connection")
    if connection is None or _CONNECTION.fullmatch(connection) is None:
        return None
    if b"upgrade" not in [token.strip(b" \t") for token in connection.lower().split(b",")]:
        return None
    return key


def accept_key(key: bytes) -> bytes:
    """The Sec-WebSocket-Accept that answers ``key``."""
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


class FastUpgradeHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, handing an upgrade to the WebSocket protocol as the
    request it parsed (method, target, headers) instead of as bytes to parse again."""

    def handle_websocket_upgrade(self) -> None:
        if self.logger.level <= TRACE_LOG_LEVEL:
            prefix = "{}:{} - ".format(*self.client) if self.client else ""
            self.logger.log(TRACE_LOG_LEVEL, "%sUpgrading to WebSocket", prefix)
        self.connections.discard(self)
        protocol = self.ws_protocol_class(  # type: ignore[call-arg, misc]
            config=self.config, server_state=self.server_state, app_state=self.app_state
        )
        protocol.connection_made(self.transport)
        self.transport.set_protocol(protocol)
        if isinstance(protocol, FastPathWebSocketProtocol):
            protocol.upgrade(self.scope["method"], self.url, self.headers)
        else:
            protocol.data_received(request_bytes(self.scope["method"], self.url, self.headers))


def request_bytes(method: str, url: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The request as uvicorn writes it out again for ``websockets`` to parse."""
    output = [method.encode(), b" ", url, b" HTTP/1.1\r\n"]
    for name, value in headers:
        output += [name, b": ", value, b"\r\n"]
    output.append(b"\r\n")
    return b"".join(output)


class FastPathWebSocketProtocol(WebSocketsSansIOProtocol):
    #: The Sec-WebSocket-Accept of a plain upgrade, until the app accepts or refuses it.
    accept_header: bytes | None = None

    def upgrade(self, method: str, url: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """Take the upgrade request uvicorn's HTTP parser read.

        A plain request (``plain_upgrade_key``) is checked here and goes to the app at
        once; its 101 is written when the app accepts (``send``). ``websockets`` is told
        that the request is read, so that what arrives next is read as frames; it still
        answers a refusal (403 from the app, a 500) as before. Anything else is written out
        and parsed by ``websockets`` as uvicorn does; so is every request while its
        debug log is on, which logs the request and response line by line.
        """
        conn = self.conn
        key = plain_upgrade_key(method, url, headers, extensions=bool(conn.available_extensions))
        if key is None or conn.debug:
            self.data_received(request_bytes(method, url, headers))
            return
        self.accept_header = accept_key(key)
        conn.accept_called = True
        origin = dict(headers).get(b"origin")
        if origin is not None:
            conn.origin = Origin(origin.decode("latin-1"))
        # The request is read: from here ``websockets`` parses frames (Protocol.parse,
        # which ServerProtocol.parse runs once it has read a request).
        conn.parser = Protocol.parse(conn)
        next(conn.parser)
        self.handshake_initiated = True
        raw_path, _, query_string = url.partition(b"?")
        self.scope = {
            "type": "websocket",
            "asgi": {"version": self.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": self.scheme,
            "server": self.server,
            "client": self.client,
            "root_path": self.root_path,
            "path": self.root_path + unquote(raw_path.decode("ascii")),
            "raw_path": self.root_path.encode("ascii") + raw_path,
            "query_string": query_string,
            "headers": list(headers),
            "subprotocols": [],
            "state": self.app_state.copy(),
            "extensions": {"websocket.http.response": {}},
        }
        self._lend_transport()
        self.queue.put_nowait({"type": "websocket.connect"})
        task = self.loop.create_task(self.run_asgi())
        task.add_done_callback(self.on_task_complete)
        self.tasks.add(task)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        if getattr(self, "scope", None) is not None:
            self._lend_transport()

    def _lend_transport(self) -> None:
        self.on_shutdown: list[Callable[[], None]] = []
        self.scope["extensions"][TRANSPORT_EXTENSION] = {
            "transport": self.transport,
            "writable": self.writable,
            # Whoever writes to the transport registers here to stop before our Close.
            "on_shutdown": self.on_shutdown,
        }

    async def send(self, message: Any) -> None:
        if (
            self.accept_header is not None
            and message["type"] == "websocket.accept"
            and not self.handshake_complete
            and self.initial_response is None
        ):
            await self.writable.wait()
            if self.disconnected:
                raise ClientDisconnected()
            self._accept(message)
            return
        await super().send(message)

    def _accept(self, message: Any) -> None:
        """Write the 101 of a plain upgrade: the bytes ``websockets`` would write for it
        (its three headers, then uvicorn's default headers and the app's, the subprotocol
        the app chose), and open the connection."""
        if self.logger.isEnabledFor(logging.INFO):
            self.logger.info(
                '%s - "WebSocket %s" [accepted]',
                get_client_addr(self.scope),
                get_path_with_query_string(self.scope),
            )
        assert self.accept_header is not None
        lines = [
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: ",
            self.accept_header,
            b"\r\n",
        ]
        for name, value in self.default_headers + list(message.get("headers", [])):
            lines += [name.decode("latin-1").lower().encode("latin-1"), b": ", value, b"\r\n"]
        subprotocol = message.get("subprotocol")
        if subprotocol:
            lines += [b"Sec-WebSocket-Protocol: ", subprotocol.encode("latin-1"), b"\r\n"]
        lines.append(b"\r\n")
        self.accept_header = None
        if not self.transport.is_closing():
            self.handshake_complete = True
            self.conn.state = OPEN
            if self.conn.logger.isEnabledFor(logging.INFO):
                self.conn.logger.info("connection open")  # as websockets logs it
            self.transport.write(b"".join(lines))
            self.start_keepalive()

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
        if open_socket and not self.close_sent and self.conn.state is not OPEN:
            # A closing handshake is under way already: the client's Close arrived (and
            # was answered), or a protocol error failed the connection. There is no Close
            # left to send (``websockets`` would refuse one, and an exception here would
            # end uvicorn's shutdown before the app's), only the transport to close.
            self.stop_keepalive()
            if not self.transport.is_closing():
                self.transport.close()
            return
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
