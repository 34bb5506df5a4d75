"""Small helpers that drive the public API: accounts, rooms, joins, messages, sockets.

A test sets its people up with ``tests/factory.py`` (``room()``, ``user()``), built on these.

They assert the status they expect and return the parsed JSON body, so a test reads as the
story it tells. Every WebSocket event is parsed from the JSON text the server sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import os
import socket
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import update
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidState
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from openlink.store.schema import media as media_table
from openlink.store.schema import media_variants as variants_table

PASSWORD = "correct horse battery"
EVENT_TIMEOUT_S = 5.0
_counter = itertools.count(1)
_open: list[Socket] = []


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else None


async def make_user(
    client: httpx.AsyncClient,
    name: str | None = None,
    *,
    language: str = "en",
    display_name: str | None = None,
    password: str = PASSWORD,
) -> tuple[dict[str, Any], str]:
    """Sign up; returns (the user as /api/me shows it, a bearer token)."""
    n = next(_counter)
    username = name or f"user{n}"
    body = expect(
        await client.post(
            "/api/accounts",
            json={
                "username": username,
                "password": password,
                "display_name": display_name or f"Person {n}",
                "language": language,
            },
        ),
        201,
    )
    return body["user"], body["token"]


async def make_room(
    client: httpx.AsyncClient, token: str, *, status: int = 201, **fields: Any
) -> dict[str, Any]:
    """Create a room; returns ``{"room": ..., "me": ...}`` (``me`` is the host member)."""
    fields.setdefault("name", f"room {next(_counter)}")
    return expect(await client.post("/api/rooms", json=fields, headers=auth(token)), status)


async def join(
    client: httpx.AsyncClient,
    token: str,
    link_or_room: str,
    *,
    profile: dict[str, Any] | None = None,
    code: str | None = None,
    status: int = 200,
) -> dict[str, Any]:
    """Join through a link (``/l/<code>``) or, given a room id, from discovery."""
    body: dict[str, Any] = {}
    if profile is not None:
        body["profile"] = profile
    if code is not None:
        body["code"] = code
    if link_or_room.startswith("/l/"):
        path = f"/api/links/{link_or_room.removeprefix('/l/')}/join"
    else:
        path = f"/api/rooms/{link_or_room}/join"
    return expect(await client.post(path, json=body, headers=auth(token)), status)


async def send_message(
    client: httpx.AsyncClient,
    token: str,
    room_id: str,
    body: str = "hello",
    *,
    client_id: str | None = None,
    status: int = 201,
    **extra: Any,
) -> dict[str, Any]:
    payload = {"client_id": client_id or uuid.uuid4().hex, "body": body, **extra}
    return expect(
        await client.post(f"/api/rooms/{room_id}/messages", json=payload, headers=auth(token)),
        status,
    )


async def history(
    client: httpx.AsyncClient, token: str, room_id: str, **params: Any
) -> dict[str, Any]:
    return expect(
        await client.get(f"/api/rooms/{room_id}/messages", params=params, headers=auth(token)),
        200,
    )


async def all_messages(client: httpx.AsyncClient, token: str, room_id: str) -> list[dict]:
    """Every message in the room, oldest first, read forward page by page."""
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await history(client, token, room_id, after=after, limit=200)
        out.extend(page["messages"])
        if not page["has_more"]:
            return out
        after = out[-1]["seq"]


def texts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["kind"] == "text"]


async def my_rooms(client: httpx.AsyncClient, token: str) -> dict[str, dict[str, Any]]:
    """``GET /api/rooms`` by room id."""
    body = expect(await client.get("/api/rooms", headers=auth(token)), 200)
    return {r["id"]: r for r in body["rooms"]}


def picture(
    size: tuple[int, int] = (64, 32),
    fmt: str = "PNG",
    mode: str = "RGB",
    color: str = "orange",
    **save: Any,
) -> bytes:
    """A small picture file of one colour."""
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


async def upload_picture(client: httpx.AsyncClient, token: str, color: str = "orange") -> str:
    """Upload a picture; returns the instance path avatars and covers are set to."""
    response = await client.post("/api/images", content=picture(color=color), headers=auth(token))
    return str(expect(response, 201)["url"])


def error_code(response: httpx.Response, status: int) -> str:
    """Assert the status and the error shape; returns the error code."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["code"]


def throttled(response: httpx.Response, code: str, window_s: float) -> float:
    """Assert a 429 with ``code`` that says, in its details and ``Retry-After``, to come
    back within ``window_s``; returns ``details.retry_after_s``."""
    assert error_code(response, 429) == code
    wait = response.json()["error"]["details"]["retry_after_s"]
    assert 0 < wait <= window_s
    assert 1 <= int(response.headers["Retry-After"]) <= window_s
    return float(wait)


class Socket:
    """One client WebSocket after its ``ready`` frame."""

    def __init__(self, ws: ClientConnection, ready: dict[str, Any]) -> None:
        self.ws = ws
        self.ready = ready
        #: Every event received, in order, ``ready`` included.
        self.events: list[dict[str, Any]] = [ready]
        self._refs = itertools.count(1)

    async def send(self, op: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(op))

    async def recv(self, timeout: float = EVENT_TIMEOUT_S) -> dict[str, Any]:  # noqa: ASYNC109
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(raw, str), "the server sends text frames only"
        event = json.loads(raw)
        self.events.append(event)
        return event

    async def next_event(
        self,
        type: str | None = None,
        *,
        timeout: float = EVENT_TIMEOUT_S,  # noqa: ASYNC109
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The next event of ``type`` (and matching ``where``); others are skipped."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.recv(timeout=timeout)
                if (type is None or event["type"] == type) and (where is None or where(event)):
                    return event

    async def next_message(
        self,
        *,
        timeout: float = EVENT_TIMEOUT_S,  # noqa: ASYNC109
        **fields: Any,
    ) -> dict[str, Any]:
        """The next ``message`` event whose message has all ``fields``."""

        def match(event: dict[str, Any]) -> bool:
            return all(event["message"].get(k) == v for k, v in fields.items())

        return await self.next_event("message", timeout=timeout, where=match)

    async def barrier(self, timeout: float = EVENT_TIMEOUT_S) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """Ping and wait for the pong: returns the events that arrived before it.

        Anything the server published before the ping was sent is delivered before the
        pong, so this shows what a socket did (not) receive without sleeping.
        """
        ref = f"barrier-{next(self._refs)}"
        await self.send({"op": "ping", "ref": ref})
        seen: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while True:
                event = await self.recv(timeout=timeout)
                if event["type"] == "pong" and event.get("ref") == ref:
                    return seen
                seen.append(event)

    async def send_many(self, room_id: str, bodies: list[str]) -> list[int]:
        """Send every body without waiting in between; returns the acked seqs in order."""
        refs = [uuid.uuid4().hex for _ in bodies]
        for ref, body in zip(refs, bodies, strict=True):
            await self.send({"op": "send", "room": room_id, "client_id": ref, "body": body})
        acks: dict[str, int] = {}
        async with asyncio.timeout(EVENT_TIMEOUT_S + len(bodies) * 0.1):
            while len(acks) < len(refs):
                event = await self.recv(timeout=EVENT_TIMEOUT_S)
                assert event["type"] != "error", event
                if event["type"] == "ack":
                    acks[event["ref"]] = event["seq"]
        return [acks[ref] for ref in refs]

    async def send_and_ack(
        self, room_id: str, body: str, client_id: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        client_id = client_id or uuid.uuid4().hex
        await self.send(
            {"op": "send", "room": room_id, "client_id": client_id, "body": body, **extra}
        )
        return await self.next_event("ack", where=lambda e: e["ref"] == client_id)

    async def closed(self, timeout: float = EVENT_TIMEOUT_S) -> ConnectionClosed:  # noqa: ASYNC109
        """Read until the server closes the socket; returns how it closed."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.recv(timeout=timeout)
        except ConnectionClosed as exc:
            return exc
        raise AssertionError("unreachable")

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (a network failure)."""
        self.ws.transport.abort()

    async def close(self) -> None:
        if self in _open:
            _open.remove(self)
        # A socket the server is closing at that moment is as good as closed: websockets
        # refuses to start a closing handshake of its own then.
        with contextlib.suppress(InvalidState):
            await self.ws.close()


async def connect_ws(url: str) -> ClientConnection:
    return await connect(url, ping_interval=None, max_queue=None, open_timeout=10, close_timeout=2)


async def closed_with(sock: Socket, timeout: float = 5.0) -> tuple[int, str]:  # noqa: ASYNC109
    """The close code and reason the server closed ``sock`` with."""
    closed = await sock.closed(timeout)
    assert closed.rcvd is not None, "the server did not close the socket"
    return closed.rcvd.code, closed.rcvd.reason


async def open_socket(base_url: str, token: str, since: dict[str, int] | None = None) -> Socket:
    """Connect to ``base_url`` (the ``/ws`` URL), say hello, return after ``ready``."""
    ws = await connect_ws(base_url)
    try:
        await ws.send(json.dumps({"op": "hello", "token": token, "since": since or {}}))
        raw = await asyncio.wait_for(ws.recv(), EVENT_TIMEOUT_S)
        ready = json.loads(raw)
        assert ready["type"] == "ready", ready
    except BaseException:
        await ws.close()
        raise
    sock = Socket(ws, ready)
    _open.append(sock)
    return sock


async def close_open_sockets() -> None:
    """Close what a test left open, before its server shuts down."""
    while _open:
        await _open.pop().close()


class StalledSocket:
    """A WebSocket client that says hello and then stops reading, like a frozen device.

    Its kernel receive buffer is made small and its stream reader pauses after 1 KiB, so
    what the server writes soon piles up on the server's side of the connection.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, proto: ClientProtocol
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.proto = proto

    @classmethod
    async def open(cls, ws_url: str, token: str) -> StalledSocket:
        uri = parse_uri(ws_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (uri.host, uri.port))
        except BaseException:
            sock.close()
            raise
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
        proto = ClientProtocol(uri, max_size=None)
        proto.send_request(proto.connect())
        self = cls(reader, writer, proto)
        await self._flush()
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            while proto.state is State.CONNECTING:
                proto.receive_data(await reader.read(1024))
        assert proto.state is State.OPEN, proto.handshake_exc
        proto.events_received()  # the handshake response
        proto.send_text(json.dumps({"op": "hello", "token": token}).encode())
        await self._flush()
        return self

    async def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self.writer.write(data)
        await self.writer.drain()

    async def read_to_close(
        self,
        timeout: float = EVENT_TIMEOUT_S,  # noqa: ASYNC109
    ) -> tuple[int | None, int]:
        """Read everything now; returns (the close code the server sent or None, frames read)."""
        frames = 0
        async with asyncio.timeout(timeout):
            while True:
                data = await self.reader.read(1 << 16)
                if not data:
                    return None, frames
                self.proto.receive_data(data)
                for frame in self.proto.events_received():
                    if frame.opcode is Opcode.CLOSE:
                        assert self.proto.close_rcvd is not None
                        return self.proto.close_rcvd.code, frames
                    frames += 1

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


#: The bytes of a test clip: what matters is that they are served back as they are.
CLIP_VIDEO = os.urandom(50_000)


async def make_video(
    ctx: Any,
    client: httpx.AsyncClient,
    token: str,
    room: str | None = None,
    *,
    duration_ms: int = 15_000,
    state: str = "ready",
    kind: str = "video",
) -> str:
    """An upload of the caller's (to ``room``, or to none), turned into what processing
    makes of a vertical video: tests of clips do not depend on the codecs."""
    params = {"name": "clip.mp4", **({"room": room} if room else {})}
    up = expect(
        await client.post("/api/media", params=params, content=CLIP_VIDEO, headers=auth(token)),
        201,
    )
    async with ctx.db.write() as tx:
        await tx.conn.execute(
            update(media_table)
            .where(media_table.c.id == up["id"])
            .values(
                kind=kind,
                state=state,
                mime="video/mp4",
                width=720,
                height=1280,
                duration_ms=duration_ms,
            )
        )
        await tx.conn.execute(
            update(variants_table)
            .where(variants_table.c.media_id == up["id"])
            .values(name="video", mime="video/mp4", width=720, height=1280)
        )
    return str(up["id"])
