"""SIGTERM drains a real ``openlink serve`` process: readiness fails at once while chat
keeps working, then every socket is told to reconnect elsewhere (1012), the closing
handshake completes, and the process exits cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from tests.factories import EVENT_TIMEOUT_S, auth
from tests.served import Served, served

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals")


async def sign_up(http: httpx.AsyncClient, username: str) -> str:
    signup = await http.post(
        "/api/accounts",
        json={
            "username": username,
            "password": "a-long-password",
            "display_name": username,
            "language": "en",
        },
    )
    assert signup.status_code == 201, signup.text
    return str(signup.json()["token"])


async def test_sigterm_drains_then_closes_sockets_with_1012(tmp_path: Path) -> None:
    async with (
        served(tmp_path, drain_s="1.5", log_format="json") as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        token = await sign_up(http, "drainee")
        async with websockets.connect(server.ws_url) as ws:
            await ws.send(json.dumps({"op": "hello", "token": token}))
            assert json.loads(await ws.recv())["type"] == "ready"

            server.proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(5):
                while (await http.get("/readyz")).status_code != 503:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            # Still serving while draining.
            assert (await http.get("/healthz")).status_code == 200
            await ws.send(json.dumps({"op": "ping", "ref": "still-here"}))
            assert json.loads(await ws.recv())["type"] == "pong"

            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    while True:
                        await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
        assert server.proc.wait(timeout=20) == 0
        first = next(line for line in server.log_path.read_text().splitlines() if line[:1] == "{")
        assert {"ts", "level", "logger", "msg"} <= json.loads(first).keys()


class Sender:
    """A client that sends one message after another, at the wire level (websockets'
    sans-I/O protocol over a plain stream), so that the test decides what it writes when
    the server's Close arrives: one more message, then its Close reply."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.proto = ClientProtocol(parse_uri("ws://openlink/ws"), max_size=None)
        self.acks = 0
        #: Every byte the server sent, handshake response included.
        self.received = bytearray()

    @classmethod
    async def open(cls, server: Served, token: str) -> Sender:
        self = cls(*await asyncio.open_connection("127.0.0.1", server.port))
        self.proto.send_request(self.proto.connect())
        await self.flush()
        async with asyncio.timeout(EVENT_TIMEOUT_S):
            while self.proto.state is State.CONNECTING:
                await self.read()
            self.proto.send_text(json.dumps({"op": "hello", "token": token}).encode())
            await self.flush()
            while not any(isinstance(e, Frame) for e in self.proto.events_received()):
                await self.read()
        return self

    async def read(self) -> bytes:
        data = await self.reader.read(1 << 16)
        self.received += data
        self.proto.receive_data(data)
        return data

    async def flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self.writer.write(data)
        await self.writer.drain()

    def queue_send(self, room_id: str, n: int) -> None:
        op = {"op": "send", "room": room_id, "client_id": f"c{n}", "body": f"m{n}"}
        self.proto.send_text(json.dumps(op).encode())

    async def send_until_closed(self, room_id: str) -> int:
        """Send continuously; return the close code the server sent, once the server
        ended the TCP connection after the closing handshake (a reset raises)."""
        n = 0
        while self.proto.close_rcvd is None:
            # One more message, written before this client looks at what arrived: when
            # the server's Close arrives, this one is in flight.
            self.queue_send(room_id, n)
            n += 1
            await self.flush()
            assert await self.read(), "the server closed the connection without a Close"
            for frame in self.proto.events_received():
                if frame.opcode is Opcode.TEXT and json.loads(frame.data)["type"] == "ack":
                    self.acks += 1
        await self.flush()  # our Close reply
        while await self.read():
            pass
        return self.proto.close_rcvd.code

    def opcodes(self) -> list[Opcode]:
        """The opcodes of every frame the server sent, in order."""
        data = bytes(self.received)
        i = data.index(b"\r\n\r\n") + 4
        found = []
        while i < len(data):
            found.append(Opcode(data[i] & 0x0F))
            size, i = data[i + 1] & 0x7F, i + 2
            if size >= 126:
                width = 2 if size == 126 else 8
                size, i = int.from_bytes(data[i : i + width], "big"), i + width
            i += size
        return found


async def test_clients_sending_through_the_drain_get_1012_and_a_clean_close(
    tmp_path: Path,
) -> None:
    async with (
        served(tmp_path, drain_s="0.5") as server,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        tokens = [await sign_up(http, f"sender{i}") for i in range(6)]
        created = await http.post("/api/rooms", json={"name": "busy"}, headers=auth(tokens[0]))
        room_id = created.json()["room"]["id"]
        for token in tokens[1:]:
            joined = await http.post(f"/api/rooms/{room_id}/join", json={}, headers=auth(token))
            assert joined.status_code == 200, joined.text
        senders = [await Sender.open(server, token) for token in tokens]
        try:
            sending = [asyncio.create_task(s.send_until_closed(room_id)) for s in senders]
            server.proc.send_signal(signal.SIGTERM)
            # A reset (ConnectionResetError) or a missing Close frame fails here.
            async with asyncio.timeout(20):
                codes = await asyncio.gather(*sending)
        finally:
            for s in senders:
                s.writer.close()

        assert codes == [1012] * len(senders)
        assert all(s.acks > 0 for s in senders), "every client was sending during the drain"
        # The server's Close frame is the last thing it wrote.
        assert all(s.opcodes()[-1] is Opcode.CLOSE for s in senders)
        assert all(s.opcodes().count(Opcode.CLOSE) == 1 for s in senders)
        assert server.proc.wait(timeout=20) == 0
