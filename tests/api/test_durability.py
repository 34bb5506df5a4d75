"""A send is acknowledged only once it is on disk: at ``sqlite_synchronous=full`` the
server syncs the WAL once for every commit that arrived while the previous sync ran
(group commit), and neither the ack nor the room's event leaves before that sync."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import json
import signal
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import text

from openlink.store.group_commit import CHECKPOINT_EVERY, GroupCommit
from tests.conftest import IS_POSTGRES, Server
from tests.factories import all_messages, auth, join, make_room, make_user, open_socket
from tests.served import served

pytestmark = pytest.mark.skipif(IS_POSTGRES, reason="group commit is SQLite's")


class Timeline:
    """The server's WAL syncs and what clients received, in the order they happened.

    A sync's ``covers`` are the client_ids committed before it started, read from the
    database file itself: those commits are on disk once it ends."""

    def __init__(self, group: GroupCommit, database: Path) -> None:
        self.entries: list[tuple[str, Any]] = []
        self.gate: threading.Event | None = None
        self.waiting = threading.Event()
        self._group = group
        self._database = database
        self._real_sync = group.sync
        self._real_committed = group.committed
        self.commit_seen = asyncio.Event()
        group.sync = self._sync  # type: ignore[method-assign]
        group.committed = self._committed_hook  # type: ignore[method-assign]

    def _committed_hook(self, callbacks: Any) -> asyncio.Future[None]:
        done = self._real_committed(callbacks)
        self.commit_seen.set()
        return done

    async def wait_committed(self, client_ids: set[str]) -> None:
        """Until all of ``client_ids`` are committed (woken by each commit, no polling)."""
        while not client_ids <= self._committed():
            await self.commit_seen.wait()
            self.commit_seen.clear()

    def _sync(self) -> None:
        covers = self._committed()
        self.entries.append(("sync-start", covers))
        if self.gate is not None:
            self.waiting.set()
            assert self.gate.wait(30), "the test never released the sync"
        assert self._group.wal_path.exists(), "the sync must find the database's WAL"
        self._real_sync()
        self.entries.append(("sync-end", covers))

    def _committed(self) -> set[str]:
        with contextlib.closing(sqlite3.connect(self._database)) as conn:
            rows = conn.execute("SELECT client_id FROM messages WHERE client_id IS NOT NULL")
            return {row[0] for row in rows}

    def durable(self) -> set[str]:
        return set().union(*(covers for kind, covers in self.entries if kind == "sync-end"))

    def received(self, kind: str, client_id: str) -> None:
        assert client_id in self.durable(), f"{kind} for {client_id} before a sync covered it"
        self.entries.append((kind, client_id))


async def member_sockets(client: httpx.AsyncClient, server: Server, n: int) -> tuple[str, list]:
    _, host_token = await make_user(client)
    room = (await make_room(client, host_token))["room"]
    tokens = [host_token]
    for _ in range(n - 1):
        _, token = await make_user(client)
        await join(client, token, room["id"])
        tokens.append(token)
    return room["id"], [await open_socket(server.ws_url, t) for t in tokens]


@pytest.mark.settings(sqlite_synchronous="full")
async def test_acks_and_events_wait_for_a_shared_wal_sync(
    server: Server, client: httpx.AsyncClient
) -> None:
    group = server.app.state.ctx.db.group_commit
    assert group is not None
    assert group.wal_path == (server.settings.data_dir / "openlink.db-wal").resolve()
    room_id, sockets = await member_sockets(client, server, 6)
    timeline = Timeline(group, server.settings.data_dir / "openlink.db")
    timeline.gate = threading.Event()

    async def send(i: int, client_id: str) -> None:
        await sockets[i].send(
            {"op": "send", "room": room_id, "client_id": client_id, "body": client_id}
        )

    async def receive(i: int, expected: set[str]) -> None:
        acked, seen = set(), set()
        while not (expected <= seen):
            event = await sockets[i].recv()
            if event["type"] == "ack":
                timeline.received("ack", event["ref"])
                acked.add(event["ref"])
            elif event["type"] == "message" and event["message"]["kind"] == "text":
                timeline.received("message", event["message"]["body"])
                seen.add(event["message"]["body"])

    first = f"first-{uuid.uuid4().hex}"
    others = [f"m{i}-{uuid.uuid4().hex}" for i in range(1, 6)]
    everything = {first, *others}
    readers = [asyncio.create_task(receive(i, everything)) for i in range(6)]
    await send(0, first)
    # The first send's sync is now held; five more sends commit meanwhile and queue.
    assert await asyncio.to_thread(timeline.waiting.wait, 10)
    for i, client_id in enumerate(others, start=1):
        await send(i, client_id)
    async with asyncio.timeout(10):
        await timeline.wait_committed(everything)  # the writer is not held by the sync
    assert not any(kind in ("ack", "message") for kind, _ in timeline.entries)
    timeline.gate.set()
    async with asyncio.timeout(10):
        await asyncio.gather(*readers)

    syncs = [covers for kind, covers in timeline.entries if kind == "sync-end"]
    assert first in syncs[0] and not (set(others) & syncs[0])
    # One more sync covered the five that committed while the first one ran.
    assert set(others) <= syncs[1]


@pytest.mark.settings(sqlite_synchronous="full")
async def test_checkpoints_run_beside_the_writer(server: Server, client: httpx.AsyncClient) -> None:
    group = server.app.state.ctx.db.group_commit
    room_id, sockets = await member_sockets(client, server, 1)
    await sockets[0].send_many(room_id, [f"m{i}" for i in range(CHECKPOINT_EVERY + 1)])
    await group.close()  # waits for the checkpoint the sends started
    assert group.checkpoints >= 1
    # ... and the server's own connections leave checkpoints to it.
    async with server.app.state.ctx.db.read() as conn:
        assert (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0


@pytest.mark.long
async def test_every_acknowledged_send_survives_a_kill(tmp_path: Path) -> None:
    """kill -9 while six clients send: every send that was acknowledged is stored."""
    acked: set[str] = set()
    enough = asyncio.Event()

    async def send_until_killed(url: str, token: str, room_id: str, i: int) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async with websockets.connect(url) as ws:
                await ws.send(json.dumps({"op": "hello", "token": token}))
                for n in itertools.count():
                    client_id = f"s{i}-{n}"
                    op = {"op": "send", "room": room_id, "client_id": client_id, "body": client_id}
                    await ws.send(json.dumps(op))
                    while (event := json.loads(await ws.recv())).get("ref") != client_id:
                        pass
                    assert event["type"] == "ack", event
                    acked.add(client_id)
                    if len(acked) >= 60:
                        enough.set()

    unlimited = {
        "flood_member_messages": "0",
        "flood_probation_messages": "0",
        "flood_room_messages": "0",
        "signups_per_address": "0",
    }
    async with served(tmp_path, sqlite_synchronous="full", **unlimited) as first:
        async with httpx.AsyncClient(base_url=first.url) as http:
            tokens = [(await make_user(http))[1] for _ in range(6)]
            room_id = (await make_room(http, tokens[0]))["room"]["id"]
            for token in tokens[1:]:
                await join(http, token, room_id)
        senders = [
            asyncio.create_task(send_until_killed(first.ws_url, token, room_id, i))
            for i, token in enumerate(tokens)
        ]
        async with asyncio.timeout(30):
            await enough.wait()
        first.proc.kill()
        async with asyncio.timeout(10):
            await asyncio.gather(*senders)
    assert first.proc.returncode == -signal.SIGKILL

    async with served(tmp_path) as second, httpx.AsyncClient(base_url=second.url) as http:
        stored = {m["body"] for m in await all_messages(http, tokens[0], room_id)}
    assert acked <= stored, sorted(acked - stored)


@pytest.mark.settings(sqlite_synchronous="full")
async def test_a_failed_wal_sync_refuses_writes_with_storage_failed(
    server: Server, client: httpx.AsyncClient
) -> None:
    group = server.app.state.ctx.db.group_commit
    _, host = await make_user(client)
    _, newcomer = await make_user(client)
    room_id = (await make_room(client, host))["room"]["id"]
    socket = await open_socket(server.ws_url, host)

    def broken_disk() -> None:
        raise OSError(errno.EIO, "Input/output error")

    group.sync = broken_disk  # type: ignore[method-assign]
    await socket.send({"op": "send", "room": room_id, "client_id": "lost", "body": "x"})
    refused = await socket.next_event("error")
    assert (refused["code"], refused["ref"]) == ("storage_failed", "lost")
    # Every later write is refused too, even if the disk seems to recover: that fsync
    # would not vouch for what the failed one was writing. Reads go on.
    group.sync = lambda: None  # type: ignore[method-assign]
    response = await client.post(f"/api/rooms/{room_id}/join", json={}, headers=auth(newcomer))
    assert (response.status_code, response.json()["error"]["code"]) == (503, "storage_failed")
    assert (await client.get(f"/api/rooms/{room_id}", headers=auth(host))).status_code == 200
