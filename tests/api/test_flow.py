"""Flow control on the send path, as members meet it: slow mode, flood limits, probation,
the mentions cap, time-outs, first-link warnings and hidden messages.

``tests/conftest.py`` turns flood limits and probation off for every other test; the
tests here turn on exactly the limits they check.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from openlink.actions.flow import in_words
from openlink.config import Settings
from tests.factories import error_code, texts
from tests.factory import Member, details, room
from tests.fakes.clock import OffsetClock


async def bodies(reader: Member) -> list[str]:
    return [m["body"] for m in texts(await reader.messages())]


# -- slow mode -------------------------------------------------------------------------


async def test_slow_mode_is_off_or_at_least_ten_seconds(client: httpx.AsyncClient) -> None:
    r = await room(client)
    assert await r.host.update(slow_mode_s=5, status=422) == "invalid_slow_mode"
    assert await r.host.update(slow_mode_s=6 * 3600 + 1, status=422) == "invalid_slow_mode"
    assert (await r.host.update(slow_mode_s=30))["slow_mode_s"] == 30
    assert (await r.host.view())["slow_mode_s"] == 30
    assert (await r.host.update(slow_mode_s=0))["slow_mode_s"] == 0
    # A rejected value left the room as it was.
    assert await r.host.update(slow_mode_s=9, status=422) == "invalid_slow_mode"
    assert (await r.host.view())["slow_mode_s"] == 0


async def test_slow_mode_refuses_a_members_second_message_with_when_to_retry(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest", "other"])
    await r.host.update(slow_mode_s=30)

    first = await r.guest.send("first")
    refused = await r.guest.send_call("second")
    assert error_code(refused, 429) == "slow_mode"
    wait = details(refused)["retry_after_s"]
    assert 0 < wait <= 30
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after == max(1, math.ceil(wait))
    assert 1 <= retry_after <= 30

    # Slow mode is per member: another member still gets their one message in.
    await r.other.send("mine")
    # The refused message was not stored.
    assert await bodies(r.host) == ["first", "mine"]
    assert first["body"] == "first"


async def test_the_host_and_cohosts_are_not_slowed_down(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "cohost", "guest"], roles={"cohost": []})
    await r.host.update(slow_mode_s=60)
    for i in range(3):
        await r.host.send(f"host {i}")
        await r.cohost.send(f"cohost {i}")
    await r.guest.send("one")
    assert await r.guest.send("two", status=429) == "slow_mode"


async def test_retrying_a_message_during_slow_mode_returns_the_original(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.update(slow_mode_s=30)
    first = await r.guest.send("only once", client_id="retry-me")
    again = await r.guest.send("only once", client_id="retry-me", status=200)
    assert again == first
    # Still one message, and a genuinely new one is still refused.
    assert len(texts(await r.host.messages())) == 1
    assert await r.guest.send("new", status=429) == "slow_mode"


async def test_slow_mode_over_the_websocket_is_an_error_frame_for_that_send(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.update(slow_mode_s=30)
    sock = await r.guest.connect()
    ack = await sock.send_and_ack(r.id, "first", client_id="ws-1")
    assert ack["seq"] > 0
    await sock.send({"op": "send", "room": r.id, "client_id": "ws-2", "body": "second"})
    error = await sock.next_event("error")
    assert error["code"] == "slow_mode"
    assert error["ref"] == "ws-2"
    assert error["room"] == r.id
    assert 0 < error["details"]["retry_after_s"] <= 30
    # The socket stays usable, and nothing was stored for the refused send.
    await sock.barrier()
    assert await bodies(r.host) == ["first"]


# -- flood limits ----------------------------------------------------------------------


@pytest.mark.settings(flood_member_messages=3, flood_member_window_s=60)
async def test_a_member_sending_too_fast_is_refused_and_others_are_not(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest", "other"])
    for i in range(3):
        await r.guest.send(f"burst {i}")
    refused = await r.guest.send_call("burst 3")
    assert error_code(refused, 429) == "rate_limited"
    assert 0 < details(refused)["retry_after_s"] <= 60
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another member has their own allowance.
    for i in range(3):
        await r.other.send(f"other {i}")
    sent = await bodies(r.host)
    assert "burst 3" not in sent and len(sent) == 6


@pytest.mark.settings(flood_room_messages=4, flood_room_window_s=60)
async def test_a_busy_room_refuses_messages_from_everyone(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "a", "b"])
    await r.host.send("1")
    await r.a.send("2")
    await r.a.send("3")
    await r.b.send("4")
    for sender in (r.b, r.a, r.host):
        refused = await sender.send_call("5")
        assert error_code(refused, 429) == "room_rate_limited"
        assert details(refused)["retry_after_s"] > 0
    # Another room is not affected.
    elsewhere = await room(client)
    await elsewhere.host.send("calm here")


@pytest.mark.settings(flood_member_messages=2, flood_member_window_s=60)
async def test_a_message_refused_by_slow_mode_does_not_use_up_the_flood_allowance(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.update(slow_mode_s=30)
    await r.guest.send("1")
    for _ in range(3):
        assert await r.guest.send("too soon", status=429) == "slow_mode"
    await r.host.update(slow_mode_s=0)
    # One message of the two allowed is left: the refused ones did not count.
    await r.guest.send("2")
    assert await r.guest.send("3", status=429) == "rate_limited"


@pytest.mark.settings(flood_room_messages=1, flood_room_window_s=1)
async def test_a_message_refused_by_the_room_limit_does_not_start_slow_mode(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.update(slow_mode_s=30)  # writes a system message, not counted
    await r.host.send("fills the room's allowance")
    assert await r.guest.send("refused", status=429) == "room_rate_limited"
    clock.advance(1.1)
    # Had the refused send counted against slow mode, this would be slow_mode.
    await r.guest.send("now")
    assert await r.guest.send("again", status=429) == "slow_mode"


# -- probation -------------------------------------------------------------------------


async def test_newcomers_on_probation_cannot_post_links(client: httpx.AsyncClient) -> None:
    r = await room(client)
    assert (await r.host.update(probation_s=600))["probation_s"] == 600
    guest = await r.add("guest")
    for body in (
        "see https://example.com",
        "www.example.com",
        "go to example.com now",
        "HTTP://EXAMPLE.ORG/x",
    ):
        refused = await guest.send_call(body)
        assert error_code(refused, 403) == "probation_no_links", body
        assert details(refused)["probation_s"] == 600
    await guest.send("plain text is fine, e.g. version 1.2")
    # The host is not on probation, nor is a co-host.
    await r.host.send("rules at https://example.com/rules")
    cohost = await r.add("cohost")
    assert await cohost.send("https://example.com", status=403) == "probation_no_links"
    await r.host.appoint(cohost, [])
    await cohost.send("https://example.com")
    sent = await bodies(r.host)
    assert "www.example.com" not in sent and "see https://example.com" not in sent


async def test_a_refused_link_says_when_links_are_allowed(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"], probation_s=600)
    allowed_at = datetime.fromisoformat(r.guest.data["joined_at"]) + timedelta(seconds=600)

    refused = await r.guest.send_call("see https://example.com")
    assert error_code(refused, 403) == "probation_no_links"
    assert datetime.fromisoformat(details(refused)["allowed_at"]) == allowed_at
    assert 590 < details(refused)["retry_after_s"] <= 600
    assert refused.json()["error"]["message"] == "New members can post links in 10 minutes."

    sock = await r.guest.connect()
    await sock.send({"op": "send", "room": r.id, "client_id": "l-1", "body": "www.example.com"})
    error = await sock.next_event("error")
    assert error["code"] == "probation_no_links" and error["ref"] == "l-1"
    assert datetime.fromisoformat(error["details"]["allowed_at"]) == allowed_at
    assert 0 < error["details"]["retry_after_s"] <= 600


def test_waits_are_said_in_words_rounded_up() -> None:
    assert [in_words(s) for s in (0.2, 1, 59.5, 61, 3_600, 3_601, 86_400 * 3 - 1)] == [
        "in 1 second",
        "in 1 second",
        "in 60 seconds",
        "in 2 minutes",
        "in 60 minutes",
        "in 2 hours",
        "in 3 days",
    ]


async def test_probation_zero_turns_it_off(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"], probation_s=600)
    assert r.data["probation_s"] == 600
    assert await r.guest.send("https://example.com", status=403) == "probation_no_links"
    assert (await r.host.update(probation_s=0))["probation_s"] == 0
    await r.guest.send("https://example.com")
    assert await r.host.update(probation_s=30 * 86_400 + 1, status=422) == "invalid_probation"


@pytest.mark.settings(default_probation_s=600)
async def test_new_rooms_get_the_servers_default_probation(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    assert r.data["probation_s"] == 600
    assert await r.guest.send("www.example.com", status=403) == "probation_no_links"
    await r.guest.send("hello")
    # The host may create a room without probation.
    open_room = await room(client, ["host", "newcomer"], probation_s=0)
    assert open_room.data["probation_s"] == 0
    await open_room.newcomer.send("www.example.com")


@pytest.mark.settings(
    flood_member_messages=10, flood_probation_messages=2, flood_member_window_s=60
)
async def test_newcomers_get_the_lower_flood_limit_while_on_probation(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"], probation_s=600)
    # Refused links do not count against the allowance.
    for _ in range(3):
        assert await r.guest.send("https://x.com", status=403) == "probation_no_links"
    await r.guest.send("1")
    await r.guest.send("2")
    assert await r.guest.send("3", status=429) == "rate_limited"
    # The host, not on probation, has the member limit.
    for i in range(5):
        await r.host.send(f"host {i}")
    # Without probation, a newcomer has the member limit too.
    plain = await room(client, ["host", "newcomer"], probation_s=0)
    for i in range(5):
        await plain.newcomer.send(f"n {i}")


# -- mentions --------------------------------------------------------------------------


@pytest.mark.settings(max_mentions=2)
async def test_a_message_may_mention_only_so_many_members(client: httpx.AsyncClient) -> None:
    r = await room(client, 4)
    ids = [m.id for m in r.members[1:]]
    refused = await r.host.send_call("hey all", mentions=ids)
    assert error_code(refused, 422) == "too_many_mentions"
    assert details(refused)["max_mentions"] == 2
    sent = await r.host.send("hey you two", mentions=ids[:2])
    assert sent["mentions"] == ids[:2]
    # The same member twice is one mention.
    await r.host.send("hey", mentions=[ids[0], ids[0], ids[1]])


# -- time-outs -------------------------------------------------------------------------


async def test_a_timed_out_member_can_read_but_not_write(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    guest = r.guest
    mine = await guest.send("before")
    hosts = await r.host.send("host says")
    await r.host.time_out(guest, 60)
    now = datetime.now(UTC)

    def check(response: httpx.Response) -> None:
        assert error_code(response, 403) == "timed_out"
        until = datetime.fromisoformat(details(response)["until"])
        assert 50 < (until - now).total_seconds() <= 61

    check(await guest.send_call("during"))
    check(await guest.room_call("PATCH", f"/messages/{mine['seq']}", json={"body": "edited"}))
    check(await guest.room_call("PUT", f"/messages/{hosts['seq']}/reactions/👍"))
    sock = await guest.connect()
    await sock.send({"op": "send", "room": r.id, "client_id": "ws-timed", "body": "ws"})
    frame = await sock.next_event("error")
    assert (frame["code"], frame["ref"]) == ("timed_out", "ws-timed")
    assert "until" in frame["details"]

    # Reading still works, and nothing was written.
    page = await guest.history()
    assert [m.get("body") for m in texts(page["messages"])] == ["before", "host says"]
    assert "reactions" not in texts(page["messages"])[1]

    await r.host.end_time_out(guest)
    await guest.send("after")
    edited = await guest.edit(mine["seq"], "edited")
    assert edited["body"] == "edited"
    await guest.react(hosts["seq"], "👍")


# -- link warnings ---------------------------------------------------------------------


async def test_a_members_first_message_with_a_link_carries_a_warning(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest", "other"])
    sock = await r.host.connect()

    first = await r.guest.send("check https://example.com")
    assert first.get("link_warning") is True
    live = await sock.next_message(seq=first["seq"])
    assert live["message"].get("link_warning") is True

    second = await r.guest.send("and www.example.org")
    assert "link_warning" not in second
    live = await sock.next_message(seq=second["seq"])
    assert "link_warning" not in live["message"]

    plain = await r.other.send("no links here")
    assert "link_warning" not in plain
    live = await sock.next_message(seq=plain["seq"])
    assert "link_warning" not in live["message"]

    by_seq = {m["seq"]: m for m in await r.other.messages()}
    assert by_seq[first["seq"]].get("link_warning") is True
    assert "link_warning" not in by_seq[second["seq"]]
    assert "link_warning" not in by_seq[plain["seq"]]
    # Not even for a plain first message.
    assert all("link_warning" not in m for s, m in by_seq.items() if s != first["seq"])


# -- hidden messages -------------------------------------------------------------------


async def test_the_sender_of_a_hidden_message_cannot_edit_it_but_can_delete_it(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest", "other"])
    seq = (await r.guest.send("something rude"))["seq"]
    await r.host.hide(seq)

    assert await r.guest.edit(seq, "nice now", status=403) == "message_hidden"
    for reactor in (r.guest, r.other):
        assert await reactor.react(seq, "👍", status=403) == "message_hidden"
    shown = {m["seq"]: m for m in await r.other.messages()}[seq]
    assert shown.get("hidden") is True and "body" not in shown and "reactions" not in shown

    deleted = await r.guest.delete(seq)
    assert deleted["deleted"] is True
    shown = {m["seq"]: m for m in await r.other.messages()}[seq]
    assert shown.get("deleted") is True


# -- the shipped defaults --------------------------------------------------------------


def test_the_shipped_defaults_are_protective(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("OPENLINK_"):
            monkeypatch.delenv(name)
    s = Settings()
    assert s.flood_member_messages > 0
    assert 0 < s.flood_probation_messages < s.flood_member_messages
    assert s.flood_room_messages >= s.flood_member_messages
    assert s.flood_member_window_s > 0 and s.flood_room_window_s > 0
    assert s.default_probation_s > 0
    assert 0 < s.max_mentions <= 50


async def test_a_time_out_and_probation_end_by_themselves(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client, ["host", "guest"], probation_s=600)
    await r.host.time_out(r.guest, 60)
    clock.advance(55)
    assert await r.guest.send("still quiet?", status=403) == "timed_out"
    clock.advance(6)
    await r.guest.send("back")
    assert await r.guest.send("www.example.com", status=403) == "probation_no_links"
    clock.advance(600 - 61)
    await r.guest.send("www.example.com")
