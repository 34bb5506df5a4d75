"""Hidden text in reports follows one rule: only those who may read hidden messages (the
host, co-hosts with the ``hide`` right, the instance's operators) see it; the reporter's
copy never carries it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_operator import make_operator
from tests.api.test_reports import report, reports_of, resolve, room_of_three
from tests.conftest import Server
from tests.factories import auth, error_code, expect, join, make_user, open_socket, send_message

NASTY = "something nasty"


async def hide(client: httpx.AsyncClient, r: dict[str, Any], seq: int) -> None:
    path = f"/api/rooms/{r['room']}/messages/{seq}/hide"
    expect(await client.post(path, json={}, headers=auth(r["host"])), 200)


async def add_cohost(client: httpx.AsyncClient, r: dict[str, Any], rights: list[str]) -> str:
    _, token = await make_user(client)
    room = expect(await client.get(f"/api/rooms/{r['room']}", headers=auth(r["host"])), 200)
    member_id = (await join(client, token, room["link"]))["me"]["id"]
    path = f"/api/rooms/{r['room']}/cohosts/{member_id}"
    expect(await client.put(path, json={"rights": rights}, headers=auth(r["host"])), 200)
    return token


async def test_reporting_a_hidden_message_shows_the_reporter_nothing_of_it(
    client: httpx.AsyncClient,
) -> None:
    r = await room_of_three(client)
    sent = await send_message(client, r["bob"], r["room"], NASTY)
    await hide(client, r, sent["seq"])

    filed = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 201)
    assert (filed["excerpt"], filed["message_hidden"]) == (None, True)
    again = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 200)
    assert again["id"] == filed["id"] and again["excerpt"] is None
    # The host still reviews it.
    (listed,) = await reports_of(client, r["host"], r["room"])
    assert (listed["excerpt"], listed["message_hidden"]) == (NASTY, True)


async def test_a_message_hidden_after_the_report_leaves_the_reporters_copy_too(
    client: httpx.AsyncClient,
) -> None:
    r = await room_of_three(client)
    sent = await send_message(client, r["bob"], r["room"], NASTY)
    filed = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 201)
    assert (filed["excerpt"], filed["message_hidden"]) == (NASTY, False)
    await hide(client, r, sent["seq"])
    again = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 200)
    assert (again["excerpt"], again["message_hidden"]) == (None, True)


async def test_moderators_copies_follow_the_hide_right(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room_of_three(client)
    plain_mod = await add_cohost(client, r, ["kick"])
    hide_mod = await add_cohost(client, r, ["hide"])
    _, op = await make_operator(server, client)
    sockets = {
        name: await open_socket(server.ws_url, token)
        for name, token in (("plain", plain_mod), ("hide", hide_mod), ("host", r["host"]))
    }
    op_socket = await open_socket(server.ws_url, op)
    sent = await send_message(client, r["bob"], r["room"], NASTY)
    await hide(client, r, sent["seq"])

    filed = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 201)
    live = {name: (await sock.next_event("report"))["report"] for name, sock in sockets.items()}
    live["operator"] = (await op_socket.next_event("report"))["report"]
    assert live["plain"]["excerpt"] is None and live["plain"]["message_hidden"] is True
    assert live["hide"]["excerpt"] == live["host"]["excerpt"] == NASTY
    assert live["operator"]["excerpt"] == NASTY

    (listed,) = await reports_of(client, plain_mod, r["room"])
    assert listed["excerpt"] is None
    (listed,) = await reports_of(client, hide_mod, r["room"])
    assert listed["excerpt"] == NASTY
    (listed,) = expect(await client.get("/api/admin/reports", headers=auth(op)), 200)["reports"]
    assert listed["excerpt"] == NASTY

    done = expect(await resolve(client, plain_mod, r["room"], filed["id"], "seen"), 200)
    assert done["excerpt"] is None and done["status"] == "resolved"
    review = await client.get(
        f"/api/rooms/{r['room']}/messages/{sent['seq']}/review", headers=auth(plain_mod)
    )
    assert error_code(review, 403) == "not_permitted"


async def test_hidden_text_stays_reviewable_in_a_closed_room(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    hide_mod = await add_cohost(client, r, ["hide"])
    sent = await send_message(client, r["bob"], r["room"], NASTY)
    await hide(client, r, sent["seq"])
    expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 201)
    expect(await client.post(f"/api/rooms/{r['room']}/close", headers=auth(r["host"])), 200)

    (listed,) = await reports_of(client, hide_mod, r["room"])
    assert listed["excerpt"] == NASTY
    path = f"/api/rooms/{r['room']}/messages/{sent['seq']}/review"
    assert expect(await client.get(path, headers=auth(hide_mod)), 200)["body"] == NASTY
