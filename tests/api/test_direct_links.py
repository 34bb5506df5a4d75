"""1:1 links: every joiner gets a private room with the host, and nobody else sees it."""

from __future__ import annotations

import httpx

from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    history,
    join,
    make_room,
    make_user,
    my_rooms,
    open_socket,
    send_message,
)


async def test_each_joiner_gets_a_private_room_with_the_host(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client, display_name="Counsellor")
    _, ann = await make_user(client)
    _, bo = await make_user(client)
    link_room = (await make_room(client, host, name="Ask me", kind="direct_link"))["room"]
    assert link_room["kind"] == "direct_link"
    assert link_room["member_cap"] == 2

    ann_room = (await join(client, ann, link_room["link"]))["room"]
    bo_room = (
        await join(client, bo, link_room["link"], profile={"kind": "open", "nickname": "B"})
    )["room"]
    for room in (ann_room, bo_room):
        assert room["kind"] == "direct"
        assert room["member_count"] == 2
        assert room["id"] != link_room["id"]
    assert ann_room["id"] != bo_room["id"]

    hosts_rooms = await my_rooms(client, host)
    assert {link_room["id"], ann_room["id"], bo_room["id"]} <= set(hosts_rooms)
    for room in (ann_room, bo_room):
        members = expect(
            await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200
        )["members"]
        assert sorted(m["role"] for m in members) == ["host", "member"]
    # The link room itself still holds only its host.
    link_now = expect(await client.get(f"/api/rooms/{link_room['id']}", headers=auth(host)), 200)
    assert link_now["member_count"] == 1


async def test_joining_a_1to1_link_again_returns_the_same_room(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, ann = await make_user(client)
    link_room = (await make_room(client, host, kind="direct_link"))["room"]
    first = await join(client, ann, link_room["link"])
    again = await join(client, ann, link_room["link"])
    by_id = await join(client, ann, link_room["id"])
    assert again["room"]["id"] == first["room"]["id"] == by_id["room"]["id"]
    assert again["me"]["id"] == first["me"]["id"]


async def test_nobody_else_can_reach_a_private_room(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, ann = await make_user(client)
    _, bo = await make_user(client)
    link_room = (await make_room(client, host, kind="direct_link"))["room"]
    private = (await join(client, ann, link_room["link"]))["room"]
    await send_message(client, ann, private["id"], "just between us")
    await join(client, bo, link_room["link"])  # bo has a private room of their own

    rid = private["id"]
    for method, path in (
        ("GET", f"/api/rooms/{rid}"),
        ("GET", f"/api/rooms/{rid}/messages"),
        ("GET", f"/api/rooms/{rid}/members"),
        ("POST", f"/api/rooms/{rid}/join"),
        ("POST", f"/api/rooms/{rid}/leave"),
    ):
        response = await client.request(method, path, json={}, headers=auth(bo))
        assert error_code(response, 404) == "room_not_found", path
    response = await send_message(client, bo, rid, "let me in", status=404)
    assert response["error"]["code"] == "room_not_found"
    code = private["link"].removeprefix("/l/")
    assert error_code(await client.get(f"/api/links/{code}"), 404) == "link_not_found"
    err = await join(client, bo, private["link"], status=404)
    assert err["error"]["code"] == "link_not_found"
    assert rid not in await my_rooms(client, bo)


async def test_the_host_cannot_join_their_own_1to1_link(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    link_room = (await make_room(client, host, kind="direct_link"))["room"]
    err = await join(client, host, link_room["link"], status=409)
    assert err["error"]["code"] == "own_direct_link"


async def test_the_host_is_told_live_about_a_new_private_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, ann = await make_user(client)
    link_room = (await make_room(client, host, kind="direct_link"))["room"]
    host_sock = await open_socket(server.ws_url, host)
    private = (await join(client, ann, link_room["link"]))["room"]
    joined = await host_sock.next_event("joined")
    assert joined["room"]["id"] == private["id"]
    assert joined["member"]["role"] == "host"
    sent = await send_message(client, ann, private["id"], "hello host")
    event = await host_sock.next_message(room=private["id"], kind="text")
    assert event["message"]["seq"] == sent["seq"]
    assert event["message"]["body"] == "hello host"
    page = await history(client, host, private["id"])
    assert page["messages"][-1]["body"] == "hello host"


async def test_the_1to1_link_itself_is_not_a_chat(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    link_room = (await make_room(client, host, kind="direct_link"))["room"]
    rid = link_room["id"]
    err = await send_message(client, host, rid, "hello?", status=403)
    assert err["error"]["code"] == "link_only_room"
    response = await client.put(f"/api/rooms/{rid}/messages/1/reactions/👍", headers=auth(host))
    assert error_code(response, 403) == "link_only_room"
    response = await client.patch(f"/api/rooms/{rid}", json={"member_cap": 10}, headers=auth(host))
    assert error_code(response, 422) == "invalid_member_cap"
    renamed = expect(
        await client.patch(
            f"/api/rooms/{rid}", json={"name": "Ask me anything"}, headers=auth(host)
        ),
        200,
    )
    assert renamed["name"] == "Ask me anything"
