"""A lean asyncio WebSocket client (RFC 6455) for load generation.

A general client library spends more per received frame than the server spends sending
it, and a fan-out benchmark receives N frames for each one sent: the load generator then
measures itself. This client does only what the benchmark needs, on ``asyncio.Protocol``:

* the opening handshake by hand (``Sec-WebSocket-Key``, a ``101`` and its
  ``Sec-WebSocket-Accept`` checked), no extensions, no subprotocols;
* masked client frames (text, pong, close);
* server frames parsed incrementally from whatever chunks arrive (7-bit, 16-bit and 64-bit
  lengths, fragments, ping -> pong, close -> echo and hang up).

Every complete text message goes to :meth:`WSClient.on_text` as ``bytes`` together with
the ``time.perf_counter()`` taken once when its chunk arrived. Subclasses override the
``on_*`` hooks; the per-frame path is a few integer reads and one call.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import socket
import time
from typing import cast

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HANDSHAKE_BYTES = 64 << 10

OP_CONT = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


class HandshakeError(ConnectionError):
    """The server did not switch protocols (status other than 101, or a bad accept key)."""


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR ``payload`` with the repeated 4-byte ``key`` (one big-int operation)."""
    n = len(payload)
    if n == 0:
        return b""
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65_536:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + mask(payload, key)


class WSClient(asyncio.Protocol):
    """One client WebSocket. Create it with ``loop.create_connection(lambda: C(...), h, p)``.

    ``opened`` resolves when the server answered 101; ``done`` when the TCP connection is
    gone. Both are futures on the running loop.
    """

    __slots__ = (
        "_buf",
        "_close_sent",
        "_frag",
        "_frag_op",
        "_handshake",
        "_key",
        "_request",
        "close_code",
        "close_reason",
        "done",
        "opened",
        "transport",
    )

    def __init__(self, host: str, port: int, path: str = "/ws") -> None:
        loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self._key = base64.b64encode(os.urandom(16))
        self._request = (
            f"GET {path} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n"
        ).encode()
        self._handshake: bytearray | None = bytearray()
        self._buf = b""
        self._frag: list[bytes] | None = None
        self._frag_op = OP_TEXT
        self._close_sent = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.opened: asyncio.Future[None] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()

    # -- hooks ------------------------------------------------------------------------

    def on_open(self) -> None:
        """The handshake succeeded: the socket is ready for :meth:`send_text`."""

    def on_text(self, payload: bytes, now: float) -> None:
        """A complete text message arrived (``now`` is ``time.perf_counter()``)."""

    def on_binary(self, payload: bytes, now: float) -> None:
        """A complete binary message arrived."""

    def on_close(self, code: int | None, reason: str) -> None:
        """The server closed the WebSocket (or the connection dropped: ``code`` None)."""

    # -- sending ----------------------------------------------------------------------

    def send_text(self, payload: bytes) -> None:
        """Send ``payload`` (UTF-8 JSON, say) as one masked text frame."""
        transport = self.transport
        if transport is not None and not self._close_sent:
            transport.write(client_frame(OP_TEXT, payload))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake and hang up (the write buffer is flushed first)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not self._close_sent and self._handshake is None:
            self._close_sent = True
            transport.write(client_frame(OP_CLOSE, code.to_bytes(2, "big") + reason.encode()))
        transport.close()

    # -- asyncio.Protocol -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionResetError("closed during handshake"))
        elif self.close_code is None and not self._close_sent:
            self.on_close(None, str(exc or "connection lost"))
        if not self.done.done():
            self.done.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._handshake is not None:
            rest = self._read_handshake(data)
            if rest is None:
                return
            data = rest
        if self._buf:
            data = self._buf + data
            self._buf = b""
        now = time.perf_counter()
        n = len(data)
        pos = 0
        on_text = self.on_text
        while n - pos >= 2:
            first = data[pos]
            length = data[pos + 1]
            if length < 126:
                start = pos + 2
            elif length == 126:
                if n - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                start = pos + 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                start = pos + 10
            else:  # the mask bit: servers must not mask
                self._fail(1002, "masked server frame")
                return
            end = start + length
            if end > n:
                break
            pos = end
            if first == 0x81:  # final text frame: the hot path
                on_text(data[start:end], now)
            else:
                self._other_frame(first, data[start:end], now)
                if self._close_sent:
                    return
        if pos < n:
            self._buf = data[pos:]

    def eof_received(self) -> bool | None:
        return None  # let the transport close itself

    # -- internals --------------------------------------------------------------------

    def _read_handshake(self, data: bytes) -> bytes | None:
        buf = self._handshake
        assert buf is not None
        buf += data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HANDSHAKE_BYTES:
                self._abort(HandshakeError("handshake response too large"))
            return None
        head = bytes(buf[:end]).decode("latin-1")
        rest = bytes(buf[end + 4 :])
        self._handshake = None
        status_line, *header_lines = head.split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[1] != "101":
            self._abort(HandshakeError(f"expected 101 Switching Protocols, got {status_line!r}"))
            return None
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("sec-websocket-accept", "").encode() != accept_key(self._key):
            self._abort(HandshakeError("wrong Sec-WebSocket-Accept"))
            return None
        self.opened.set_result(None)
        self.on_open()
        return rest

    def _abort(self, exc: Exception) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, code: int, reason: str) -> None:
        self.close_code = code
        self.close_reason = reason
        self.close(code, reason)
        self.on_close(code, reason)

    def _other_frame(self, first: int, payload: bytes, now: float) -> None:
        opcode = first & 0x0F
        fin = first & 0x80
        if opcode == OP_PING:
            if self.transport is not None and not self._close_sent:
                self.transport.write(client_frame(OP_PONG, payload))
        elif opcode == OP_PONG:
            pass
        elif opcode == OP_CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.close_code = code
            self.close_reason = payload[2:].decode("utf-8", "replace")
            transport = self.transport
            if transport is not None and not self._close_sent:
                self._close_sent = True
                echo = payload[:2] if code != 1005 else b""
                transport.write(client_frame(OP_CLOSE, echo))
                transport.close()
            self._close_sent = True
            self.on_close(code, self.close_reason)
        elif opcode in (OP_TEXT, OP_BINARY):
            if fin:
                self._deliver(opcode, payload, now)
            else:
                self._frag = [payload]
                self._frag_op = opcode
        elif opcode == OP_CONT:
            if self._frag is None:
                self._fail(1002, "continuation without a start")
                return
            self._frag.append(payload)
            if fin:
                whole = b"".join(self._frag)
                self._frag = None
                self._deliver(self._frag_op, whole, now)
        else:
            self._fail(1002, f"unknown opcode {opcode}")

    def _deliver(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == OP_TEXT:
            self.on_text(payload, now)
        else:
            self.on_binary(payload, now)


__all__ = ["HandshakeError", "WSClient", "accept_key", "client_frame", "mask"]
