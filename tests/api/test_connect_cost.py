"""What a socket connect and a resume cost the server: a fixed number of reads, however
many rooms the account is in, with the same ``ready`` the per-room reads gave."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from openlink.store.schema import metadata
from tests.conftest import Server
from tests.factories import (
    Socket,
    auth,
    expect,
    history,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.factory import room

#: A read of one of OpenLink's tables (not the driver's own catalogue queries, which
#: PostgreSQL runs when the pool opens a connection).
_READS_A_TABLE = re.compile(
    r"\b(?:FROM|JOIN)\s+\"?(?:" + "|".join(sorted(metadata.tables)) + r")\b", re.IGNORECASE
)


@contextmanager
def counted_selects(server: Server) -> Iterator[list[str]]:
    """The SELECT statements on OpenLink's tables the server runs inside the block."""
    engine = server.app.state.hub.ctx.db.engine
    sync: Engine = getattr(engine, "sync_engine", engine)
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and _READS_A_TABLE.search(statement):
            seen.append(statement)

    event.listen(sync, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", count)


async def connected(server: Server, token: str, since: dict[str, int] | None = None) -> Socket:
    """A socket that has its ``ready`` and a ``presence`` for every room in it: the
    server has attached every room."""
    sock = await open_socket(server.ws_url, token, since)
    waiting = {r["id"] for r in sock.ready["rooms"]}
    while waiting:
        waiting.discard((await sock.next_event("presence"))["room"])
    return sock


async def five_rooms(client: httpx.AsyncClient) -> tuple[str, str, list[str]]:
    """A host of five rooms and a member of all five, with unread messages (one deleted,
    one hidden), the member's own words, a read marker moved in one room, and tags on
    some rooms (the first among them) but not all."""
    _, host = await make_user(client)
    _, member = await make_user(client)
    rooms = []
    for k in range(5):
        tags = [{"name": f"tag {k} {n}", "category": "hobby"} for n in range(k % 3)]
        tags += [{"name": "shared", "category": "place"}] if k == 0 else []
        room = (await make_room(client, host, name=f"room {k}", tags=tags))["room"]
        await join(client, member, room["link"])
        rooms.append(room["id"])
    for k, rid in enumerate(rooms):
        for n in range(k + 1):
            await send_message(client, host, rid, f"news {n} in room {k}")
    gone = await send_message(client, host, rooms[1], "said too fast")
    expect(
        await client.delete(f"/api/rooms/{rooms[1]}/messages/{gone['seq']}", headers=auth(host)),
        200,
    )
    rude = await send_message(client, host, rooms[2], "rude words")
    expect(
        await client.post(f"/api/rooms/{rooms[2]}/messages/{rude['seq']}/hide", headers=auth(host)),
        200,
    )
    await send_message(client, member, rooms[3], "my own words are not unread")
    top = (await history(client, member, rooms[4]))["messages"][-1]["seq"]
    read = {"seq": top - 2}
    expect(await client.post(f"/api/rooms/{rooms[4]}/read", json=read, headers=auth(member)), 200)
    return host, member, rooms


async def test_ready_lists_every_room_as_the_room_and_history_routes_show_it(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, member, rooms = await five_rooms(client)
    sock = await connected(server, member)
    listed = sock.ready["rooms"]
    assert {r["id"] for r in listed} == set(rooms)
    for view in listed:
        one = expect(await client.get(f"/api/rooms/{view['id']}", headers=auth(member)), 200)
        assert {k: v for k, v in view.items() if k != "last_message"} == one
        newest = (await history(client, member, view["id"], limit=1))["messages"][-1]
        assert view["last_message"] == newest
    unread = {r["id"]: r["unread"] for r in listed}
    # Room k has k + 1 messages from the host; a deleted one is not unread (room 1), a
    # hidden one is (room 2), the member's own words are not (room 3), and room 4 was
    # read up to two before the end.
    assert [unread[rid] for rid in rooms] == [1, 2, 4, 4, 2]
    assert listed[0]["id"] == rooms[3]  # the latest message: the member's own words
    latest = [r["last_message"]["created_at"] for r in listed]
    assert latest == sorted(latest, reverse=True)


# This counts what a connect reads, so nothing else may read meanwhile: with a network broker
# the catch-up and account-recheck loops read the database every few seconds (the in-process
# broker needs neither), and so do the host bot's and the search index's loops.
@pytest.mark.settings(broker="memory", bot_tick_s=3600, search_sync_interval_s=3600)
async def test_connect_and_resume_read_the_same_however_many_rooms(
    server: Server, client: httpx.AsyncClient
) -> None:
    host, busy, rooms = await five_rooms(client)
    _, solo = await make_user(client)
    await join(
        client,
        solo,
        (await client.get(f"/api/rooms/{rooms[0]}", headers=auth(host))).json()["link"],
    )
    watcher = await connected(server, host)  # every room is live on this node

    with counted_selects(server) as one_room:
        await (await connected(server, solo)).close()
    with counted_selects(server) as five:
        sock = await connected(server, busy)
    assert len(five) == len(one_room), five

    # A resume with nothing missed reads no room's stream either.
    since = {r["id"]: r["last_seq"] for r in sock.ready["rooms"]}
    await sock.close()
    with counted_selects(server) as resumed:
        await (await connected(server, busy, since)).close()
    assert len(resumed) == len(one_room), (resumed, one_room)

    # Missed messages are read from the database, in that room only, and replayed.
    missed = await send_message(client, host, rooms[3], "while you were away")
    await watcher.next_message(seq=missed["seq"])  # the node has delivered it
    with counted_selects(server) as behind:
        sock = await connected(server, busy, since)
    assert len(behind) == len(one_room) + 1
    replayed = [e for e in sock.events if e["type"] == "message"]
    assert [e["message"]["seq"] for e in replayed] == [missed["seq"]]


def _as_json(value: Any) -> str:
    """A view as JSON text: ``0`` and ``false`` differ there, not in a Python comparison."""
    return json.dumps(value, sort_keys=True)


async def test_ready_shows_every_kind_of_value_as_the_room_and_history_routes_do(
    server: Server, client: httpx.AsyncClient
) -> None:
    """The room list is made from the driver's values (text timestamps, 0/1 booleans, JSON
    text on SQLite): each kind must come out as the routes that build from domain objects
    show it. A co-host with rights and a time-out, a room with a code, join approval and
    its switches turned, a newest message edited, with a mention and a reaction; a room
    whose newest message is a system line."""
    r = await room(client, ["host", "guest", "other"], roles={"guest": ["kick", "hide"]})
    await r.host.update(join_approval=True, translation_enabled=False, link_previews=False)
    await r.host.time_out(r.guest, 600)
    sent = await r.other.send("hello", mentions=[r.guest.id])
    await r.other.edit(sent["seq"], "hello again")
    await r.host.react(sent["seq"], "👍")
    quiet = await room(client, ["other"])
    await r.guest.join(quiet)  # its newest line is this join, a system line

    sock = await r.guest.connect()
    listed = {view["id"]: view for view in sock.ready["rooms"]}
    assert set(listed) == {r.id, quiet.id}
    for room_id, view in listed.items():
        one = expect(await client.get(f"/api/rooms/{room_id}", headers=r.guest.headers), 200)
        assert _as_json({k: v for k, v in view.items() if k != "last_message"}) == _as_json(one)
        newest = (await history(client, r.guest.token, room_id, limit=1))["messages"][-1]
        assert _as_json(view["last_message"]) == _as_json(newest)
    busy = listed[r.id]
    assert busy["join_approval"] is True and busy["translation_enabled"] is False
    assert busy["me"]["rights"] == ["hide", "kick"] and "timed_out_until" in busy["me"]
    assert busy["last_message"]["reactions"] and busy["last_message"]["mentions"]
    assert "edited_at" in busy["last_message"]
    assert "system" in listed[quiet.id]["last_message"]
