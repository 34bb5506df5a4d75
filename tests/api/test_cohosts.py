"""Co-hosts: the host appoints them, chooses their rights, and takes the role back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

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


async def members_by_id(
    client: httpx.AsyncClient, token: str, room_id: str
) -> dict[str, dict[str, Any]]:
    body = expect(await client.get(f"/api/rooms/{room_id}/members", headers=auth(token)), 200)
    return {m["id"]: m for m in body["members"]}


async def set_cohost(
    client: httpx.AsyncClient, token: str, room_id: str, member_id: str, rights: list[str]
) -> httpx.Response:
    return await client.put(
        f"/api/rooms/{room_id}/cohosts/{member_id}", json={"rights": rights}, headers=auth(token)
    )


async def last_system(client: httpx.AsyncClient, token: str, room_id: str) -> dict[str, Any]:
    message = (await history(client, token, room_id))["messages"][-1]
    assert message["kind"] == "system", message
    return message["system"]


async def audit_actions(client: httpx.AsyncClient, token: str, room_id: str) -> list[str]:
    body = expect(await client.get(f"/api/rooms/{room_id}/audit", headers=auth(token)), 200)
    return [e["action"] for e in body["entries"]]


async def room_with_guest(client: httpx.AsyncClient) -> tuple[str, str, str, str]:
    """A room; returns (room id, host token, guest token, guest member id)."""
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    member = (await join(client, guest, room["link"]))["me"]
    return room["id"], host, guest, member["id"]


async def test_the_host_appoints_changes_and_removes_a_cohost(client: httpx.AsyncClient) -> None:
    room_id, host, guest, mid = await room_with_guest(client)

    appointed = expect(await set_cohost(client, host, room_id, mid, ["kick", "hide"]), 200)
    assert (appointed["role"], appointed["rights"]) == ("cohost", ["hide", "kick"])
    assert (await members_by_id(client, guest, room_id))[mid]["rights"] == ["hide", "kick"]
    assert await last_system(client, guest, room_id) == {
        "event": "cohost_appointed",
        "member": mid,
        "rights": ["hide", "kick"],
    }

    changed = expect(await set_cohost(client, host, room_id, mid, ["notice"]), 200)
    assert changed["rights"] == ["notice"]
    assert await last_system(client, guest, room_id) == {
        "event": "cohost_rights_changed",
        "member": mid,
        "rights": ["notice"],
    }
    # The same rights again change nothing and say nothing.
    before = (await history(client, host, room_id))["last_seq"]
    expect(await set_cohost(client, host, room_id, mid, ["notice"]), 200)
    assert (await history(client, host, room_id))["last_seq"] == before

    removed = expect(
        await client.delete(f"/api/rooms/{room_id}/cohosts/{mid}", headers=auth(host)), 200
    )
    assert removed["role"] == "member" and "rights" not in removed
    assert (await members_by_id(client, host, room_id))[mid]["role"] == "member"
    assert await last_system(client, guest, room_id) == {"event": "cohost_removed", "member": mid}
    assert await audit_actions(client, host, room_id) == [
        "cohost_remove",
        "cohost_rights",
        "cohost_appoint",
    ]


async def test_only_the_host_appoints(client: httpx.AsyncClient) -> None:
    room_id, host, cohost, cohost_id = await room_with_guest(client)
    _, other = await make_user(client)
    other_id = (await join(client, other, room_id))["me"]["id"]
    _, outsider = await make_user(client)
    expect(await set_cohost(client, host, room_id, cohost_id, ["kick", "hide", "notice"]), 200)

    response = await set_cohost(client, cohost, room_id, other_id, ["hide"])
    assert error_code(response, 403) == "not_permitted"
    response = await set_cohost(client, other, room_id, other_id, ["hide"])
    assert error_code(response, 403) == "not_permitted"
    response = await client.delete(
        f"/api/rooms/{room_id}/cohosts/{cohost_id}", headers=auth(cohost)
    )
    assert error_code(response, 403) == "not_permitted"
    response = await set_cohost(client, outsider, room_id, other_id, ["hide"])
    assert error_code(response, 404) == "room_not_found"
    assert (await members_by_id(client, host, room_id))[other_id]["role"] == "member"


async def test_appointing_refuses_bad_targets_and_rights(client: httpx.AsyncClient) -> None:
    room_id, host, guest, mid = await room_with_guest(client)
    members = await members_by_id(client, host, room_id)
    host_mid = next(k for k, v in members.items() if v["role"] == "host")

    response = await set_cohost(client, host, room_id, mid, ["kick", "fly"])
    assert error_code(response, 422) == "invalid_right"
    response = await set_cohost(client, host, room_id, host_mid, ["kick"])
    assert error_code(response, 422) == "target_is_host"
    response = await set_cohost(client, host, room_id, "nosuchmember", ["kick"])
    assert error_code(response, 404) == "member_not_found"
    response = await set_cohost(client, host, room_id, "NOT-AN-ID", ["kick"])
    assert error_code(response, 422) == "invalid_input"
    response = await client.delete(f"/api/rooms/{room_id}/cohosts/{mid}", headers=auth(host))
    assert error_code(response, 409) == "not_cohost"

    expect(await client.post(f"/api/rooms/{room_id}/leave", headers=auth(guest)), 204)
    response = await set_cohost(client, host, room_id, mid, ["kick"])
    assert error_code(response, 404) == "member_not_found"


async def test_the_eleventh_cohost_is_refused(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    ids = []
    for _ in range(11):
        _, token = await make_user(client)
        ids.append((await join(client, token, room["link"]))["me"]["id"])
    for mid in ids[:10]:
        expect(await set_cohost(client, host, room["id"], mid, ["hide"]), 200)

    response = await set_cohost(client, host, room["id"], ids[10], ["hide"])
    assert error_code(response, 409) == "cohost_limit"
    assert response.json()["error"]["details"] == {"max_cohosts": 10}
    # Changing an existing co-host's rights is not a new appointment.
    expect(await set_cohost(client, host, room["id"], ids[0], ["kick"]), 200)
    # Removing one frees a place.
    path = f"/api/rooms/{room['id']}/cohosts/{ids[0]}"
    expect(await client.delete(path, headers=auth(host)), 200)
    expect(await set_cohost(client, host, room["id"], ids[10], ["hide"]), 200)


async def test_rights_decide_what_a_cohost_may_do(client: httpx.AsyncClient) -> None:
    room_id, host, cohost, cohost_id = await room_with_guest(client)
    _, guest = await make_user(client)
    guest_id = (await join(client, guest, room_id))["me"]["id"]
    seq = (await send_message(client, guest, room_id, "hello"))["seq"]
    expect(await set_cohost(client, host, room_id, cohost_id, ["hide"]), 200)

    hide = f"/api/rooms/{room_id}/messages/{seq}/hide"
    expect(await client.post(hide, json={}, headers=auth(cohost)), 200)
    kick = f"/api/rooms/{room_id}/members/{guest_id}/kick"
    assert error_code(await client.post(kick, json={}, headers=auth(cohost)), 403) == (
        "not_permitted"
    )
    timeout = f"/api/rooms/{room_id}/members/{guest_id}/timeout"
    response = await client.post(timeout, json={"duration_s": 60}, headers=auth(cohost))
    assert error_code(response, 403) == "not_permitted"
    response = await client.post(
        f"/api/rooms/{room_id}/notices", json={"body": "hi"}, headers=auth(cohost)
    )
    assert error_code(response, 403) == "not_permitted"
    # Any co-host reads the audit log; a plain member does not.
    assert "hide" in await audit_actions(client, cohost, room_id)
    response = await client.get(f"/api/rooms/{room_id}/audit", headers=auth(guest))
    assert error_code(response, 403) == "not_permitted"

    # Taking the role back takes the rights with it, at once.
    path = f"/api/rooms/{room_id}/cohosts/{cohost_id}"
    expect(await client.delete(path, headers=auth(host)), 200)
    response = await client.delete(hide, headers=auth(cohost))
    assert error_code(response, 403) == "not_permitted"


@pytest.mark.settings(max_cohosts=1)
async def test_a_cohost_who_becomes_host_drops_their_rights(client: httpx.AsyncClient) -> None:
    room_id, old_host, new_host, new_id = await room_with_guest(client)
    _, other = await make_user(client)
    other_id = (await join(client, other, room_id))["me"]["id"]
    expect(await set_cohost(client, old_host, room_id, new_id, ["hide"]), 200)

    handed = expect(
        await client.post(
            f"/api/rooms/{room_id}/host", json={"member_id": new_id}, headers=auth(old_host)
        ),
        200,
    )
    assert handed["role"] == "host" and "rights" not in handed
    members = await members_by_id(client, other, room_id)
    assert members[new_id]["role"] == "host" and "rights" not in members[new_id]
    # The new host holds every right, and the only co-host place is free again.
    expect(await set_cohost(client, new_host, room_id, other_id, ["kick"]), 200)
    response = await set_cohost(client, old_host, room_id, other_id, ["hide"])
    assert error_code(response, 403) == "not_permitted"
