"""The WebSocket opening handshake on the wire: what a client's upgrade request gets back.

Written against the raw socket, so that a request no WebSocket library would send (a bad
key, the wrong version, a header twice) reaches the server as it is. A malformed upgrade
gets a 4xx, never a 500, and never a socket.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json

import httpx
import pytest

from tests.conftest import Server
from tests.factories import EVENT_TIMEOUT_S, make_user

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
#: RFC 6455's example: the answer to ``KEY``.
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def upgrade(
    path: str = "/ws",
    *,
    method: str = "GET",
    drop: tuple[str, ...] = (),
    extra: tuple[tuple[str, str], ...] = (),
    **values: str,
) -> bytes:
    """A browser's upgrade request; ``values`` replace headers (``sec_websocket_key=...``),
    ``drop`` leaves some out, ``extra`` adds lines as they are (repeats included)."""
    headers = {
        "Host": "openlink.test",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Version": "13",
        "Origin": "https://openlink.test",
        "User-Agent": "handshake-test",
    }
    for name, value in values.items():
        headers[
            "-".join(p.capitalize() for p in name.split("_")).replace("Websocket", "WebSocket")
        ] = value
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k not in drop]
    lines += [f"{k}: {v}" for k, v in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Answer:
    def __init__(self, head: bytes, rest: bytes) -> None:
        status_line, *lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split(" ")[1])
        self.headers: dict[str, list[str]] = {}
        for line in lines:
            name, _, value = line.partition(":")
            self.headers.setdefault(name.strip().lower(), []).append(value.strip())
        self.rest = rest

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        assert values is None or len(values) == 1, values
        return values[0] if values else None


async def exchange(
    server: Server, request: bytes
) -> tuple[Answer, asyncio.StreamReader, asyncio.StreamWriter]:
    port = int(server.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    async with asyncio.timeout(EVENT_TIMEOUT_S):
        head = await reader.readuntil(b"\r\n\r\n")
    return Answer(head[:-4], b""), reader, writer


async def refused(server: Server, request: bytes) -> Answer:
    """The answer to ``request``, which must end the connection after its body."""
    answer, reader, writer = await exchange(server, request)
    try:
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            answer.rest = await reader.read()  # to the end: the server closes
    finally:
        writer.close()
    length = answer.header("content-length")
    assert length is not None and int(length) == len(answer.rest)
    return answer


async def test_an_upgrade_is_answered_with_101_and_the_key_s_accept(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client)
    answer, reader, writer = await exchange(server, upgrade())
    try:
        assert answer.status == 101
        assert answer.header("upgrade") == "websocket"
        assert answer.header("connection") == "Upgrade"
        assert answer.header("sec-websocket-accept") == ACCEPT
        # Nothing negotiated (no compression, no subprotocol), uvicorn's usual two.
        assert set(answer.headers) == {
            "upgrade",
            "connection",
            "sec-websocket-accept",
            "date",
            "server",
        }
        # The socket is open: a hello (masked, as a client's frames are) gets ready.
        hello = json.dumps({"op": "hello", "token": token}).encode()
        assert len(hello) < 126
        mask = b"\x01\x02\x03\x04"
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(hello))
        writer.write(bytes([0x81, 0x80 | len(hello)]) + mask + masked)
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            first, second = await reader.readexactly(2)
            assert first == 0x81
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(await reader.readexactly(2))
            elif length == 127:
                length = int.from_bytes(await reader.readexactly(8))
            ready = json.loads(await reader.readexactly(length))
        assert ready["type"] == "ready"
    finally:
        writer.close()


def accept_of(key: str) -> str:
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


@pytest.mark.parametrize(
    "request_bytes",
    [
        upgrade(connection="keep-alive, Upgrade"),  # Firefox
        upgrade(upgrade="WebSocket"),
        upgrade(origin="https://elsewhere.example"),  # the token, not the origin, decides
        upgrade(drop=("Origin",)),
        # Offered, never taken: no compression, no subprotocol.
        upgrade(sec_websocket_extensions="permessage-deflate; client_max_window_bits"),
        upgrade(sec_websocket_protocol="chat, superchat"),
        upgrade(sec_websocket_extensions=";;;"),  # not parsed: no extension is offered
        upgrade(path="/ws?since=1"),
        upgrade(path="/w%73"),
        upgrade(user_agent="caf\xe9"),
        upgrade(content_length="0"),
        upgrade(extra=(("Connection", "Upgrade"),)),
    ],
    ids=[
        "keep-alive-upgrade",
        "mixed-case",
        "other-origin",
        "no-origin",
        "deflate",
        "protocol",
        "extensions-malformed",
        "query",
        "escaped-path",
        "latin-1-header",
        "empty-body",
        "connection-twice",
    ],
)
async def test_browsers_variants_of_the_upgrade_are_accepted(
    server: Server, request_bytes: bytes
) -> None:
    answer, _, writer = await exchange(server, request_bytes)
    writer.close()
    assert answer.status == 101
    assert answer.header("sec-websocket-accept") == ACCEPT
    assert answer.header("sec-websocket-extensions") is None
    assert answer.header("sec-websocket-protocol") is None


async def test_each_key_gets_its_own_accept(server: Server) -> None:
    key = base64.b64encode(bytes(range(16))).decode()
    answer, _, writer = await exchange(server, upgrade(sec_websocket_key=key))
    writer.close()
    assert answer.status == 101
    assert answer.header("sec-websocket-accept") == accept_of(key)


BAD = {
    "key-not-base64": (upgrade(sec_websocket_key="not base64 at all!!!!!=="), 400),
    "key-too-short": (upgrade(sec_websocket_key=base64.b64encode(b"12345678").decode()), 400),
    "key-too-long": (upgrade(sec_websocket_key=base64.b64encode(bytes(17)).decode()), 400),
    "key-missing": (upgrade(drop=("Sec-WebSocket-Key",)), 400),
    "key-twice": (upgrade(extra=(("Sec-WebSocket-Key", KEY),)), 400),
    "version-8": (upgrade(sec_websocket_version="8"), 400),
    "version-missing": (upgrade(drop=("Sec-WebSocket-Version",)), 400),
    "version-twice": (upgrade(extra=(("Sec-WebSocket-Version", "13"),)), 400),
    "origin-twice": (upgrade(extra=(("Origin", "https://elsewhere.example"),)), 400),
    "protocol-malformed": (upgrade(sec_websocket_protocol="chat;v=1"), 400),
    "protocol-empty": (upgrade(sec_websocket_protocol=""), 400),
    "upgrade-twice": (upgrade(extra=(("Upgrade", "websocket"),)), 426),
    "post": (upgrade(method="POST"), 405),
    "body": (upgrade(content_length="3") + b"abc", 400),
    "chunked": (upgrade(transfer_encoding="chunked") + b"0\r\n\r\n", 400),
    "header-too-long": (upgrade(x_long="a" * 9000), 431),
    "too-many-headers": (upgrade(extra=tuple((f"X-H{i}", "v") for i in range(130))), 431),
    "other-path": (upgrade(path="/api/rooms"), 403),
}


@pytest.mark.parametrize(("request_bytes", "status"), BAD.values(), ids=BAD.keys())
async def test_a_malformed_upgrade_gets_a_4xx_and_no_socket(
    server: Server, request_bytes: bytes, status: int
) -> None:
    answer = await refused(server, request_bytes)
    assert answer.status == status
    assert answer.header("connection") == "close"
    assert answer.header("sec-websocket-accept") is None
    if status == 405:
        assert answer.header("allow") == "GET"
