"""A careful chat client for cluster tests: one room, resume by rev, an outbox.

It does what docs/protocol.md asks of a client that must lose nothing ("Resuming",
"Sending with no loss and no duplicates"): it remembers the highest rev it received, and
when its connection drops it connects to the next node round-robin (a refused connection
moves on to the next), says ``since`` = that rev, and resends every unacknowledged message
with the same ``client_id``.

It dedups nothing and reorders nothing: ``received`` is every ``message`` event of the
room in arrival order, across connections, so a duplicate or a gap shows in the tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson

from openlink.bench.wsclient import WSClient

HOST = "127.0.0.1"


async def until(
    condition: Callable[[], bool], what: str | Callable[[], str], timeout_s: float = 30.0
) -> None:
    """Wait for ``condition`` (checked every 10 ms); on timeout fail naming ``what`` (or
    what ``what()`` says then)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout_s} s waiting for {said}")
        await asyncio.sleep(0.01)


@dataclass
class Arrival:
    connection: int
    message: dict[str, Any]


@dataclass
class Member:
    name: str
    token: str
    room_id: str
    ports: list[int]
    home: int
    since: int
    received: list[Arrival] = field(default_factory=list)
    #: client_id -> body, until acknowledged or refused.
    outbox: dict[str, str] = field(default_factory=dict)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)
    #: ``online`` of every presence event for the room, with the connection it came on.
    presence: list[tuple[int, int]] = field(default_factory=list)
    connections: int = 0
    resent: int = 0
    port: int = 0
    link: _Link | None = None
    _task: asyncio.Task[None] | None = None
    _stopping: bool = False

    @property
    def live(self) -> bool:
        return self.link is not None and self.link.live

    @property
    def online(self) -> int | None:
        """The online count this member was told last."""
        return self.presence[-1][1] if self.presence else None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._keep_connected())
        await until(lambda: self.live, f"{self.name} to go live")

    async def stop(self) -> None:
        self._stopping = True
        if self.link is not None:
            self.link.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)

    def send(self, client_id: str, body: str) -> None:
        """Into the outbox; on the wire now if the socket is ready, else after reconnecting."""
        self.outbox[client_id] = body
        if self.link is not None and self.link.ready:
            self.link.send_op(client_id, body)

    async def _keep_connected(self) -> None:
        loop = asyncio.get_running_loop()
        at = self.home
        while not self._stopping:
            port = self.ports[at % len(self.ports)]
            link: _Link | None = None
            try:
                _, link = await loop.create_connection(partial(_Link, self, port), HOST, port)
                await asyncio.wait_for(link.opened, 10)
            except (OSError, TimeoutError):
                if link is not None and link.transport is not None:
                    link.transport.abort()
                at += 1
                await asyncio.sleep(0.05)
                continue
            self.connections += 1
            self.port, self.link = port, link
            await link.done
            self.link = None
            if self._stopping:
                return
            self.closes.append(link.close_code)
            if link.close_code in (4001, 4002):
                return  # the server refused us: a bug to report, not to retry
            at += 1

    # -- events -----------------------------------------------------------------------

    def on_event(self, link: _Link, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "message":
            message = event["message"]
            if message["room"] == self.room_id:
                self.received.append(Arrival(self.connections, message))
                self.since = max(self.since, message["rev"])
        elif kind == "ready":
            link.ready = True
            if self.connections > 1:
                self.resent += len(self.outbox)
            for client_id, body in self.outbox.items():
                link.send_op(client_id, body)
        elif kind == "presence" and event["room"] == self.room_id:
            self.presence.append((self.connections, event["online"]))
            link.live = link.ready
        elif kind == "ack":
            self.acks[event["ref"]] = event
            self.outbox.pop(event["ref"], None)
        elif kind == "error":
            self.errors.append(event)
            self.outbox.pop(event.get("ref") or "", None)


class _Link(WSClient):
    __slots__ = ("live", "member", "ready")

    def __init__(self, member: Member, port: int) -> None:
        super().__init__(HOST, port)
        self.member = member
        self.ready = False
        self.live = False

    def on_open(self) -> None:
        m = self.member
        hello = {"op": "hello", "token": m.token, "since": {m.room_id: m.since}}
        self.send_text(orjson.dumps(hello))

    def on_text(self, payload: bytes, now: float) -> None:
        self.member.on_event(self, orjson.loads(payload))

    def send_op(self, client_id: str, body: str) -> None:
        op = {"op": "send", "room": self.member.room_id, "client_id": client_id, "body": body}
        self.send_text(orjson.dumps(op))
