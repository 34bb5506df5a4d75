"""WebSocket frames encoded once and written as the same bytes to every socket.

Server-to-client frames are not masked (RFC 6455 §5.1), so one text frame's bytes are
valid on every connection that negotiated no extension. Compression is off for that
reason (and for memory: a deflate context costs tens of KB per socket).
"""

from __future__ import annotations

import struct
from typing import Any

import orjson


def text_frame(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65_536:
        return b"\x81\x7e" + struct.pack("!H", n) + payload
    return b"\x81\x7f" + struct.pack("!Q", n) + payload


class Frame:
    """One event: its JSON payload and, built on first use, its wire frame."""

    __slots__ = ("_wire", "payload")

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self._wire: bytes | None = None

    @classmethod
    def of(cls, event: dict[str, Any]) -> Frame:
        return cls(orjson.dumps(event))

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = text_frame(self.payload)
        return self._wire
