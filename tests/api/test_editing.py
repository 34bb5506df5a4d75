"""Editing a message passes every check a send passes: automod, probation's link rule and
the first-link warning, time-outs, the flood limits and slow mode; and a message takes
only so many edits (each of which may be translated again)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import error_code
from tests.factory import InRoom, Room, details, room


async def edit_call(member: InRoom, seq: int, body: str) -> httpx.Response:
    """The raw edit, for the error's details."""
    return await member.room_call("PATCH", f"/messages/{seq}", json={"body": body})


async def add_rule(r: Room, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "no spam")
    fields.setdefault("kind", "keyword")
    fields.setdefault("patterns", ["spam"])
    fields.setdefault("action", "block")
    return dict(await r.host.add_rule(**fields))


async def shown(reader: InRoom, seq: int) -> dict[str, Any]:
    return {m["seq"]: m for m in await reader.messages()}[seq]


async def test_an_edit_that_a_block_rule_refuses_changes_nothing(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r)
    sent = await r.guest.send("hello")

    refused = await edit_call(r.guest, sent["seq"], "buy SPAM")
    assert error_code(refused, 403) == "automod_blocked"
    assert details(refused) == {"rule": "no spam"}
    assert (await shown(r.guest, sent["seq"]))["body"] == "hello"


async def test_an_edit_that_a_timeout_rule_catches_times_the_sender_out(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r, name="slurs", patterns=["slur"], action="timeout", timeout_s=600)
    sent = await r.guest.send("hello")

    refused = await edit_call(r.guest, sent["seq"], "a slur")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)
    assert await r.guest.edit(sent["seq"], "hi", status=403) == "timed_out"
    assert await r.guest.send("hi", status=403) == "timed_out"


async def test_an_edit_that_a_hide_rule_catches_hides_the_message_for_good(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r, name="links", kind="regex", patterns=[r"bit\.ly/\w+"], action="hide")
    sent = await r.guest.send("hello")
    await r.host.connect()

    hidden = await r.guest.edit(sent["seq"], "free stuff at bit.ly/abc")
    assert hidden["hidden"] is True and "body" not in hidden
    live = await r.host.next_message(seq=sent["seq"])
    assert live["change"] == "hidden" and "body" not in live["message"]
    assert "body" not in await shown(r.guest, sent["seq"])
    entry = await r.host.audit()
    assert (entry[0]["action"], entry[0]["target_seq"], entry[0]["target_member"]) == (
        "automod_hide",
        sent["seq"],
        r.guest.id,
    )
    # Editing it back to something harmless does not show it again.
    assert await r.guest.edit(sent["seq"], "hello", status=403) == "message_hidden"
    assert (await shown(r.guest, sent["seq"])).get("hidden") is True


async def test_newcomers_on_probation_cannot_edit_a_link_in(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"], probation_s=600)
    sent = await r.guest.send("hello")
    refused = await r.guest.edit(sent["seq"], "see www.example.com", status=403)
    assert refused == "probation_no_links"
    assert (await shown(r.guest, sent["seq"]))["body"] == "hello"


async def test_a_link_edited_into_a_members_first_message_carries_the_warning(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    first = await r.guest.send("hello")
    second = await r.guest.send("again")

    edited = await r.guest.edit(first["seq"], "see https://example.com")
    assert edited.get("link_warning") is True
    later = await r.guest.edit(second["seq"], "and www.example.org")
    assert "link_warning" not in later
    # Editing the link out takes the warning away.
    plain = await r.guest.edit(first["seq"], "hello again")
    assert "link_warning" not in plain
    assert "link_warning" not in await shown(r.guest, first["seq"])


@pytest.mark.settings(flood_member_messages=3, flood_member_window_s=60)
async def test_edits_count_against_the_flood_limit(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    sent = await r.guest.send("one")
    await r.guest.edit(sent["seq"], "two")
    await r.guest.edit(sent["seq"], "three")
    assert await r.guest.edit(sent["seq"], "four", status=429) == "rate_limited"
    assert await r.guest.send("five", status=429) == "rate_limited"
    # An edit that changes nothing is not counted, nor refused.
    assert (await r.guest.edit(sent["seq"], "three"))["body"] == "three"


async def test_slow_mode_allows_one_edit_per_interval(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"], slow_mode_s=60)
    sent = await r.guest.send("helo")
    # The typo fix right after sending passes; chatting by editing does not.
    await r.guest.edit(sent["seq"], "hello")
    refused = await edit_call(r.guest, sent["seq"], "how are you?")
    assert error_code(refused, 429) == "slow_mode"
    assert 0 < details(refused)["retry_after_s"] <= 60
    # The host is not slowed down.
    mine = await r.host.send("host")
    await r.host.edit(mine["seq"], "host 1")
    await r.host.edit(mine["seq"], "host 2")


@pytest.mark.settings(max_edits_per_message=2)
async def test_a_message_takes_only_so_many_edits(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    sent = await r.guest.send("v0")
    await r.guest.edit(sent["seq"], "v1")
    await r.guest.edit(sent["seq"], "v2")
    refused = await edit_call(r.guest, sent["seq"], "v3")
    assert error_code(refused, 409) == "edit_limit"
    assert details(refused) == {"max_edits": 2}
    assert (await shown(r.guest, sent["seq"]))["body"] == "v2"
    # Another message has its own allowance.
    other = await r.guest.send("w0")
    await r.guest.edit(other["seq"], "w1")
