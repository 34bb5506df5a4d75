"""Flow control on the send path, as members meet it: slow mode, flood limits, probation,
the mentions cap, time-outs, first-link warnings and hidden messages.

``tests/conftest.py`` turns flood limits and probation off for every other test; the
tests here turn on exactly the limits they check.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from openlink.actions.flow import in_words
from openlink.config import Settings
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
    texts,
)
from tests.fakes.clock import OffsetClock


class Room:
    """A room with its host and helpers to add members and post as them."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def setup(self, **fields: Any) -> Room:
        _, self.host = await make_user(self.client)
        created = await make_room(self.client, self.host, **fields)
        self.room = created["room"]
        self.id, self.link, self.host_id = self.room["id"], self.room["link"], created["me"]["id"]
        return self

    async def member(self) -> tuple[str, str]:
        """A new account that joins; returns (token, member id)."""
        _, token = await make_user(self.client)
        return token, (await join(self.client, token, self.link))["me"]["id"]

    def path(self, rest: str = "") -> str:
        return f"/api/rooms/{self.id}{rest}"

    async def patch(self, token: str | None = None, **fields: Any) -> httpx.Response:
        return await self.client.patch(self.path(), json=fields, headers=auth(token or self.host))

    async def send(self, token: str, body: str = "hello", **kw: Any) -> httpx.Response:
        payload = {"client_id": kw.pop("client_id", None) or uuid.uuid4().hex, "body": body, **kw}
        return await self.client.post(self.path("/messages"), json=payload, headers=auth(token))

    async def appoint(self, member_id: str, rights: list[str]) -> None:
        expect(
            await self.client.put(
                self.path(f"/cohosts/{member_id}"), json={"rights": rights}, headers=auth(self.host)
            ),
            200,
        )


async def make(client: httpx.AsyncClient, **fields: Any) -> Room:
    return await Room(client).setup(**fields)


def details(response: httpx.Response) -> dict[str, Any]:
    return dict(response.json()["error"].get("details") or {})


# -- slow mode -------------------------------------------------------------------------


async def test_slow_mode_is_off_or_at_least_ten_seconds(client: httpx.AsyncClient) -> None:
    room = await make(client)
    assert error_code(await room.patch(slow_mode_s=5), 422) == "invalid_slow_mode"
    assert error_code(await room.patch(slow_mode_s=6 * 3600 + 1), 422) == "invalid_slow_mode"
    assert expect(await room.patch(slow_mode_s=30), 200)["slow_mode_s"] == 30
    fetched = expect(await client.get(room.path(), headers=auth(room.host)), 200)
    assert fetched["slow_mode_s"] == 30
    assert expect(await room.patch(slow_mode_s=0), 200)["slow_mode_s"] == 0
    # A rejected value left the room as it was.
    assert error_code(await room.patch(slow_mode_s=9), 422) == "invalid_slow_mode"
    fetched = expect(await client.get(room.path(), headers=auth(room.host)), 200)
    assert fetched["slow_mode_s"] == 0


async def test_slow_mode_refuses_a_members_second_message_with_when_to_retry(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    expect(await room.patch(slow_mode_s=30), 200)
    guest, _ = await room.member()
    other, _ = await room.member()

    first = expect(await room.send(guest, "first"), 201)
    refused = await room.send(guest, "second")
    assert error_code(refused, 429) == "slow_mode"
    wait = details(refused)["retry_after_s"]
    assert 0 < wait <= 30
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after == max(1, math.ceil(wait))
    assert 1 <= retry_after <= 30

    # Slow mode is per member: another member still gets their one message in.
    expect(await room.send(other, "mine"), 201)
    # The refused message was not stored.
    bodies = [m["body"] for m in texts(await all_messages(client, room.host, room.id))]
    assert bodies == ["first", "mine"]
    assert first["body"] == "first"


async def test_the_host_and_cohosts_are_not_slowed_down(client: httpx.AsyncClient) -> None:
    room = await make(client)
    expect(await room.patch(slow_mode_s=60), 200)
    cohost, cohost_id = await room.member()
    await room.appoint(cohost_id, [])
    for i in range(3):
        expect(await room.send(room.host, f"host {i}"), 201)
        expect(await room.send(cohost, f"cohost {i}"), 201)
    guest, _ = await room.member()
    expect(await room.send(guest, "one"), 201)
    assert error_code(await room.send(guest, "two"), 429) == "slow_mode"


async def test_retrying_a_message_during_slow_mode_returns_the_original(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    expect(await room.patch(slow_mode_s=30), 200)
    guest, _ = await room.member()
    first = expect(await room.send(guest, "only once", client_id="retry-me"), 201)
    again = expect(await room.send(guest, "only once", client_id="retry-me"), 200)
    assert again == first
    # Still one message, and a genuinely new one is still refused.
    assert len(texts(await all_messages(client, room.host, room.id))) == 1
    assert error_code(await room.send(guest, "new"), 429) == "slow_mode"


async def test_slow_mode_over_the_websocket_is_an_error_frame_for_that_send(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client)
    expect(await room.patch(slow_mode_s=30), 200)
    guest, _ = await room.member()
    sock = await open_socket(server.ws_url, guest)
    ack = await sock.send_and_ack(room.id, "first", client_id="ws-1")
    assert ack["seq"] > 0
    await sock.send({"op": "send", "room": room.id, "client_id": "ws-2", "body": "second"})
    error = await sock.next_event("error")
    assert error["code"] == "slow_mode"
    assert error["ref"] == "ws-2"
    assert error["room"] == room.id
    assert 0 < error["details"]["retry_after_s"] <= 30
    # The socket stays usable, and nothing was stored for the refused send.
    await sock.barrier()
    bodies = [m["body"] for m in texts(await all_messages(client, room.host, room.id))]
    assert bodies == ["first"]


# -- flood limits ----------------------------------------------------------------------


@pytest.mark.settings(flood_member_messages=3, flood_member_window_s=60)
async def test_a_member_sending_too_fast_is_refused_and_others_are_not(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    guest, _ = await room.member()
    other, _ = await room.member()
    for i in range(3):
        expect(await room.send(guest, f"burst {i}"), 201)
    refused = await room.send(guest, "burst 3")
    assert error_code(refused, 429) == "rate_limited"
    assert 0 < details(refused)["retry_after_s"] <= 60
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another member has their own allowance.
    for i in range(3):
        expect(await room.send(other, f"other {i}"), 201)
    bodies = [m["body"] for m in texts(await all_messages(client, room.host, room.id))]
    assert "burst 3" not in bodies and len(bodies) == 6


@pytest.mark.settings(flood_room_messages=4, flood_room_window_s=60)
async def test_a_busy_room_refuses_messages_from_everyone(client: httpx.AsyncClient) -> None:
    room = await make(client)
    a, _ = await room.member()
    b, _ = await room.member()
    expect(await room.send(room.host, "1"), 201)
    expect(await room.send(a, "2"), 201)
    expect(await room.send(a, "3"), 201)
    expect(await room.send(b, "4"), 201)
    for token in (b, a, room.host):
        refused = await room.send(token, "5")
        assert error_code(refused, 429) == "room_rate_limited"
        assert details(refused)["retry_after_s"] > 0
    # Another room is not affected.
    elsewhere = await make(client)
    expect(await elsewhere.send(elsewhere.host, "calm here"), 201)


@pytest.mark.settings(flood_member_messages=2, flood_member_window_s=60)
async def test_a_message_refused_by_slow_mode_does_not_use_up_the_flood_allowance(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    expect(await room.patch(slow_mode_s=30), 200)
    guest, _ = await room.member()
    expect(await room.send(guest, "1"), 201)
    for _ in range(3):
        assert error_code(await room.send(guest, "too soon"), 429) == "slow_mode"
    expect(await room.patch(slow_mode_s=0), 200)
    # One message of the two allowed is left: the refused ones did not count.
    expect(await room.send(guest, "2"), 201)
    assert error_code(await room.send(guest, "3"), 429) == "rate_limited"


@pytest.mark.settings(flood_room_messages=1, flood_room_window_s=1)
async def test_a_message_refused_by_the_room_limit_does_not_start_slow_mode(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    room = await make(client)
    expect(await room.patch(slow_mode_s=30), 200)  # writes a system message, not counted
    guest, _ = await room.member()
    expect(await room.send(room.host, "fills the room's allowance"), 201)
    assert error_code(await room.send(guest, "refused"), 429) == "room_rate_limited"
    clock.advance(1.1)
    # Had the refused send counted against slow mode, this would be slow_mode.
    expect(await room.send(guest, "now"), 201)
    assert error_code(await room.send(guest, "again"), 429) == "slow_mode"


# -- probation -------------------------------------------------------------------------


async def test_newcomers_on_probation_cannot_post_links(client: httpx.AsyncClient) -> None:
    room = await make(client)
    assert expect(await room.patch(probation_s=600), 200)["probation_s"] == 600
    guest, _ = await room.member()
    for body in (
        "see https://example.com",
        "www.example.com",
        "go to example.com now",
        "HTTP://EXAMPLE.ORG/x",
    ):
        refused = await room.send(guest, body)
        assert error_code(refused, 403) == "probation_no_links", body
        assert details(refused)["probation_s"] == 600
    expect(await room.send(guest, "plain text is fine, e.g. version 1.2"), 201)
    # The host is not on probation, nor is a co-host.
    expect(await room.send(room.host, "rules at https://example.com/rules"), 201)
    cohost, cohost_id = await room.member()
    assert error_code(await room.send(cohost, "https://example.com"), 403) == ("probation_no_links")
    await room.appoint(cohost_id, [])
    expect(await room.send(cohost, "https://example.com"), 201)
    bodies = [m["body"] for m in texts(await all_messages(client, room.host, room.id))]
    assert "www.example.com" not in bodies and "see https://example.com" not in bodies


async def test_a_refused_link_says_when_links_are_allowed(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, probation_s=600)
    _, guest = await make_user(client)
    joined = await join(client, guest, room.link)
    allowed_at = datetime.fromisoformat(joined["me"]["joined_at"]) + timedelta(seconds=600)

    refused = await room.send(guest, "see https://example.com")
    assert error_code(refused, 403) == "probation_no_links"
    assert datetime.fromisoformat(details(refused)["allowed_at"]) == allowed_at
    assert 590 < details(refused)["retry_after_s"] <= 600
    assert refused.json()["error"]["message"] == "New members can post links in 10 minutes."

    sock = await open_socket(server.ws_url, guest)
    await sock.send({"op": "send", "room": room.id, "client_id": "l-1", "body": "www.example.com"})
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
    room = await make(client, probation_s=600)
    assert room.room["probation_s"] == 600
    guest, _ = await room.member()
    assert error_code(await room.send(guest, "https://example.com"), 403) == "probation_no_links"
    assert expect(await room.patch(probation_s=0), 200)["probation_s"] == 0
    expect(await room.send(guest, "https://example.com"), 201)
    assert error_code(await room.patch(probation_s=30 * 86_400 + 1), 422) == "invalid_probation"


@pytest.mark.settings(default_probation_s=600)
async def test_new_rooms_get_the_servers_default_probation(client: httpx.AsyncClient) -> None:
    room = await make(client)
    assert room.room["probation_s"] == 600
    guest, _ = await room.member()
    assert error_code(await room.send(guest, "www.example.com"), 403) == "probation_no_links"
    expect(await room.send(guest, "hello"), 201)
    # The host may create a room without probation.
    open_room = await make(client, probation_s=0)
    assert open_room.room["probation_s"] == 0
    newcomer, _ = await open_room.member()
    expect(await open_room.send(newcomer, "www.example.com"), 201)


@pytest.mark.settings(
    flood_member_messages=10, flood_probation_messages=2, flood_member_window_s=60
)
async def test_newcomers_get_the_lower_flood_limit_while_on_probation(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client, probation_s=600)
    guest, _ = await room.member()
    # Refused links do not count against the allowance.
    for _ in range(3):
        assert error_code(await room.send(guest, "https://x.com"), 403) == "probation_no_links"
    expect(await room.send(guest, "1"), 201)
    expect(await room.send(guest, "2"), 201)
    assert error_code(await room.send(guest, "3"), 429) == "rate_limited"
    # The host, not on probation, has the member limit.
    for i in range(5):
        expect(await room.send(room.host, f"host {i}"), 201)
    # Without probation, a newcomer has the member limit too.
    plain = await make(client, probation_s=0)
    newcomer, _ = await plain.member()
    for i in range(5):
        expect(await plain.send(newcomer, f"n {i}"), 201)


# -- mentions --------------------------------------------------------------------------


@pytest.mark.settings(max_mentions=2)
async def test_a_message_may_mention_only_so_many_members(client: httpx.AsyncClient) -> None:
    room = await make(client)
    ids = [(await room.member())[1] for _ in range(3)]
    refused = await room.send(room.host, "hey all", mentions=ids)
    assert error_code(refused, 422) == "too_many_mentions"
    assert details(refused)["max_mentions"] == 2
    sent = expect(await room.send(room.host, "hey you two", mentions=ids[:2]), 201)
    assert sent["mentions"] == ids[:2]
    # The same member twice is one mention.
    expect(await room.send(room.host, "hey", mentions=[ids[0], ids[0], ids[1]]), 201)


# -- time-outs -------------------------------------------------------------------------


async def test_a_timed_out_member_can_read_but_not_write(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client)
    guest, guest_id = await room.member()
    mine = expect(await room.send(guest, "before"), 201)
    hosts = expect(await room.send(room.host, "host says"), 201)
    expect(
        await client.post(
            room.path(f"/members/{guest_id}/timeout"),
            json={"duration_s": 60},
            headers=auth(room.host),
        ),
        200,
    )
    now = datetime.now(UTC)

    def check(response: httpx.Response) -> None:
        assert error_code(response, 403) == "timed_out"
        until = datetime.fromisoformat(details(response)["until"])
        assert 50 < (until - now).total_seconds() <= 61

    check(await room.send(guest, "during"))
    check(
        await client.patch(
            room.path(f"/messages/{mine['seq']}"), json={"body": "edited"}, headers=auth(guest)
        )
    )
    check(
        await client.put(room.path(f"/messages/{hosts['seq']}/reactions/👍"), headers=auth(guest))
    )
    sock = await open_socket(server.ws_url, guest)
    await sock.send({"op": "send", "room": room.id, "client_id": "ws-timed", "body": "ws"})
    frame = await sock.next_event("error")
    assert (frame["code"], frame["ref"]) == ("timed_out", "ws-timed")
    assert "until" in frame["details"]

    # Reading still works, and nothing was written.
    page = await history(client, guest, room.id)
    bodies = [m.get("body") for m in texts(page["messages"])]
    assert bodies == ["before", "host says"]
    assert "reactions" not in texts(page["messages"])[1]

    expect(
        await client.delete(room.path(f"/members/{guest_id}/timeout"), headers=auth(room.host)), 200
    )
    expect(await room.send(guest, "after"), 201)
    edited = expect(
        await client.patch(
            room.path(f"/messages/{mine['seq']}"), json={"body": "edited"}, headers=auth(guest)
        ),
        200,
    )
    assert edited["body"] == "edited"
    expect(
        await client.put(room.path(f"/messages/{hosts['seq']}/reactions/👍"), headers=auth(guest)),
        200,
    )


# -- link warnings ---------------------------------------------------------------------


async def test_a_members_first_message_with_a_link_carries_a_warning(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client)
    guest, _ = await room.member()
    other, _ = await room.member()
    sock = await open_socket(server.ws_url, room.host)

    first = expect(await room.send(guest, "check https://example.com"), 201)
    assert first.get("link_warning") is True
    live = await sock.next_message(seq=first["seq"])
    assert live["message"].get("link_warning") is True

    second = expect(await room.send(guest, "and www.example.org"), 201)
    assert "link_warning" not in second
    live = await sock.next_message(seq=second["seq"])
    assert "link_warning" not in live["message"]

    plain = expect(await room.send(other, "no links here"), 201)
    assert "link_warning" not in plain
    live = await sock.next_message(seq=plain["seq"])
    assert "link_warning" not in live["message"]

    by_seq = {m["seq"]: m for m in await all_messages(client, other, room.id)}
    assert by_seq[first["seq"]].get("link_warning") is True
    assert "link_warning" not in by_seq[second["seq"]]
    assert "link_warning" not in by_seq[plain["seq"]]
    # Not even for a plain first message.
    assert all("link_warning" not in m for s, m in by_seq.items() if s != first["seq"])


# -- hidden messages -------------------------------------------------------------------


async def test_the_sender_of_a_hidden_message_cannot_edit_it_but_can_delete_it(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    guest, _ = await room.member()
    other, _ = await room.member()
    sent = expect(await room.send(guest, "something rude"), 201)
    seq = sent["seq"]
    expect(
        await client.post(room.path(f"/messages/{seq}/hide"), json={}, headers=auth(room.host)), 200
    )

    edit = await client.patch(
        room.path(f"/messages/{seq}"), json={"body": "nice now"}, headers=auth(guest)
    )
    assert error_code(edit, 403) == "message_hidden"
    for token in (guest, other):
        react = await client.put(room.path(f"/messages/{seq}/reactions/👍"), headers=auth(token))
        assert error_code(react, 403) == "message_hidden"
    shown = {m["seq"]: m for m in await all_messages(client, other, room.id)}[seq]
    assert shown.get("hidden") is True and "body" not in shown and "reactions" not in shown

    deleted = expect(await client.delete(room.path(f"/messages/{seq}"), headers=auth(guest)), 200)
    assert deleted["deleted"] is True
    shown = {m["seq"]: m for m in await all_messages(client, other, room.id)}[seq]
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
    room = await make(client, probation_s=600)
    guest, guest_id = await room.member()
    expect(
        await client.post(
            room.path(f"/members/{guest_id}/timeout"),
            json={"duration_s": 60},
            headers=auth(room.host),
        ),
        200,
    )
    clock.advance(55)
    assert error_code(await room.send(guest, "still quiet?"), 403) == "timed_out"
    clock.advance(6)
    expect(await room.send(guest, "back"), 201)
    assert error_code(await room.send(guest, "www.example.com"), 403) == "probation_no_links"
    clock.advance(600 - 61)
    expect(await room.send(guest, "www.example.com"), 201)
