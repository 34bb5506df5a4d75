"""The WebSocket: hello, acks, live fan-out, typing, presence, joined/left, errors."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from openlink.realtime.server import FastPathWebSocketProtocol
from tests.conftest import Server
from tests.factories import (
    PASSWORD,
    Socket,
    auth,
    connect_ws,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.fakes.clock import OffsetClock, until


async def close_code_after(ws_url: str, *frames: str | bytes) -> tuple[list[dict], int]:
    """Send ``frames`` on a fresh socket; returns (the events before the close, its code)."""
    ws = await connect_ws(ws_url)
    events = []
    try:
        for frame in frames:
            await ws.send(frame)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                events.append(json.loads(await ws.recv()))
    finally:
        await ws.close()
    assert closed.value.rcvd is not None, "the server closed without a close frame"
    return events, closed.value.rcvd.code


async def two_members(
    server: Server, client: httpx.AsyncClient
) -> tuple[str, str, str, Socket, Socket]:
    """(room id, host token, member token, host socket, member socket)."""
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, member, room["link"])
    host_sock = await open_socket(server.ws_url, host)
    member_sock = await open_socket(server.ws_url, member)
    return room["id"], host, member, host_sock, member_sock


@pytest.mark.parametrize("token", ["not-a-token", "x" * 150])
async def test_a_bad_token_gets_an_error_then_close_4001(server: Server, token: str) -> None:
    events, code = await close_code_after(
        server.ws_url, json.dumps({"op": "hello", "token": token})
    )
    assert code == 4001
    assert [e["type"] for e in events] == ["error"]
    assert events[0]["code"] == "bad_token"


@pytest.mark.parametrize(
    "first_frame",
    [
        "this is not json",
        json.dumps({"op": "ping"}),
        json.dumps({"op": "hello"}),
        json.dumps({"op": "hello", "token": "t", "extra": 1}),
        json.dumps({"op": "hello", "token": "t", "since": {"room": -1}}),
        b"\x00binary hello",
    ],
    ids=["garbage", "not-hello", "no-token", "unknown-field", "negative-since", "binary"],
)
async def test_no_valid_hello_gets_close_4002(server: Server, first_frame: str | bytes) -> None:
    events, code = await close_code_after(server.ws_url, first_frame)
    assert code == 4002
    assert [(e["type"], e["code"]) for e in events] == [("error", "bad_hello")]


async def test_ready_lists_the_accounts_rooms(server: Server, client: httpx.AsyncClient) -> None:
    user, token = await make_user(client, display_name="Sol")
    rooms = {(await make_room(client, token))["room"]["id"] for _ in range(2)}
    sock = await open_socket(server.ws_url, token)
    assert sock.ready["user"]["id"] == user["id"]
    assert sock.ready["user"]["display_name"] == "Sol"
    assert {r["id"] for r in sock.ready["rooms"]} == rooms
    assert sock.ready["heartbeat_s"] == server.settings.ws_ping_interval_s


async def test_a_send_is_acked_and_fanned_out_live(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, _, host_sock, member_sock = await two_members(server, client)
    client_id = str(uuid.uuid4())
    ack = await member_sock.send_and_ack(rid, "over the socket", client_id=client_id)
    assert ack["ref"] == client_id
    assert ack["room"] == rid
    assert ack["duplicate"] is False
    event = await host_sock.next_message(kind="text")
    assert event["change"] == "new"
    assert event["message"]["seq"] == ack["seq"]
    assert event["message"]["body"] == "over the socket"
    # The sender's own sockets get it too.
    own = await member_sock.next_message(kind="text")
    assert own["message"]["seq"] == ack["seq"]
    # And it is in the history.
    page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(host)), 200)
    assert page["messages"][-1]["seq"] == ack["seq"]


async def test_a_retried_send_over_the_socket_is_a_duplicate(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, _, host_sock, member_sock = await two_members(server, client)
    client_id = str(uuid.uuid4())
    first = await member_sock.send_and_ack(rid, "only once", client_id=client_id)
    again = await member_sock.send_and_ack(rid, "only once", client_id=client_id)
    assert again["seq"] == first["seq"]
    assert again["duplicate"] is True
    # The same client id over HTTP is the same message too.
    retry = await send_message(client, host, rid, "x", client_id=client_id)  # host: another key
    assert retry["seq"] != first["seq"]
    seen = [
        e["message"]["seq"]
        for e in await host_sock.barrier()
        if e["type"] == "message" and e["message"]["kind"] == "text"
    ]
    assert seen == [first["seq"], retry["seq"]]


async def test_a_failed_op_gets_an_error_and_the_socket_stays_open(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, _, _, sock = await two_members(server, client)
    await sock.send({"op": "send", "room": rid, "client_id": "c-long", "body": "x" * 5000})
    err = await sock.next_event("error")
    assert err["code"] == "message_too_long"
    assert err["ref"] == "c-long"
    assert err["room"] == rid
    assert err["details"]["max_chars"] == 4096

    await sock.send({"op": "send", "room": rid, "client_id": "c-nobody"})
    err = await sock.next_event("error")
    assert (err["code"], err["ref"]) == ("invalid_input", "c-nobody")

    await sock.send({"op": "send", "room": "nosuchroom", "client_id": "c-x", "body": "hi"})
    err = await sock.next_event("error")
    assert (err["code"], err["ref"]) == ("room_not_found", "c-x")

    await sock.ws.send("{not json")
    assert (await sock.next_event("error"))["code"] == "invalid_json"
    await sock.send({"op": "dance"})
    assert (await sock.next_event("error"))["code"] == "unknown_op"
    await sock.send({"op": "hello", "token": "again"})
    assert (await sock.next_event("error"))["code"] == "unknown_op"

    ack = await sock.send_and_ack(rid, "still here")
    assert ack["duplicate"] is False


async def test_a_frame_over_1_mib_closes_the_socket_with_1009(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, _, _, sock = await two_members(server, client)
    await sock.send({"op": "send", "room": rid, "client_id": "big", "body": "x" * (1 << 20)})
    closed = await sock.closed()
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1009


async def test_typing_is_relayed_to_the_room(server: Server, client: httpx.AsyncClient) -> None:
    rid, _, member, host_sock, member_sock = await two_members(server, client)
    me = expect(await client.get(f"/api/rooms/{rid}", headers=auth(member)), 200)["me"]
    await member_sock.send({"op": "typing", "room": rid})
    event = await host_sock.next_event("typing")
    assert event == {"type": "typing", "room": rid, "member": me["id"]}
    assert (await member_sock.next_event("typing"))["member"] == me["id"]
    # A second one within 3 seconds is dropped.
    await member_sock.send({"op": "typing", "room": rid})
    await member_sock.barrier()
    assert [e for e in await host_sock.barrier() if e["type"] == "typing"] == []

    await member_sock.send({"op": "typing", "room": "nosuchroom"})
    err = await member_sock.next_event("error")
    assert (err["code"], err["room"]) == ("room_not_found", "nosuchroom")


@pytest.mark.settings(typing_max_members=2)
async def test_typing_is_not_relayed_in_a_large_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, _, host_sock, _ = await two_members(server, client)
    _, third = await make_user(client)
    await join(client, third, rid)
    third_sock = await open_socket(server.ws_url, third)
    await third_sock.send({"op": "typing", "room": rid})
    await third_sock.barrier()
    assert [e for e in await host_sock.barrier() if e["type"] == "typing"] == []


async def test_presence_counts_accounts_online(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await join(client, member, room["link"])
    host_sock = await open_socket(server.ws_url, host)
    first = await host_sock.next_event("presence")
    assert first == {"type": "presence", "room": rid, "online": 1}

    member_sock = await open_socket(server.ws_url, member)
    own = await member_sock.next_event("presence")
    assert own["online"] == 2
    # Others hear of the change (possibly after a repeat of the old count).
    await host_sock.next_event("presence", where=lambda e: e["online"] == 2)
    # A second socket of the same account is not another person.
    extra = await open_socket(server.ws_url, member)
    assert (await extra.next_event("presence"))["online"] == 2
    hub = server.app.state.hub
    for _ in range(3):  # a few presence ticks
        done = hub.presence_ticks
        clock.advance(server.settings.presence_interval_s)
        await until(lambda done=done: hub.presence_ticks > done)
    assert all(e["online"] == 2 for e in await host_sock.barrier() if e["type"] == "presence")
    await extra.close()
    await member_sock.close()
    await host_sock.next_event("presence", where=lambda e: e["online"] == 1)


async def test_a_connect_that_leaves_the_count_unchanged_tells_only_itself(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    """A reconnect (or a second tab) of someone already online sends the count to the new
    socket and not again to everyone in the room: in a large room that repeat was a frame
    per member for every connect."""
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await join(client, member, room["link"])
    hub = server.app.state.hub

    async def ticks(n: int) -> None:
        for _ in range(n):
            done = hub.presence_ticks
            clock.advance(server.settings.presence_interval_s)
            await until(lambda done=done: hub.presence_ticks > done)

    host_sock = await open_socket(server.ws_url, host)
    member_sock = await open_socket(server.ws_url, member)
    await host_sock.next_event("presence", where=lambda e: e["online"] == 2)
    await ticks(2)
    await host_sock.barrier()
    await member_sock.barrier()

    extra = await open_socket(server.ws_url, member)
    assert (await extra.next_event("presence")) == {"type": "presence", "room": rid, "online": 2}
    await ticks(3)
    assert [e for e in await host_sock.barrier() if e["type"] == "presence"] == []
    assert [e for e in await member_sock.barrier() if e["type"] == "presence"] == []
    # A real change still reaches everyone, the new socket included.
    await member_sock.close()
    await extra.close()
    await host_sock.next_event("presence", where=lambda e: e["online"] == 1)


async def test_joining_over_http_brings_the_room_to_open_sockets(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    guest_sock = await open_socket(server.ws_url, guest)
    assert guest_sock.ready["rooms"] == []
    joined_http = await join(client, guest, room["link"])

    joined = await guest_sock.next_event("joined")
    assert joined["room"]["id"] == rid
    assert joined["member"] == joined_http["me"]
    first = await guest_sock.next_event("message")
    assert first["message"]["seq"] == joined["since"] + 1
    assert first["message"]["system"]["event"] == "joined"
    assert (await guest_sock.next_event("presence"))["room"] == rid
    sent = await send_message(client, host, rid, "welcome")
    assert (await guest_sock.next_message(kind="text"))["message"]["seq"] == sent["seq"]


async def test_creating_a_room_brings_it_to_the_creators_sockets(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client)
    sock = await open_socket(server.ws_url, token)
    room = (await make_room(client, token))["room"]
    joined = await sock.next_event("joined")
    assert joined["room"]["id"] == room["id"]
    assert joined["member"]["role"] == "host"
    created = await sock.next_event("message")
    assert created["message"]["system"] == {"event": "created"}


async def test_leaving_stops_the_rooms_events(server: Server, client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    quiet = (await make_room(client, guest))["room"]  # a room the guest stays in
    room = (await make_room(client, host))["room"]
    await join(client, guest, room["link"])
    guest_sock = await open_socket(server.ws_url, guest)
    await guest_sock.barrier()  # both rooms are live (leaving earlier is another test)
    response = await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(guest))
    assert response.status_code == 204
    left = await guest_sock.next_event("left")
    assert left == {"type": "left", "room": room["id"]}

    await send_message(client, host, room["id"], "after you left")
    await send_message(client, guest, quiet["id"], "still here")
    seen = await guest_sock.barrier()
    rooms = [e["message"]["room"] for e in seen if e["type"] == "message"]
    assert rooms == [quiet["id"]]


async def test_the_read_and_ping_ops(server: Server, client: httpx.AsyncClient) -> None:
    rid, host, member, _, member_sock = await two_members(server, client)
    sent = await send_message(client, host, rid, "read me")
    await member_sock.send({"op": "read", "room": rid, "seq": sent["seq"]})
    read = await member_sock.next_event("read")
    assert read == {"type": "read", "room": rid, "seq": sent["seq"]}
    rooms = expect(await client.get("/api/rooms", headers=auth(member)), 200)["rooms"]
    assert [r["unread"] for r in rooms if r["id"] == rid] == [0]
    await member_sock.send({"op": "ping", "ref": "p1"})
    pong = await member_sock.next_event("pong")
    assert pong["ref"] == "p1"
    assert isinstance(pong["t"], float)


async def test_a_hello_cannot_resume_someone_elses_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, owner = await make_user(client)
    _, snoop = await make_user(client)
    private = (await make_room(client, owner, visibility="unlisted"))["room"]
    await send_message(client, owner, private["id"], "private words")
    sock = await open_socket(server.ws_url, snoop, since={private["id"]: 0})
    seen = await sock.barrier()
    assert all(e.get("room") != private["id"] for e in seen)
    assert "private words" not in json.dumps(seen)
    await sock.send({"op": "send", "room": private["id"], "client_id": "c1", "body": "hi"})
    assert (await sock.next_event("error"))["code"] == "room_not_found"


async def test_a_silent_client_is_closed_with_4002(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openlink.realtime import gateway

    monkeypatch.setattr(gateway, "HELLO_TIMEOUT_S", 0.2)  # instead of waiting 10 seconds
    events, code = await close_code_after(server.ws_url)
    assert code == 4002
    assert [(e["type"], e["code"]) for e in events] == [("error", "bad_hello")]


async def test_concurrent_senders_reach_every_socket_once_in_order(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    senders = [await open_socket(server.ws_url, host)]
    for _ in range(2):
        _, token = await make_user(client)
        await join(client, token, room["link"])
        senders.append(await open_socket(server.ws_url, token))
    _, watcher_token = await make_user(client)
    await join(client, watcher_token, room["link"])
    watcher = await open_socket(server.ws_url, watcher_token)

    batches = await asyncio.gather(
        *(s.send_many(rid, [f"{i}:{n}" for n in range(40)]) for i, s in enumerate(senders))
    )
    sent = sorted(seq for batch in batches for seq in batch)
    assert len(set(sent)) == 120
    for batch in batches:
        assert batch == sorted(batch)  # one sender's messages keep its order

    def new_texts(sock: Socket) -> list[int]:
        return [
            e["message"]["seq"]
            for e in sock.events
            if e["type"] == "message" and e["message"]["kind"] == "text" and e["change"] == "new"
        ]

    for sock in (watcher, *senders):
        async with asyncio.timeout(10):
            while sent[-1] not in new_texts(sock):
                await sock.recv()
        assert new_texts(sock) == sent


async def test_signing_out_closes_the_sockets_of_that_token(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client, "ari")
    other = expect(
        await client.post("/api/sessions", json={"username": "ari", "password": PASSWORD}), 200
    )["token"]
    room = (await make_room(client, token))["room"]
    doomed = await open_socket(server.ws_url, token)
    kept = await open_socket(server.ws_url, other)
    response = await client.delete("/api/sessions/current", headers=auth(token))
    assert response.status_code == 204
    closed = await doomed.closed()
    assert closed.rcvd is not None and closed.rcvd.code == 4001
    sent = await send_message(client, other, room["id"], "still connected")
    assert (await kept.next_message(kind="text"))["message"]["seq"] == sent["seq"]


async def test_a_room_left_while_connecting_is_not_carried(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    left_room = (await make_room(client, host))["room"]
    await join(client, guest, left_room["link"])
    # Many rooms with newer activity: the socket attaches them first, one after another.
    helper = await open_socket(server.ws_url, guest)
    busy = [(await make_room(client, guest))["room"]["id"] for _ in range(40)]
    for rid in busy:
        await helper.send_many(rid, ["a", "b", "c"])
    await helper.close()

    sock = await open_socket(server.ws_url, guest, since=dict.fromkeys(busy, 0))
    response = await client.post(f"/api/rooms/{left_room['id']}/leave", headers=auth(guest))
    assert response.status_code == 204
    await send_message(client, host, left_room["id"], "after you left")
    seen = await sock.barrier()  # ops wait until every room has caught up
    assert {"type": "left", "room": left_room["id"]} in seen
    leaked = [
        e for e in seen if e["type"] == "message" and e["message"].get("body") == "after you left"
    ]
    assert leaked == []


async def test_an_out_of_range_reply_is_an_error_frame_not_a_dead_socket(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, _, _, sock = await two_members(server, client)
    await sock.send(
        {"op": "send", "room": rid, "client_id": "c-huge", "body": "x", "reply_to": 2**63}
    )
    err = await sock.next_event("error")
    assert err["ref"] == "c-huge"
    assert (await sock.send_and_ack(rid, "still here"))["duplicate"] is False


async def test_a_socket_closing_when_the_server_stops_does_not_stop_the_shutdown(
    server: Server, client: httpx.AsyncClient
) -> None:
    """uvicorn's shutdown closes each connection it still holds, one after the other, and
    runs the app's own shutdown after them. A client whose Close the server has just read
    and answered is one of them until its connection ends: closing it again must neither
    raise (which ended the shutdown there, the app's included) nor send a second Close."""
    _, token = await make_user(client)
    sock = await open_socket(server.ws_url, token)
    [conn] = [
        c
        for c in server.uvicorn.server_state.connections
        if isinstance(c, FastPathWebSocketProtocol)
    ]
    # The client's Close, written at the wire level so that the test holds the server's
    # connection object while its closing handshake is under way.
    sock.ws.protocol.send_close(1000)
    sock.ws.transport.write(b"".join(sock.ws.protocol.data_to_send()))
    await until(lambda: conn.conn.state is not State.OPEN)
    conn.shutdown()  # what uvicorn's shutdown does to each connection
    closed = await sock.closed()
    assert closed.rcvd is not None and closed.rcvd.code == 1000  # its own Close, answered once
