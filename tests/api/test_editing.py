"""Editing a message passes every check a send passes: automod, probation's link rule and
the first-link warning, time-outs, the flood limits and slow mode; and a message takes
only so many edits (each of which may be translated again)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.test_flow import Room, details, make
from tests.conftest import Server
from tests.factories import all_messages, auth, error_code, expect, open_socket


async def edit(room: Room, token: str, seq: int, body: str) -> httpx.Response:
    return await room.client.patch(
        room.path(f"/messages/{seq}"), json={"body": body}, headers=auth(token)
    )


async def add_rule(room: Room, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "no spam")
    fields.setdefault("kind", "keyword")
    fields.setdefault("patterns", ["spam"])
    fields.setdefault("action", "block")
    response = await room.client.post(
        room.path("/automod/rules"), json=fields, headers=auth(room.host)
    )
    return dict(expect(response, 201))


async def shown(room: Room, token: str, seq: int) -> dict[str, Any]:
    return {m["seq"]: m for m in await all_messages(room.client, token, room.id)}[seq]


async def test_an_edit_that_a_block_rule_refuses_changes_nothing(client: httpx.AsyncClient) -> None:
    room = await make(client)
    await add_rule(room)
    guest, _ = await room.member()
    sent = expect(await room.send(guest, "hello"), 201)

    refused = await edit(room, guest, sent["seq"], "buy SPAM")
    assert error_code(refused, 403) == "automod_blocked"
    assert details(refused) == {"rule": "no spam"}
    assert (await shown(room, guest, sent["seq"]))["body"] == "hello"


async def test_an_edit_that_a_timeout_rule_catches_times_the_sender_out(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    await add_rule(room, name="slurs", patterns=["slur"], action="timeout", timeout_s=600)
    guest, _ = await room.member()
    sent = expect(await room.send(guest, "hello"), 201)

    refused = await edit(room, guest, sent["seq"], "a slur")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)
    assert error_code(await edit(room, guest, sent["seq"], "hi"), 403) == "timed_out"
    assert error_code(await room.send(guest, "hi"), 403) == "timed_out"


async def test_an_edit_that_a_hide_rule_catches_hides_the_message_for_good(
    server: Server, client: httpx.AsyncClient
) -> None:
    room = await make(client)
    await add_rule(room, name="links", kind="regex", patterns=[r"bit\.ly/\w+"], action="hide")
    guest, guest_id = await room.member()
    sent = expect(await room.send(guest, "hello"), 201)
    watcher = await open_socket(server.ws_url, room.host)

    hidden = expect(await edit(room, guest, sent["seq"], "free stuff at bit.ly/abc"), 200)
    assert hidden["hidden"] is True and "body" not in hidden
    live = await watcher.next_message(seq=sent["seq"])
    assert live["change"] == "hidden" and "body" not in live["message"]
    assert "body" not in await shown(room, guest, sent["seq"])
    entry = expect(await client.get(room.path("/audit"), headers=auth(room.host)), 200)["entries"]
    assert (entry[0]["action"], entry[0]["target_seq"], entry[0]["target_member"]) == (
        "automod_hide",
        sent["seq"],
        guest_id,
    )
    # Editing it back to something harmless does not show it again.
    assert error_code(await edit(room, guest, sent["seq"], "hello"), 403) == "message_hidden"
    assert (await shown(room, guest, sent["seq"])).get("hidden") is True


async def test_newcomers_on_probation_cannot_edit_a_link_in(client: httpx.AsyncClient) -> None:
    room = await make(client, probation_s=600)
    guest, _ = await room.member()
    sent = expect(await room.send(guest, "hello"), 201)
    refused = await edit(room, guest, sent["seq"], "see www.example.com")
    assert error_code(refused, 403) == "probation_no_links"
    assert (await shown(room, guest, sent["seq"]))["body"] == "hello"


async def test_a_link_edited_into_a_members_first_message_carries_the_warning(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    guest, _ = await room.member()
    first = expect(await room.send(guest, "hello"), 201)
    second = expect(await room.send(guest, "again"), 201)

    edited = expect(await edit(room, guest, first["seq"], "see https://example.com"), 200)
    assert edited.get("link_warning") is True
    later = expect(await edit(room, guest, second["seq"], "and www.example.org"), 200)
    assert "link_warning" not in later
    # Editing the link out takes the warning away.
    plain = expect(await edit(room, guest, first["seq"], "hello again"), 200)
    assert "link_warning" not in plain
    assert "link_warning" not in await shown(room, guest, first["seq"])


@pytest.mark.settings(flood_member_messages=3, flood_member_window_s=60)
async def test_edits_count_against_the_flood_limit(client: httpx.AsyncClient) -> None:
    room = await make(client)
    guest, _ = await room.member()
    sent = expect(await room.send(guest, "one"), 201)
    expect(await edit(room, guest, sent["seq"], "two"), 200)
    expect(await edit(room, guest, sent["seq"], "three"), 200)
    refused = await edit(room, guest, sent["seq"], "four")
    assert error_code(refused, 429) == "rate_limited"
    assert error_code(await room.send(guest, "five"), 429) == "rate_limited"
    # An edit that changes nothing is not counted, nor refused.
    assert expect(await edit(room, guest, sent["seq"], "three"), 200)["body"] == "three"


async def test_slow_mode_allows_one_edit_per_interval(client: httpx.AsyncClient) -> None:
    room = await make(client, slow_mode_s=60)
    guest, _ = await room.member()
    sent = expect(await room.send(guest, "helo"), 201)
    # The typo fix right after sending passes; chatting by editing does not.
    expect(await edit(room, guest, sent["seq"], "hello"), 200)
    refused = await edit(room, guest, sent["seq"], "how are you?")
    assert error_code(refused, 429) == "slow_mode"
    assert 0 < details(refused)["retry_after_s"] <= 60
    # The host is not slowed down.
    mine = expect(await room.send(room.host, "host"), 201)
    expect(await edit(room, room.host, mine["seq"], "host 1"), 200)
    expect(await edit(room, room.host, mine["seq"], "host 2"), 200)


@pytest.mark.settings(max_edits_per_message=2)
async def test_a_message_takes_only_so_many_edits(client: httpx.AsyncClient) -> None:
    room = await make(client)
    guest, _ = await room.member()
    sent = expect(await room.send(guest, "v0"), 201)
    expect(await edit(room, guest, sent["seq"], "v1"), 200)
    expect(await edit(room, guest, sent["seq"], "v2"), 200)
    refused = await edit(room, guest, sent["seq"], "v3")
    assert error_code(refused, 409) == "edit_limit"
    assert details(refused) == {"max_edits": 2}
    assert (await shown(room, guest, sent["seq"]))["body"] == "v2"
    # Another message has its own allowance.
    other = expect(await room.send(guest, "w0"), 201)
    expect(await edit(room, guest, other["seq"], "w1"), 200)
