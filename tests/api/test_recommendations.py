"""Recommendations: rooms you have never been in, for your interests (in any language),
in your language, and where people from your rooms are; each says why."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import auth, error_code, expect, join, make_room, make_user


async def person(
    client: httpx.AsyncClient, language: str = "en", interests: list[str] | None = None
) -> str:
    _, token = await make_user(client, language=language)
    if interests is not None:
        expect(
            await client.patch("/api/me", json={"interests": interests}, headers=auth(token)), 200
        )
    return token


async def room(client: httpx.AsyncClient, host: str, *tags: str, **fields: Any) -> dict[str, Any]:
    body = {"tags": [{"name": t, "category": "hobby"} for t in tags], **fields}
    made = await make_room(client, host, **body)
    return {**made["room"], "host_member": made["me"]["id"]}


async def recommended(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    body = expect(await client.get("/api/discover/recommended", headers=auth(token)), 200)
    return list(body["rooms"])


def reasons(found: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {r["id"]: r["reasons"] for r in found}


async def test_shared_interests_across_languages_come_first_then_language(
    client: httpx.AsyncClient,
) -> None:
    me = await person(client, "en", ["hiking", "동네 뒷산"])
    korean_hikers = await room(client, await person(client, "ko"), "등산")
    english_chat = await room(client, await person(client, "en-GB"))
    korean_cooks = await room(client, await person(client, "ko"), "요리")
    local_hill = await room(client, await person(client, "ko"), "#동네 뒷산")
    found = await recommended(client, me)
    order = [r["id"] for r in found]
    assert order.index(korean_hikers["id"]) < order.index(english_chat["id"])
    assert order.index(local_hill["id"]) < order.index(english_chat["id"])
    assert order.index(english_chat["id"]) < order.index(korean_cooks["id"])
    why = reasons(found)
    assert why[korean_hikers["id"]] == ["interest:hiking"]
    assert why[local_hill["id"]] == ["interest:동네 뒷산"]
    assert why[english_chat["id"]] == ["language"]
    assert why[korean_cooks["id"]] == ["popular"]
    assert all(isinstance(r["score"], float) for r in found)
    # And the other way round: a Korean hiker is shown the English hiking room.
    english_hikers = await room(client, await person(client, "en"), "Hiking")
    hiker = await person(client, "ko", ["등산"])
    first = (await recommended(client, hiker))[0]
    assert first["id"] in (english_hikers["id"], korean_hikers["id"])
    assert reasons(await recommended(client, hiker))[english_hikers["id"]] == ["interest:hiking"]


async def test_rooms_you_are_in_left_or_were_removed_from_are_never_recommended(
    client: httpx.AsyncClient,
) -> None:
    me = await person(client, "en", ["cooking"])
    host = await person(client, "en")
    rooms = {
        name: await room(client, host, "cooking", name=name)
        for name in ["in", "left", "kicked", "banned", "fresh"]
    }
    unlisted = await room(client, host, "cooking", name="unlisted", visibility="unlisted")
    closed = await room(client, host, "cooking", name="closed")
    expect(await client.post(f"/api/rooms/{closed['id']}/close", headers=auth(host)), 200)
    members = {}
    for name in ("in", "left", "kicked", "banned"):
        members[name] = (await join(client, me, rooms[name]["id"]))["me"]["id"]
    leave = await client.post(f"/api/rooms/{rooms['left']['id']}/leave", headers=auth(me))
    assert leave.status_code == 204, leave.text
    for name, ban in (("kicked", False), ("banned", True)):
        kicked = await client.post(
            f"/api/rooms/{rooms[name]['id']}/members/{members[name]}/kick",
            json={"ban": ban},
            headers=auth(host),
        )
        assert kicked.status_code == 204, kicked.text
    found = await recommended(client, me)
    assert [r["id"] for r in found] == [rooms["fresh"]["id"]]
    assert found[0]["reasons"] == ["interest:cooking", "language"]
    # The host is in all of them: nothing is left to recommend to them.
    assert unlisted["id"] not in [r["id"] for r in await recommended(client, host)]
    assert await recommended(client, host) == []


async def test_rooms_where_people_from_your_rooms_are_say_so(client: httpx.AsyncClient) -> None:
    me = await person(client, "ja")
    home = await room(client, await person(client, "ja"), name="home")
    await join(client, me, home["id"])
    peers = [await person(client, "es") for _ in range(3)]
    for p in peers:
        await join(client, p, home["id"])
    # Two people from my room are in "popular with friends" (plus its host).
    friends = await room(client, await person(client, "es"), name="friends")
    for p in peers[:2]:
        await join(client, p, friends["id"])
    # One is in "just one": one shared room with one stranger names nobody.
    just_one = await room(client, await person(client, "es"), name="just one")
    await join(client, peers[2], just_one["id"])
    # Nor does a 1:1 chat: its other person and peer 3 are both in "just one".
    stranger = await person(client, "es")
    link = await room(client, stranger, kind="direct_link")
    await join(client, me, link["link"])
    await join(client, stranger, just_one["id"])
    found = await recommended(client, me)
    why = reasons(found)
    assert why[friends["id"]] == ["co_members:2"]
    assert why[just_one["id"]] == ["popular"]
    order = [r["id"] for r in found]
    assert order.index(friends["id"]) < order.index(just_one["id"])
    assert home["id"] not in why


async def test_recommendations_need_an_account(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/discover/recommended")
    assert error_code(missing, 401) == "unauthenticated"
    me = await person(client)
    too_many = await client.get(
        "/api/discover/recommended", params={"limit": 500}, headers=auth(me)
    )
    assert error_code(too_many, 422) == "invalid_input"
