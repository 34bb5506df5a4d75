"""Open profiles: nothing anyone else in a room sees names the account behind a member."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import Server
from tests.factories import (
    Socket,
    auth,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
    upload_picture,
)

#: Keys that would name an account. Room-facing views must not have them at all.
ACCOUNT_KEYS = {"user", "user_id", "username", "display_name", "account", "account_id", "owner"}


def identity_leaks(value: Any, user: dict[str, Any], path: str = "$") -> list[str]:
    """Where ``value`` (a parsed response or event) names ``user``'s account."""
    leaks: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in ACCOUNT_KEYS or key == "created_by":
                leaks.append(f"{where} (an account key)")
            if key == "id" and isinstance(item, int) and item == user["id"]:
                leaks.append(f"{where} (the account id)")
            leaks.extend(identity_leaks(item, user, where))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            leaks.extend(identity_leaks(item, user, f"{path}[{i}]"))
    elif isinstance(value, str):
        for secret in (user["username"], user["display_name"]):
            if secret.lower() in value.lower():
                leaks.append(f"{path} contains {secret!r}")
    return leaks


def observed_events(sock: Socket) -> list[Any]:
    """What a socket showed its owner, minus the owner's own account in ``ready``."""
    ready = dict(sock.ready)
    ready.pop("user")  # the socket owner's own account: only ever sent to itself
    return [ready, *sock.events[1:]]


async def test_an_open_profile_never_reveals_the_account(
    server: Server, client: httpx.AsyncClient
) -> None:
    host_user, host = await make_user(client, "hostperson", display_name="Host Person")
    other_user, other = await make_user(client, "otherperson", display_name="Other Person")
    hidden, hidden_token = await make_user(client, "zelda_secret", display_name="Zelda Realname")
    room = (
        await make_room(
            client, host, name="Night owls", profile={"kind": "open", "nickname": "Keeper"}
        )
    )["room"]
    rid = room["id"]
    await join(client, other, room["link"], profile={"kind": "open", "nickname": "Lamp"})
    host_sock = await open_socket(server.ws_url, host)
    other_sock = await open_socket(server.ws_url, other)
    hello = await send_message(client, host, rid, "welcome, everyone")

    # The hidden person joins under an open profile and takes part in every way there is.
    joined = await join(
        client,
        hidden_token,
        room["link"],
        profile={
            "kind": "open",
            "nickname": "Moonlight",
            "avatar_url": await upload_picture(client, hidden_token),
        },
    )
    me = joined["me"]
    assert me["nickname"] == "Moonlight"
    assert me["profile"] == "open"
    hidden_sock = await open_socket(server.ws_url, hidden_token)
    sent = await send_message(client, hidden_token, rid, "hi, I am new here")
    await client.patch(
        f"/api/rooms/{rid}/messages/{sent['seq']}",
        json={"body": "hi, I am new"},
        headers=auth(hidden_token),
    )
    await client.put(
        f"/api/rooms/{rid}/messages/{hello['seq']}/reactions/👍", headers=auth(hidden_token)
    )
    await hidden_sock.send({"op": "typing", "room": rid})
    await hidden_sock.barrier()
    await send_message(client, host, rid, "hello Moonlight", mentions=[me["id"]])

    # Everything the host and the other member can see about the room.
    seen: list[Any] = []
    for token in (host, other):
        for path in (
            f"/api/rooms/{rid}",
            f"/api/rooms/{rid}/members",
            f"/api/rooms/{rid}/messages",
            "/api/rooms",
        ):
            seen.append(expect(await client.get(path, headers=auth(token)), 200))
    seen.append(expect(await client.get(f"/api/links/{room['link'].removeprefix('/l/')}"), 200))
    for sock in (host_sock, other_sock):
        await sock.barrier()
        seen.extend(observed_events(sock))

    # The test saw the hidden member at all: by nickname, in the join event and live.
    text = json.dumps(seen, ensure_ascii=False)
    assert "Moonlight" in text
    assert any(e.get("type") == "typing" and e["member"] == me["id"] for e in host_sock.events)
    join_events = [
        e["message"]
        for e in host_sock.events
        if e["type"] == "message" and (e["message"].get("system") or {}).get("event") == "joined"
    ]
    assert join_events and join_events[-1]["system"]["profile"]["nickname"] == "Moonlight"
    assert join_events[-1]["system"]["profile"]["profile"] == "open"

    assert identity_leaks(seen, hidden) == []
    # Nor does anything shown to one member name the others' accounts.
    assert identity_leaks(seen[4:8] + observed_events(other_sock), host_user) == []
    assert identity_leaks(seen[:4] + observed_events(host_sock), other_user) == []


async def test_a_rejoin_is_a_new_member_not_linked_to_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    first = await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Fox"})
    old = await send_message(client, guest, room["id"], "first stay")
    response = await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(guest))
    assert response.status_code == 204
    second = await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Owl"})
    assert second["me"]["id"] != first["me"]["id"]
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert [m["nickname"] for m in members if m["role"] == "member"] == ["Owl"]
    assert first["me"]["id"] not in {m["id"] for m in members}
    # The old message keeps the old member id, and the new member cannot edit it.
    response = await client.patch(
        f"/api/rooms/{room['id']}/messages/{old['seq']}",
        json={"body": "changed"},
        headers=auth(guest),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_sender"


async def test_a_main_profile_shows_the_display_name(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client, display_name="Jun Seo")
    room = (await make_room(client, host))["room"]
    host_sock = await open_socket(server.ws_url, host)
    joined = await join(client, guest, room["link"], profile={"kind": "main"})
    assert joined["me"]["nickname"] == "Jun Seo"
    assert joined["me"]["profile"] == "main"
    event = await host_sock.next_message(kind="system")
    assert event["message"]["system"]["event"] == "joined"
    assert event["message"]["system"]["profile"]["nickname"] == "Jun Seo"
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert "Jun Seo" in {m["nickname"] for m in members}


async def test_the_senders_client_id_is_not_shown(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Fox"})
    host_sock = await open_socket(server.ws_url, host)
    await host_sock.barrier()
    client_id = "device-7f3a-install-42"  # what a careless client might use
    sent = await send_message(client, guest, room["id"], "hello", client_id=client_id)
    assert "client_id" not in sent
    event = await host_sock.next_message(seq=sent["seq"])
    page = expect(await client.get(f"/api/rooms/{room['id']}/messages", headers=auth(host)), 200)
    rooms = expect(await client.get("/api/rooms", headers=auth(host)), 200)
    for seen in (event, page, rooms):
        assert client_id not in json.dumps(seen)
