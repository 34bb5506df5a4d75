"""Messages: send, edit, delete (tombstones), replies, mentions, reactions, idempotency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.factories import (
    all_messages,
    auth,
    error_code,
    expect,
    history,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
    texts,
)

TOMBSTONE_FIELDS = {"room", "seq", "rev", "kind", "member", "created_at", "deleted", "deleted_at"}


async def room_with_two(client: httpx.AsyncClient) -> tuple[str, str, str, dict[str, Any]]:
    """A room with a host and a member: (room id, host token, member token, member view)."""
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    me = (await join(client, member, room["link"]))["me"]
    return room["id"], host, member, me


async def test_sent_messages_get_increasing_seqs(client: httpx.AsyncClient) -> None:
    rid, host, member, me = await room_with_two(client)
    first = await send_message(client, host, rid, "  hello  ")
    second = await send_message(client, member, rid, "hi there")
    assert first["body"] == "hello"
    assert first["kind"] == "text"
    assert first["rev"] == first["seq"]
    assert second["seq"] > first["seq"]
    assert second["member"] == me["id"]
    page = await history(client, host, rid)
    assert [m["seq"] for m in page["messages"]][-2:] == [first["seq"], second["seq"]]
    assert page["last_seq"] == second["seq"]


async def test_an_edit_changes_the_body_everywhere(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, member, _ = await room_with_two(client)
    sent = await send_message(client, member, rid, "helo")
    watcher = await open_socket(server.ws_url, host)
    path = f"/api/rooms/{rid}/messages/{sent['seq']}"
    edited = expect(await client.patch(path, json={"body": "hello"}, headers=auth(member)), 200)
    assert edited["seq"] == sent["seq"]
    assert edited["body"] == "hello"
    assert edited["rev"] > sent["rev"]
    assert "edited_at" in edited
    event = await watcher.next_event("message")
    assert event["change"] == "edited"
    assert event["message"] == edited
    [stored] = [
        m for m in (await history(client, host, rid))["messages"] if m["seq"] == sent["seq"]
    ]
    assert stored["body"] == "hello"
    # The same text again changes nothing, not even the rev.
    same = expect(await client.patch(path, json={"body": "hello"}, headers=auth(member)), 200)
    assert same["rev"] == edited["rev"]


async def test_only_the_sender_changes_a_message(client: httpx.AsyncClient) -> None:
    rid, host, member, _ = await room_with_two(client)
    sent = await send_message(client, member, rid, "mine")
    path = f"/api/rooms/{rid}/messages/{sent['seq']}"
    response = await client.patch(path, json={"body": "the host's now"}, headers=auth(host))
    assert error_code(response, 403) == "not_sender"
    assert error_code(await client.delete(path, headers=auth(host)), 403) == "not_sender"
    [stored] = [
        m for m in (await history(client, host, rid))["messages"] if m["seq"] == sent["seq"]
    ]
    assert stored["body"] == "mine"


async def test_system_and_missing_messages_cannot_be_edited(client: httpx.AsyncClient) -> None:
    rid, host, _, _ = await room_with_two(client)
    for seq in (1, 999):
        response = await client.patch(
            f"/api/rooms/{rid}/messages/{seq}", json={"body": "x"}, headers=auth(host)
        )
        assert error_code(response, 404) == "message_not_found"


async def test_a_deleted_message_leaves_a_tombstone(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, member, _ = await room_with_two(client)
    parent = await send_message(client, host, rid, "parent")
    secret = "this should not have been sent"
    sent = await send_message(client, member, rid, secret, reply_to=parent["seq"])
    await client.put(f"/api/rooms/{rid}/messages/{sent['seq']}/reactions/😀", headers=auth(host))
    after = await send_message(client, host, rid, "after")
    watcher = await open_socket(server.ws_url, host)

    path = f"/api/rooms/{rid}/messages/{sent['seq']}"
    deleted = expect(await client.delete(path, headers=auth(member)), 200)
    assert deleted["deleted"] is True
    assert set(deleted) == TOMBSTONE_FIELDS
    assert deleted["seq"] == sent["seq"]

    event = await watcher.next_event("message")
    assert event["change"] == "deleted"
    assert event["message"] == deleted
    page = await all_messages(client, host, rid)
    assert [m["seq"] for m in page].count(sent["seq"]) == 1
    [stored] = [m for m in page if m["seq"] == sent["seq"]]
    assert set(stored) == TOMBSTONE_FIELDS
    assert secret not in str(page)
    assert page[-1]["seq"] == after["seq"]

    response = await client.patch(path, json={"body": "again"}, headers=auth(member))
    assert error_code(response, 404) == "message_deleted"
    assert error_code(await client.delete(path, headers=auth(member)), 404) == "message_deleted"
    response = await client.put(f"{path}/reactions/👍", headers=auth(host))
    assert error_code(response, 404) == "message_not_found"


async def test_the_length_limit_is_4096_characters(client: httpx.AsyncClient) -> None:
    rid, host, _, _ = await room_with_two(client)
    longest = await send_message(client, host, rid, "가" * 4096)
    assert len(longest["body"]) == 4096
    err = await send_message(client, host, rid, "가" * 4097, status=413)
    assert err["error"]["code"] == "message_too_long"
    assert err["error"]["details"]["max_chars"] == 4096
    response = await client.patch(
        f"/api/rooms/{rid}/messages/{longest['seq']}", json={"body": "x" * 4097}, headers=auth(host)
    )
    assert error_code(response, 413) == "message_too_long"


@pytest.mark.parametrize("body", ["", "   \n\t "])
async def test_an_empty_message_is_refused(client: httpx.AsyncClient, body: str) -> None:
    rid, host, _, _ = await room_with_two(client)
    err = await send_message(client, host, rid, body, status=422)
    assert err["error"]["code"] == "empty_message"
    assert texts((await history(client, host, rid))["messages"]) == []


async def test_replies_must_point_into_the_room(client: httpx.AsyncClient) -> None:
    rid, host, member, _ = await room_with_two(client)
    parent = await send_message(client, host, rid, "question?")
    reply = await send_message(client, member, rid, "answer", reply_to=parent["seq"])
    assert reply["reply_to"] == parent["seq"]
    err = await send_message(client, member, rid, "to nothing", reply_to=10_000, status=422)
    assert err["error"]["code"] == "reply_not_found"
    _, other = await make_user(client)
    other_room = (await make_room(client, other))["room"]
    await send_message(client, other, other_room["id"], "x")
    elsewhere = await send_message(client, other, other_room["id"], "y")
    err = await send_message(
        client, member, rid, "cross", reply_to=elsewhere["seq"] + 5, status=422
    )
    assert err["error"]["code"] == "reply_not_found"


async def test_mentions_must_be_members_of_the_room(client: httpx.AsyncClient) -> None:
    rid, host, member, me = await room_with_two(client)
    sent = await send_message(client, host, rid, "hey you", mentions=[me["id"], me["id"]])
    assert sent["mentions"] == [me["id"]]
    _, outsider = await make_user(client)
    elsewhere = await make_room(client, outsider)
    for mentioned in ("nosuchmember", elsewhere["me"]["id"]):
        err = await send_message(client, host, rid, "hey", mentions=[mentioned], status=422)
        assert err["error"]["code"] == "mention_not_found"
    await client.post(f"/api/rooms/{rid}/leave", headers=auth(member))
    err = await send_message(client, host, rid, "gone?", mentions=[me["id"]], status=422)
    assert err["error"]["code"] == "mention_not_found"


async def test_reactions_are_counted_and_idempotent(client: httpx.AsyncClient) -> None:
    rid, host, member, _ = await room_with_two(client)
    sent = await send_message(client, host, rid, "react to me")
    path = f"/api/rooms/{rid}/messages/{sent['seq']}/reactions"

    one = expect(await client.put(f"{path}/👍", headers=auth(host)), 200)
    assert one["reactions"] == {"👍": 1}
    again = expect(await client.put(f"{path}/👍", headers=auth(host)), 200)
    assert again["reactions"] == {"👍": 1}
    assert again["rev"] == one["rev"]
    two = expect(await client.put(f"{path}/👍", headers=auth(member)), 200)
    assert two["reactions"] == {"👍": 2}
    hearts = expect(await client.put(f"{path}/❤️", headers=auth(member)), 200)
    assert hearts["reactions"] == {"👍": 2, "❤️": 1}

    [mine] = [
        m for m in (await history(client, member, rid))["messages"] if m["seq"] == sent["seq"]
    ]
    assert sorted(mine["my_reactions"]) == sorted(["👍", "❤️"])

    down = expect(await client.delete(f"{path}/👍", headers=auth(host)), 200)
    assert down["reactions"] == {"👍": 1, "❤️": 1}
    same = expect(await client.delete(f"{path}/👍", headers=auth(host)), 200)
    assert same["reactions"] == {"👍": 1, "❤️": 1}
    assert same["rev"] == down["rev"]
    await client.delete(f"{path}/👍", headers=auth(member))
    last = expect(await client.delete(f"{path}/❤️", headers=auth(member)), 200)
    assert "reactions" not in last


@pytest.mark.parametrize("emoji", ["a", "hello", "%20"])
async def test_a_reaction_must_be_an_emoji(client: httpx.AsyncClient, emoji: str) -> None:
    rid, host, _, _ = await room_with_two(client)
    sent = await send_message(client, host, rid, "x")
    response = await client.put(
        f"/api/rooms/{rid}/messages/{sent['seq']}/reactions/{emoji}", headers=auth(host)
    )
    assert error_code(response, 422) == "invalid_reaction"


async def test_a_retried_send_is_stored_once(client: httpx.AsyncClient) -> None:
    rid, host, _, _ = await room_with_two(client)
    client_id = str(uuid.uuid4())
    path = f"/api/rooms/{rid}/messages"
    first = await client.post(
        path, json={"client_id": client_id, "body": "once"}, headers=auth(host)
    )
    retry = await client.post(
        path, json={"client_id": client_id, "body": "once, edited"}, headers=auth(host)
    )
    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["seq"] == first.json()["seq"]
    assert retry.json()["body"] == "once"
    stored = texts(await all_messages(client, host, rid))
    assert [m["body"] for m in stored] == ["once"]
    # The same client id from another member is another message.
    _, other = await make_user(client)
    await join(client, other, rid)
    theirs = await send_message(client, other, rid, "mine too", client_id=client_id)
    assert theirs["seq"] > first.json()["seq"]


@pytest.mark.parametrize("client_id", ["", "has space", "x" * 65, "ünïcode"])
async def test_a_client_id_is_short_and_plain(client: httpx.AsyncClient, client_id: str) -> None:
    rid, host, _, _ = await room_with_two(client)
    response = await client.post(
        f"/api/rooms/{rid}/messages", json={"client_id": client_id, "body": "x"}, headers=auth(host)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"invalid_client_id", "invalid_input"}


async def test_non_members_cannot_read_or_write(client: httpx.AsyncClient) -> None:
    rid, host, _, _ = await room_with_two(client)
    sent = await send_message(client, host, rid, "members only")
    _, stranger = await make_user(client)
    base = f"/api/rooms/{rid}"
    for method, path, body in (
        ("GET", f"{base}/messages", None),
        ("POST", f"{base}/messages", {"client_id": "c1", "body": "hi"}),
        ("PATCH", f"{base}/messages/{sent['seq']}", {"body": "hi"}),
        ("DELETE", f"{base}/messages/{sent['seq']}", None),
        ("PUT", f"{base}/messages/{sent['seq']}/reactions/👍", None),
        ("POST", f"{base}/read", {"seq": 1}),
        ("GET", f"{base}/members", None),
    ):
        response = await client.request(method, path, json=body, headers=auth(stranger))
        assert error_code(response, 404) == "room_not_found", (method, path)


async def test_a_send_retried_concurrently_is_stored_once(client: httpx.AsyncClient) -> None:
    rid, host, _, _ = await room_with_two(client)
    client_id = str(uuid.uuid4())
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/rooms/{rid}/messages",
                json={"client_id": client_id, "body": "at most once"},
                headers=auth(host),
            )
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["seq"] for r in responses}) == 1
    assert [m["body"] for m in texts(await all_messages(client, host, rid))] == ["at most once"]
