"""Rooms: creation, tags, visibility, participation codes, member caps, links, policies."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    history,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
    upload_picture,
)


async def test_a_new_group_room_has_the_documented_defaults(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client, display_name="Hana")
    created = await make_room(client, token, name="  Seoul   hikers ", description=" Weekends ")
    room, me = created["room"], created["me"]
    assert room["kind"] == "group"
    assert room["name"] == "Seoul hikers"
    assert room["description"] == "Weekends"
    assert room["visibility"] == "public"
    assert room["profile_policy"] == "open_allowed"
    assert room["member_cap"] == 1500
    assert room["member_count"] == 1
    assert room["status"] == "open"
    assert room["has_code"] is False
    assert room["link"].startswith("/l/")
    assert room["last_seq"] == 1
    assert me["role"] == "host"
    assert me["profile"] == "main"
    assert me["nickname"] == "Hana"
    page = await history(client, token, room["id"])
    [first] = page["messages"]
    assert first["seq"] == 1
    assert first["kind"] == "system"
    assert first["system"] == {"event": "created"}
    assert first["member"] == me["id"]


async def test_tags_are_normalised_and_deduplicated(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    tags = [
        {"name": "#K-Pop", "category": "hobby"},
        {"name": "  k-pop ", "category": "content"},  # the same tag: the first category wins
        {"name": "Seoul \t  Food", "category": "place"},
        {"name": "ＢＴＳ", "category": "person"},  # full-width letters (NFKC)
    ]
    room = (await make_room(client, token, tags=tags))["room"]
    assert sorted((t["name"], t["category"]) for t in room["tags"]) == [
        ("bts", "person"),
        ("k-pop", "hobby"),
        ("seoul food", "place"),
    ]
    again = expect(await client.get(f"/api/rooms/{room['id']}", headers=auth(token)), 200)
    assert sorted(t["name"] for t in again["tags"]) == ["bts", "k-pop", "seoul food"]


@pytest.mark.parametrize(
    "tags",
    [
        [{"name": "#", "category": "hobby"}],
        [{"name": "x" * 41, "category": "hobby"}],
        [{"name": f"tag{i}", "category": "hobby"} for i in range(11)],
    ],
    ids=["empty", "too-long", "too-many"],
)
async def test_invalid_tags_are_refused(client: httpx.AsyncClient, tags: list) -> None:
    _, token = await make_user(client)
    response = await client.post(
        "/api/rooms", json={"name": "r", "tags": tags}, headers=auth(token)
    )
    assert error_code(response, 422) == "invalid_tag"


async def test_a_public_room_can_be_previewed_by_anyone(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, stranger = await make_user(client)
    room = (await make_room(client, host, name="Open to all"))["room"]
    for headers in ({}, auth(stranger)):
        preview = expect(await client.get(f"/api/rooms/{room['id']}", headers=headers), 200)
        assert preview["name"] == "Open to all"
        assert "me" not in preview


async def test_an_unlisted_room_is_hidden_by_id_but_joinable_by_link(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host, name="Secret garden", visibility="unlisted"))["room"]
    for headers in ({}, auth(guest)):
        response = await client.get(f"/api/rooms/{room['id']}", headers=headers)
        assert error_code(response, 404) == "room_not_found"
    assert (
        error_code(
            await client.post(f"/api/rooms/{room['id']}/join", json={}, headers=auth(guest)), 404
        )
        == "room_not_found"
    )

    code = room["link"].removeprefix("/l/")
    for path in (f"/api/links/{code}", f"/l/{code}"):
        preview = expect(await client.get(path), 200)
        assert preview["id"] == room["id"]
        assert preview["name"] == "Secret garden"
        assert "last_seq" not in preview

    joined = await join(client, guest, room["link"])
    assert joined["room"]["id"] == room["id"]
    assert joined["room"]["member_count"] == 2
    assert joined["me"]["role"] == "member"
    seen = expect(await client.get(f"/api/rooms/{room['id']}", headers=auth(guest)), 200)
    assert seen["me"]["id"] == joined["me"]["id"]


async def test_an_unknown_link_is_link_not_found(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    assert error_code(await client.get("/api/links/nosuchcode"), 404) == "link_not_found"
    assert error_code(await client.get("/l/nosuchcode"), 404) == "link_not_found"
    response = await client.post("/api/links/nosuchcode/join", json={}, headers=auth(token))
    assert error_code(response, 404) == "link_not_found"


async def test_joining_twice_returns_the_same_membership(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    first = await join(client, guest, room["id"])
    second = await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Other"})
    assert second["me"] == first["me"]
    assert second["room"]["member_count"] == 2
    joins = [
        m
        for m in (await history(client, host, room["id"]))["messages"]
        if m["kind"] == "system" and m["system"]["event"] == "joined"
    ]
    assert len(joins) == 1


async def test_a_participation_code_is_required_to_join(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host, code="open sesame"))["room"]
    assert room["has_code"] is True
    assert (
        error_code(
            await client.post(f"/api/rooms/{room['id']}/join", json={}, headers=auth(guest)), 403
        )
        == "code_required"
    )
    err = await join(client, guest, room["link"], code="open barley", status=403)
    assert err["error"]["code"] == "wrong_code"
    err = await join(client, guest, room["id"], code="", status=403)
    assert err["error"]["code"] == "code_required"
    joined = await join(client, guest, room["link"], code="  open sesame ")
    assert joined["room"]["member_count"] == 2


@pytest.mark.parametrize("code", ["abc", "x" * 33])
async def test_a_participation_code_has_4_to_32_characters(
    client: httpx.AsyncClient, code: str
) -> None:
    _, host = await make_user(client)
    response = await client.post("/api/rooms", json={"name": "r", "code": code}, headers=auth(host))
    assert error_code(response, 422) == "invalid_participation_code"


async def test_a_full_room_refuses_the_next_member(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, second = await make_user(client)
    _, third = await make_user(client)
    room = (await make_room(client, host, member_cap=2))["room"]
    assert room["member_cap"] == 2
    await join(client, second, room["link"])
    err = await join(client, third, room["link"], status=409)
    assert err["error"]["code"] == "room_full"
    assert err["error"]["details"]["member_cap"] == 2
    err = await join(client, third, room["id"], status=409)
    assert err["error"]["code"] == "room_full"
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert len(members) == 2


@pytest.mark.parametrize("cap", [1, 1501, 200_000])
async def test_the_member_cap_stays_within_the_instance_limits(
    client: httpx.AsyncClient, cap: int
) -> None:
    _, host = await make_user(client)
    response = await client.post(
        "/api/rooms", json={"name": "r", "member_cap": cap}, headers=auth(host)
    )
    assert error_code(response, 422) == "invalid_member_cap"


@pytest.mark.settings(max_member_cap=5000)
async def test_an_instance_can_allow_bigger_rooms(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, member_cap=5000))["room"]
    assert room["member_cap"] == 5000
    response = await client.post(
        "/api/rooms", json={"name": "r", "member_cap": 5001}, headers=auth(host)
    )
    assert error_code(response, 422) == "invalid_member_cap"


async def test_regenerating_the_link_retires_the_old_one(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    old = room["link"]
    renewed = expect(await client.post(f"/api/rooms/{room['id']}/link", headers=auth(host)), 200)
    new = renewed["link"]
    assert new != old
    old_code = old.removeprefix("/l/")
    assert error_code(await client.get(f"/api/links/{old_code}"), 404) == "link_not_found"
    err = await join(client, guest, old, status=404)
    assert err["error"]["code"] == "link_not_found"
    joined = await join(client, guest, new)
    assert joined["room"]["id"] == room["id"]


async def test_only_the_host_regenerates_the_link(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    _, stranger = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, member, room["link"])
    path = f"/api/rooms/{room['id']}/link"
    assert error_code(await client.post(path, headers=auth(member)), 403) == "not_permitted"
    assert error_code(await client.post(path, headers=auth(stranger)), 404) == "room_not_found"
    link = expect(await client.get(f"/api/rooms/{room['id']}", headers=auth(host)), 200)["link"]
    assert link == room["link"]


async def test_a_main_profile_room_refuses_open_profiles(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client, display_name="Guest Main")
    room = (await make_room(client, host, profile_policy="main_required"))["room"]
    err = await join(
        client, guest, room["link"], profile={"kind": "open", "nickname": "Masked"}, status=403
    )
    assert err["error"]["code"] == "main_profile_required"
    joined = await join(client, guest, room["link"], profile={"kind": "main"})
    assert joined["me"]["nickname"] == "Guest Main"
    assert joined["me"]["profile"] == "main"


async def test_joining_with_a_saved_open_profile_copies_it(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    moon = await upload_picture(client, guest)
    saved = expect(
        await client.post(
            "/api/me/open-profiles",
            json={"nickname": "Moon", "avatar_url": moon},
            headers=auth(guest),
        ),
        201,
    )
    joined = await join(
        client, guest, room["link"], profile={"kind": "open", "open_profile_id": saved["id"]}
    )
    assert joined["me"]["nickname"] == "Moon"
    assert joined["me"]["avatar_url"] == moon
    assert joined["me"]["profile"] == "open"
    # Editing the saved profile later leaves the membership as it was.
    await client.patch(
        f"/api/me/open-profiles/{saved['id']}", json={"nickname": "Sun"}, headers=auth(guest)
    )
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert "Moon" in {m["nickname"] for m in members}
    assert "Sun" not in {m["nickname"] for m in members}


async def test_joining_with_someone_elses_open_profile_fails(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, owner = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    saved = expect(
        await client.post("/api/me/open-profiles", json={"nickname": "Moon"}, headers=auth(owner)),
        201,
    )
    err = await join(
        client,
        guest,
        room["link"],
        profile={"kind": "open", "open_profile_id": saved["id"]},
        status=404,
    )
    assert err["error"]["code"] == "open_profile_not_found"


async def test_the_host_changes_room_settings(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, member, room["link"])
    path = f"/api/rooms/{room['id']}"
    changed = expect(
        await client.patch(
            path,
            json={
                "name": "Renamed",
                "code": "letmein",
                "tags": [{"name": "Go", "category": "hobby"}],
            },
            headers=auth(host),
        ),
        200,
    )
    assert changed["name"] == "Renamed"
    assert changed["has_code"] is True
    assert [t["name"] for t in changed["tags"]] == ["go"]
    last = (await history(client, member, room["id"]))["messages"][-1]
    assert last["system"] == {"event": "room_updated", "fields": ["has_code", "name", "tags"]}
    response = await client.patch(path, json={"name": "Mine"}, headers=auth(member))
    assert error_code(response, 403) == "not_permitted"
    cleared = expect(await client.patch(path, json={"code": ""}, headers=auth(host)), 200)
    assert cleared["has_code"] is False


async def test_members_are_listed_in_pages(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    for _ in range(4):
        _, token = await make_user(client)
        await join(client, token, room["link"])
    path = f"/api/rooms/{room['id']}/members"
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = expect(await client.get(path, params=params, headers=auth(host)), 200)
        seen.extend(m["id"] for m in page["members"])
        after = page["next"]
        if after is None:
            break
    assert len(seen) == 5
    assert seen == sorted(seen)
    assert len(set(seen)) == 5


async def test_the_last_place_goes_to_exactly_one_of_two_joiners(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, member_cap=3))["room"]
    tokens = [(await make_user(client))[1] for _ in range(3)]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/api/links/{room['link'].removeprefix('/l/')}/join", json={}, headers=auth(t)
            )
            for t in tokens
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 409]
    seen = expect(await client.get(f"/api/rooms/{room['id']}", headers=auth(host)), 200)
    assert seen["member_count"] == 3


async def test_joining_twice_at_once_makes_one_membership(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    responses = await asyncio.gather(
        *(
            client.post(f"/api/rooms/{room['id']}/join", json={}, headers=auth(guest))
            for _ in range(3)
        )
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert len({r.json()["me"]["id"] for r in responses}) == 1
    seen = expect(await client.get(f"/api/rooms/{room['id']}", headers=auth(host)), 200)
    assert seen["member_count"] == 2


async def test_my_rooms_list_my_membership_latest_activity_first(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client, display_name="Lee")
    older = await make_room(client, token, name="older")
    newer = await make_room(client, token, name="newer")
    listed = expect(await client.get("/api/rooms", headers=auth(token)), 200)["rooms"]
    assert [r["name"] for r in listed] == ["newer", "older"]
    assert listed[0]["me"] == newer["me"]
    await send_message(client, token, older["room"]["id"], "wake up")
    listed = expect(await client.get("/api/rooms", headers=auth(token)), 200)["rooms"]
    assert [r["name"] for r in listed] == ["older", "newer"]
    assert listed[0]["last_message"]["body"] == "wake up"
    assert listed[0]["me"]["nickname"] == "Lee"
    sock = await open_socket(server.ws_url, token)
    assert sock.ready["rooms"] == listed


async def test_a_cap_below_the_member_count_only_stops_new_joins(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    for _ in range(2):
        await join(client, (await make_user(client))[1], room["link"])
    capped = expect(
        await client.patch(f"/api/rooms/{room['id']}", json={"member_cap": 2}, headers=auth(host)),
        200,
    )
    assert (capped["member_cap"], capped["member_count"]) == (2, 3)
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert len(members) == 3
    err = await join(client, (await make_user(client))[1], room["link"], status=409)
    assert err["error"]["code"] == "room_full"
