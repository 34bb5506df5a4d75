"""Per-account limits on what a member can repeat: joins (and so join/leave cycles),
reactions, new rooms, read markers, reports, searches (per address without an account)
and on-demand translations. Each bites at its setting, says when to retry, and leaves
other accounts alone."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from openlink.config import Settings
from tests.conftest import Server
from tests.factories import (
    auth,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
    throttled,
)
from tests.fakes import FakeOpenAIServer, openai_translator


async def public_room(client: httpx.AsyncClient) -> str:
    _, host = await make_user(client)
    return str((await make_room(client, host, visibility="public"))["room"]["id"])


@pytest.mark.settings(joins_per_account=3, joins_window_s=600)
async def test_joining_and_leaving_over_and_over_is_limited(client: httpx.AsyncClient) -> None:
    room_id = await public_room(client)
    _, cycler = await make_user(client)
    for _ in range(3):
        await join(client, cycler, room_id)
        expect(await client.post(f"/api/rooms/{room_id}/leave", headers=auth(cycler)), 204)
    throttled(
        await client.post(f"/api/rooms/{room_id}/join", json={}, headers=auth(cycler)),
        "join_rate_limited",
        600,
    )
    # Someone else joins as usual.
    _, other = await make_user(client)
    await join(client, other, room_id)


@pytest.mark.settings(joins_per_account=1, joins_window_s=600)
async def test_a_member_joining_again_is_not_a_new_join(client: httpx.AsyncClient) -> None:
    room_id = await public_room(client)
    _, member = await make_user(client)
    first = await join(client, member, room_id)
    again = await join(client, member, room_id)
    assert again["me"]["id"] == first["me"]["id"]


@pytest.mark.settings(reactions_per_account=3, reactions_window_s=60)
async def test_reaction_toggles_are_limited(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    _, member = await make_user(client)
    await join(client, member, room["link"])
    sent = await send_message(client, host, room["id"], "react to me")
    path = f"/api/rooms/{room['id']}/messages/{sent['seq']}/reactions/👍"
    for method in (client.put, client.delete, client.put):
        response = await method(path, headers=auth(member))
        assert response.status_code == 200, response.text
    throttled(await client.delete(path, headers=auth(member)), "reaction_rate_limited", 60)
    expect(await client.put(path, headers=auth(host)), 200)


@pytest.mark.settings(rooms_per_account=2, rooms_window_s=3_600)
async def test_room_creation_is_limited(client: httpx.AsyncClient) -> None:
    _, creator = await make_user(client)
    for _ in range(2):
        await make_room(client, creator)
    refused = await client.post("/api/rooms", json={"name": "one more"}, headers=auth(creator))
    throttled(refused, "room_creation_rate_limited", 3_600)
    _, other = await make_user(client)
    await make_room(client, other)


@pytest.mark.settings(reads_per_account=2, reads_window_s=60)
async def test_read_markers_over_the_websocket_are_limited(
    client: httpx.AsyncClient, server: Server
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    _, member = await make_user(client)
    await join(client, member, room["link"])
    seqs = [(await send_message(client, host, room["id"], f"m{i}"))["seq"] for i in range(3)]
    sock = await open_socket(server.ws_url, member)
    for seq in seqs[:2]:
        await sock.send({"op": "read", "room": room["id"], "seq": seq})
        assert (await sock.next_event("read"))["seq"] == seq
    await sock.send({"op": "read", "room": room["id"], "seq": seqs[2]})
    error = await sock.next_event("error")
    assert (error["code"], error["room"]) == ("read_rate_limited", room["id"])
    assert 0 < error["details"]["retry_after_s"] <= 60
    # HTTP shares the allowance.
    throttled(
        await client.post(
            f"/api/rooms/{room['id']}/read", json={"seq": seqs[2]}, headers=auth(member)
        ),
        "read_rate_limited",
        60,
    )
    # The host's markers are their own.
    host_sock = await open_socket(server.ws_url, host)
    await host_sock.send({"op": "read", "room": room["id"], "seq": seqs[2]})
    assert (await host_sock.next_event("read"))["seq"] == seqs[2]


@pytest.mark.settings(reports_per_account=2, reports_window_s=600)
async def test_reports_follow_their_setting(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    _, reporter = await make_user(client)
    await join(client, reporter, room["link"])
    sent = await send_message(client, host, room["id"], "something to report")
    path = f"/api/rooms/{room['id']}/reports"
    for reason in ("spam", "scam"):
        body = {"seq": sent["seq"], "reason": reason}
        response = await client.post(path, json=body, headers=auth(reporter))
        assert response.status_code in (200, 201), response.text
    body = {"seq": sent["seq"], "reason": "other"}
    throttled(
        await client.post(path, json=body, headers=auth(reporter)), "report_rate_limited", 600
    )


@pytest.mark.settings(searches_per_account=2, searches_per_address=2, searches_window_s=60)
async def test_searches_are_limited_per_account_and_per_address_without_one(
    client: httpx.AsyncClient,
) -> None:
    _, searcher = await make_user(client)
    _, other = await make_user(client)

    async def search(token: str | None, address: str = "10.3.0.1") -> httpx.Response:
        headers = {"X-Forwarded-For": address, **(auth(token) if token else {})}
        return await client.get("/api/search", params={"q": "hiking"}, headers=headers)

    for _ in range(2):
        expect(await search(searcher), 200)
    throttled(await search(searcher), "search_rate_limited", 60)
    expect(await search(other), 200)

    for _ in range(2):
        expect(await search(None), 200)
    throttled(await search(None), "search_rate_limited", 60)
    expect(await search(None, "10.3.0.2"), 200)
    # A signed-in search from that address counts against the account, not the address.
    expect(await search(other, "10.3.0.1"), 200)


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with openai_translator(monkeypatch) as fake:
        yield fake


@pytest.mark.settings(translations_per_account=2, translations_window_s=60)
async def test_on_demand_translations_are_limited(
    llm: FakeOpenAIServer, server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client, language="en")
    room = (await make_room(client, host))["room"]
    _, reader = await make_user(client, language="ko")
    _, other = await make_user(client, language="ko")
    for token in (reader, other):
        await join(client, token, room["link"])
    seqs = [
        (await send_message(client, host, room["id"], f"The chapter {n} is out"))["seq"]
        for n in range(3)
    ]

    async def translate(token: str, seq: int) -> httpx.Response:
        return await client.get(
            f"/api/rooms/{room['id']}/messages/{seq}/translation", headers=auth(token)
        )

    expect(await translate(reader, seqs[0]), 200)
    # Stored now, and counted all the same: what costs nothing must not tell apart
    # what was stored from what was not (decision 0005).
    expect(await translate(reader, seqs[0]), 200)
    throttled(await translate(reader, seqs[1]), "translation_rate_limited", 60)
    assert len(llm.bodies) == 1
    expect(await translate(other, seqs[2]), 200)  # another account has its own allowance


def test_the_shipped_defaults_limit_every_repeatable_write(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("OPENLINK_"):
            monkeypatch.delenv(name)
    s = Settings()
    for amount in (
        s.joins_per_account,
        s.reactions_per_account,
        s.rooms_per_account,
        s.reads_per_account,
        s.reports_per_account,
        s.searches_per_account,
        s.searches_per_address,
        s.translations_per_account,
        s.code_failures_per_account,
        s.code_failures_per_address,
        s.code_failures_per_room,
        s.login_failures_per_pair,
    ):
        assert amount > 0
