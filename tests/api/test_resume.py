"""Resuming after a dropped connection: nothing lost, nothing twice, final states only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

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


class Reader:
    """A client that keeps a room's messages by seq and its resume point, as the protocol
    tells clients to, and records every text message it was sent."""

    def __init__(self, room_id: str) -> None:
        self.room_id = room_id
        self.since = 0
        self.new_text_seqs: list[int] = []
        self.events: list[dict[str, Any]] = []

    def apply(self, event: dict[str, Any]) -> None:
        if event["type"] != "message" or event["message"]["room"] != self.room_id:
            return
        message = event["message"]
        assert message["rev"] > self.since, f"rev {message['rev']} after {self.since}"
        self.since = message["rev"]
        self.events.append(event)
        if message["kind"] == "text" and event["change"] == "new":
            self.new_text_seqs.append(message["seq"])

    async def read_until(self, sock: Socket, done: Any) -> None:
        while not done():
            self.apply(await sock.recv())


async def last_seq(client: httpx.AsyncClient, token: str, room_id: str) -> int:
    return expect(await client.get(f"/api/rooms/{room_id}", headers=auth(token)), 200)["last_seq"]


async def test_a_dropped_connection_resumes_with_no_gap_and_no_repeat(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, reader_token = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await join(client, reader_token, room["link"])
    sender = await open_socket(server.ws_url, host)
    sock = await open_socket(server.ws_url, reader_token)
    reader = Reader(rid)

    total = 300
    sending = asyncio.create_task(sender.send_many(rid, [f"n{i}" for i in range(total)]))
    await reader.read_until(sock, lambda: len(reader.new_text_seqs) >= 50)
    sock.abort()  # the network drops; the server is not told politely
    dropped_at = reader.since

    # Messages keep coming while the reader is away (polled through the public API).
    async with asyncio.timeout(30):
        while await last_seq(client, host, rid) < dropped_at + 50 and not sending.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    again = await open_socket(server.ws_url, reader_token, since={rid: reader.since})
    seqs = await sending
    await reader.read_until(again, lambda: reader.since >= seqs[-1])
    for event in await again.barrier():  # anything still to come arrives before the pong
        reader.apply(event)

    assert len(seqs) == total
    assert reader.new_text_seqs == seqs  # every seq, in order, once
    assert len(set(reader.new_text_seqs)) == total


async def test_changes_made_while_away_arrive_in_their_final_state(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, reader_token = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await join(client, reader_token, room["link"])
    seen_before = await send_message(client, host, rid, "seen, then edited")
    doomed_before = await send_message(client, host, rid, "seen, then deleted")
    untouched = await send_message(client, host, rid, "seen, never changed")

    sock = await open_socket(server.ws_url, reader_token)
    since = next(r["last_seq"] for r in sock.ready["rooms"] if r["id"] == rid)
    assert since == untouched["seq"]
    await sock.close()

    base = f"/api/rooms/{rid}/messages"
    secret = "the body nobody should see after deletion"
    new_edited = await send_message(client, host, rid, "new, then edited")
    new_deleted = await send_message(client, host, rid, secret)
    new_reacted = await send_message(client, host, rid, "new, then reacted to")
    await client.patch(f"{base}/{seen_before['seq']}", json={"body": "edited"}, headers=auth(host))
    await client.delete(f"{base}/{doomed_before['seq']}", headers=auth(host))
    await client.patch(
        f"{base}/{new_edited['seq']}", json={"body": "edited too"}, headers=auth(host)
    )
    await client.delete(f"{base}/{new_deleted['seq']}", headers=auth(host))
    await client.put(f"{base}/{new_reacted['seq']}/reactions/🎉", headers=auth(reader_token))

    again = await open_socket(server.ws_url, reader_token, since={rid: since})
    replay = [
        e for e in await again.barrier() if e["type"] == "message" and e["message"]["room"] == rid
    ]
    revs = [e["message"]["rev"] for e in replay]
    assert revs == sorted(revs) and len(set(revs)) == len(revs)
    by_seq = {e["message"]["seq"]: e for e in replay}
    assert len(by_seq) == len(replay), "a message was sent twice"
    assert untouched["seq"] not in by_seq  # unchanged since the resume point

    stored = {m["seq"]: m for m in (await history(client, reader_token, rid))["messages"]}
    for seq in (
        seen_before["seq"],
        doomed_before["seq"],
        new_edited["seq"],
        new_deleted["seq"],
        new_reacted["seq"],
    ):
        state = dict(stored[seq])
        state.pop("my_reactions", None)  # HTTP history only
        assert by_seq[seq]["message"] == state
    assert by_seq[seen_before["seq"]]["message"]["body"] == "edited"
    assert by_seq[new_edited["seq"]]["message"]["body"] == "edited too"
    assert by_seq[new_reacted["seq"]]["message"]["reactions"] == {"🎉": 1}
    for seq in (doomed_before["seq"], new_deleted["seq"]):
        assert by_seq[seq]["change"] == "deleted"
        assert by_seq[seq]["message"]["deleted"] is True
        assert "body" not in by_seq[seq]["message"]
    assert secret not in json.dumps(again.events, ensure_ascii=False)


async def test_a_resume_point_above_the_stream_replays_nothing(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    await send_message(client, host, room["id"], "old news")
    sock = await open_socket(server.ws_url, host, since={room["id"]: 10**9})
    assert [e for e in await sock.barrier() if e["type"] == "message"] == []
    sent = await send_message(client, host, room["id"], "fresh")
    event = await sock.next_event("message")
    assert event["message"]["seq"] == sent["seq"]


@pytest.mark.settings(resume_page_size=10)
async def test_a_long_absence_is_replayed_in_pages_without_gaps(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, reader_token = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await join(client, reader_token, room["link"])
    since = await last_seq(client, host, rid)
    sender = await open_socket(server.ws_url, host)
    seqs = await sender.send_many(rid, [f"while away {i}" for i in range(95)])
    for seq in seqs[::7]:  # edits move some messages past page boundaries
        await client.patch(
            f"/api/rooms/{rid}/messages/{seq}", json={"body": "edited"}, headers=auth(host)
        )

    sock = await open_socket(server.ws_url, reader_token, since={rid: since})
    reader = Reader(rid)
    for event in await sock.barrier():
        reader.apply(event)  # asserts revs strictly increase
    assert sorted(e["message"]["seq"] for e in reader.events) == seqs
    assert reader.since == await last_seq(client, host, rid)
    edited = {e["message"]["seq"] for e in reader.events if e["message"]["body"] == "edited"}
    assert edited == set(seqs[::7])
