"""Hosting: handing it over, and what a host's leaving does to the room."""

from __future__ import annotations

import httpx

from tests.factories import (
    auth,
    error_code,
    expect,
    history,
    join,
    make_room,
    make_user,
    send_message,
)


async def test_hosting_can_be_handed_over(client: httpx.AsyncClient) -> None:
    _, old_host = await make_user(client)
    _, new_host = await make_user(client)
    created = await make_room(client, old_host)
    room, old_member = created["room"], created["me"]
    new_member = (await join(client, new_host, room["link"]))["me"]

    handed = expect(
        await client.post(
            f"/api/rooms/{room['id']}/host",
            json={"member_id": new_member["id"]},
            headers=auth(old_host),
        ),
        200,
    )
    assert handed["id"] == new_member["id"]
    assert handed["role"] == "host"
    last = (await history(client, new_host, room["id"]))["messages"][-1]
    assert last["system"] == {
        "event": "host_changed",
        "from": old_member["id"],
        "to": new_member["id"],
    }
    roles = {
        m["id"]: m["role"]
        for m in expect(
            await client.get(f"/api/rooms/{room['id']}/members", headers=auth(old_host)), 200
        )["members"]
    }
    assert roles == {old_member["id"]: "member", new_member["id"]: "host"}

    path = f"/api/rooms/{room['id']}/link"
    expect(await client.post(path, headers=auth(new_host)), 200)
    assert error_code(await client.post(path, headers=auth(old_host)), 403) == "not_permitted"
    response = await client.post(
        f"/api/rooms/{room['id']}/host",
        json={"member_id": old_member["id"]},
        headers=auth(old_host),
    )
    assert error_code(response, 403) == "not_permitted"


async def test_handing_over_needs_another_active_member(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    created = await make_room(client, host)
    room, me = created["room"], created["me"]
    path = f"/api/rooms/{room['id']}/host"
    response = await client.post(path, json={"member_id": me["id"]}, headers=auth(host))
    assert error_code(response, 422) == "already_host"
    response = await client.post(path, json={"member_id": "nosuchmember"}, headers=auth(host))
    assert error_code(response, 404) == "member_not_found"
    gone = (await join(client, guest, room["link"]))["me"]
    await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(guest))
    response = await client.post(path, json={"member_id": gone["id"]}, headers=auth(host))
    assert error_code(response, 404) == "member_not_found"


async def test_a_host_leaving_without_handing_over_closes_the_room(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    _, latecomer = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await join(client, member, room["link"])
    before = await send_message(client, member, rid, "still readable")

    response = await client.post(f"/api/rooms/{rid}/leave", headers=auth(host))
    assert response.status_code == 204

    page = await history(client, member, rid)
    events = [m["system"]["event"] for m in page["messages"] if m["kind"] == "system"]
    assert events[-2:] == ["left", "closed"]
    assert before["seq"] in [m["seq"] for m in page["messages"]]
    seen = expect(await client.get(f"/api/rooms/{rid}", headers=auth(member)), 200)
    assert seen["status"] == "closed"

    err = await send_message(client, member, rid, "anyone?", status=403)
    assert err["error"]["code"] == "room_closed"
    for response in (
        await client.patch(
            f"/api/rooms/{rid}/messages/{before['seq']}", json={"body": "x"}, headers=auth(member)
        ),
        await client.delete(f"/api/rooms/{rid}/messages/{before['seq']}", headers=auth(member)),
        await client.put(
            f"/api/rooms/{rid}/messages/{before['seq']}/reactions/👍", headers=auth(member)
        ),
    ):
        assert error_code(response, 403) == "room_closed"
    read = expect(
        await client.post(
            f"/api/rooms/{rid}/read", json={"seq": before["seq"]}, headers=auth(member)
        ),
        200,
    )
    assert read["read_seq"] == before["seq"]
    err = await join(client, latecomer, room["link"], status=403)
    assert err["error"]["code"] == "room_closed"
    # The host is gone: the room is not theirs to read any more.
    response = await client.get(f"/api/rooms/{rid}/messages", headers=auth(host))
    assert error_code(response, 404) == "room_not_found"
    # A closed room can still be left.
    response = await client.post(f"/api/rooms/{rid}/leave", headers=auth(member))
    assert response.status_code == 204


async def test_a_former_host_leaving_keeps_the_room_open(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, heir = await make_user(client)
    room = (await make_room(client, host))["room"]
    heir_member = (await join(client, heir, room["link"]))["me"]
    await client.post(
        f"/api/rooms/{room['id']}/host", json={"member_id": heir_member["id"]}, headers=auth(host)
    )
    response = await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(host))
    assert response.status_code == 204
    seen = expect(await client.get(f"/api/rooms/{room['id']}", headers=auth(heir)), 200)
    assert seen["status"] == "open"
    assert seen["member_count"] == 1
    await send_message(client, heir, room["id"], "carrying on")


async def test_leaving_a_room_you_are_not_in(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, stranger = await make_user(client)
    room = (await make_room(client, host))["room"]
    response = await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(stranger))
    assert error_code(response, 404) == "room_not_found"
