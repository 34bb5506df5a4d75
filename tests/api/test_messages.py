"""Messages: send, edit, delete (tombstones), replies, mentions, reactions, idempotency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.factories import error_code, texts
from tests.factory import Room, room, user

TOMBSTONE_FIELDS = {"room", "seq", "rev", "kind", "member", "created_at", "deleted", "deleted_at"}


async def room_with_two(client: httpx.AsyncClient) -> Room:
    """A room with a host and a member."""
    return await room(client, ["host", "member"])


def find(messages: list[dict[str, Any]], seq: int) -> dict[str, Any]:
    [found] = [m for m in messages if m["seq"] == seq]
    return found


async def test_sent_messages_get_increasing_seqs(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    first = await r.host.send("  hello  ")
    second = await r.member.send("hi there")
    assert first["body"] == "hello"
    assert first["kind"] == "text"
    assert first["rev"] == first["seq"]
    assert second["seq"] > first["seq"]
    assert second["member"] == r.member.id
    page = await r.host.history()
    assert [m["seq"] for m in page["messages"]][-2:] == [first["seq"], second["seq"]]
    assert page["last_seq"] == second["seq"]


async def test_an_edit_changes_the_body_everywhere(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    sent = await r.member.send("helo")
    watcher = await r.host.connect()
    edited = await r.member.edit(sent["seq"], "hello")
    assert edited["seq"] == sent["seq"]
    assert edited["body"] == "hello"
    assert edited["rev"] > sent["rev"]
    assert "edited_at" in edited
    event = await watcher.next_event("message")
    assert event["change"] == "edited"
    assert event["message"] == edited
    stored = find((await r.host.history())["messages"], sent["seq"])
    assert stored["body"] == "hello"
    # The same text again changes nothing, not even the rev.
    same = await r.member.edit(sent["seq"], "hello")
    assert same["rev"] == edited["rev"]


async def test_only_the_sender_changes_a_message(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    sent = await r.member.send("mine")
    assert await r.host.edit(sent["seq"], "the host's now", status=403) == "not_sender"
    assert await r.host.delete(sent["seq"], status=403) == "not_sender"
    stored = find((await r.host.history())["messages"], sent["seq"])
    assert stored["body"] == "mine"


async def test_system_and_missing_messages_cannot_be_edited(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    for seq in (1, 999):
        assert await r.host.edit(seq, "x", status=404) == "message_not_found"


async def test_a_deleted_message_leaves_a_tombstone(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    parent = await r.host.send("parent")
    secret = "this should not have been sent"
    sent = await r.member.send(secret, reply_to=parent["seq"])
    await r.host.react(sent["seq"], "😀")
    after = await r.host.send("after")
    watcher = await r.host.connect()

    deleted = await r.member.delete(sent["seq"])
    assert deleted["deleted"] is True
    assert set(deleted) == TOMBSTONE_FIELDS
    assert deleted["seq"] == sent["seq"]

    event = await watcher.next_event("message")
    assert event["change"] == "deleted"
    assert event["message"] == deleted
    page = await r.host.messages()
    assert [m["seq"] for m in page].count(sent["seq"]) == 1
    assert set(find(page, sent["seq"])) == TOMBSTONE_FIELDS
    assert secret not in str(page)
    assert page[-1]["seq"] == after["seq"]

    assert await r.member.edit(sent["seq"], "again", status=404) == "message_deleted"
    assert await r.member.delete(sent["seq"], status=404) == "message_deleted"
    assert await r.host.react(sent["seq"], "👍", status=404) == "message_not_found"


async def test_the_length_limit_is_4096_characters(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    longest = await r.host.send("가" * 4096)
    assert len(longest["body"]) == 4096
    err = await r.host.send_call("가" * 4097)
    assert error_code(err, 413) == "message_too_long"
    assert err.json()["error"]["details"]["max_chars"] == 4096
    assert await r.host.edit(longest["seq"], "x" * 4097, status=413) == "message_too_long"


@pytest.mark.parametrize("body", ["", "   \n\t "])
async def test_an_empty_message_is_refused(client: httpx.AsyncClient, body: str) -> None:
    r = await room_with_two(client)
    assert await r.host.send(body, status=422) == "empty_message"
    assert texts((await r.host.history())["messages"]) == []


async def test_replies_must_point_into_the_room(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    parent = await r.host.send("question?")
    reply = await r.member.send("answer", reply_to=parent["seq"])
    assert reply["reply_to"] == parent["seq"]
    assert await r.member.send("to nothing", reply_to=10_000, status=422) == "reply_not_found"
    other_room = await room(client)
    await other_room.host.send("x")
    elsewhere = await other_room.host.send("y")
    refused = await r.member.send("cross", reply_to=elsewhere["seq"] + 5, status=422)
    assert refused == "reply_not_found"


async def test_mentions_must_be_members_of_the_room(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    me = r.member
    sent = await r.host.send("hey you", mentions=[me.id, me.id])
    assert sent["mentions"] == [me.id]
    elsewhere = await room(client)
    for mentioned in ("nosuchmember", elsewhere.host.id):
        refused = await r.host.send("hey", mentions=[mentioned], status=422)
        assert refused == "mention_not_found"
    await me.leave()
    assert await r.host.send("gone?", mentions=[me.id], status=422) == "mention_not_found"


async def test_reactions_are_counted_and_idempotent(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    host, member = r.host, r.member
    seq = (await host.send("react to me"))["seq"]

    one = await host.react(seq, "👍")
    assert one["reactions"] == {"👍": 1}
    again = await host.react(seq, "👍")
    assert again["reactions"] == {"👍": 1}
    assert again["rev"] == one["rev"]
    two = await member.react(seq, "👍")
    assert two["reactions"] == {"👍": 2}
    hearts = await member.react(seq, "❤️")
    assert hearts["reactions"] == {"👍": 2, "❤️": 1}

    mine = find((await member.history())["messages"], seq)
    assert sorted(mine["my_reactions"]) == sorted(["👍", "❤️"])

    down = await host.unreact(seq, "👍")
    assert down["reactions"] == {"👍": 1, "❤️": 1}
    same = await host.unreact(seq, "👍")
    assert same["reactions"] == {"👍": 1, "❤️": 1}
    assert same["rev"] == down["rev"]
    await member.unreact(seq, "👍")
    last = await member.unreact(seq, "❤️")
    assert "reactions" not in last


@pytest.mark.parametrize("emoji", ["a", "hello", "%20"])
async def test_a_reaction_must_be_an_emoji(client: httpx.AsyncClient, emoji: str) -> None:
    r = await room_with_two(client)
    sent = await r.host.send("x")
    assert await r.host.react(sent["seq"], emoji, status=422) == "invalid_reaction"


async def test_a_retried_send_is_stored_once(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    client_id = str(uuid.uuid4())
    first = await r.host.send_call("once", client_id=client_id)
    retry = await r.host.send_call("once, edited", client_id=client_id)
    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["seq"] == first.json()["seq"]
    assert retry.json()["body"] == "once"
    stored = texts(await r.host.messages())
    assert [m["body"] for m in stored] == ["once"]
    # The same client id from another member is another message.
    other = await user(client)
    await other.join(r.id)
    theirs = await other.at(r).send("mine too", client_id=client_id)
    assert theirs["seq"] > first.json()["seq"]


@pytest.mark.parametrize("client_id", ["", "has space", "x" * 65, "ünïcode"])
async def test_a_client_id_is_short_and_plain(client: httpx.AsyncClient, client_id: str) -> None:
    r = await room_with_two(client)
    response = await r.host.room_call(
        "POST", "/messages", json={"client_id": client_id, "body": "x"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"invalid_client_id", "invalid_input"}


async def test_non_members_cannot_read_or_write(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    sent = await r.host.send("members only")
    stranger = await r.outsider()
    for method, rest, body in (
        ("GET", "/messages", None),
        ("POST", "/messages", {"client_id": "c1", "body": "hi"}),
        ("PATCH", f"/messages/{sent['seq']}", {"body": "hi"}),
        ("DELETE", f"/messages/{sent['seq']}", None),
        ("PUT", f"/messages/{sent['seq']}/reactions/👍", None),
        ("POST", "/read", {"seq": 1}),
        ("GET", "/members", None),
    ):
        response = await stranger.room_call(method, rest, json=body)
        assert error_code(response, 404) == "room_not_found", (method, rest)


async def test_a_send_retried_concurrently_is_stored_once(client: httpx.AsyncClient) -> None:
    r = await room_with_two(client)
    client_id = str(uuid.uuid4())
    responses = await asyncio.gather(
        *(r.host.send_call("at most once", client_id=client_id) for _ in range(4))
    )
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 201]
    assert len({response.json()["seq"] for response in responses}) == 1
    assert [m["body"] for m in texts(await r.host.messages())] == ["at most once"]
