"""Recommendations: rooms you have never been in, for your interests (in any language),
interests related to them and your language; each says why. Nothing anyone else joins
moves them."""

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


def ranking(found: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """What a caller could learn from: which rooms, in which order, and why."""
    return [(r["id"], r["reasons"]) for r in found]


async def test_what_another_account_joins_never_moves_your_recommendations(
    client: httpx.AsyncClient,
) -> None:
    """A host plants a second account in a small unlisted room with the target. However
    the target then joins or leaves public rooms (alongside the planted account), the
    host's recommendations stay the same rooms, in the same order, for the same reasons."""
    me = await person(client, "en", ["cooking"])
    puppet = await person(client, "en")
    target = await person(client, "ko")
    small = await room(client, me, name="small", visibility="unlisted")
    for token in (puppet, target):
        await join(client, token, small["link"])
    others = [await person(client, lang) for lang in ("en", "ko", "ko", "en")]
    rooms = {
        "en cooks": await room(client, others[0], "cooking", language="en"),
        "ko cooks": await room(client, others[1], "cooking", language="ko"),
        "ko chat": await room(client, others[2], language="ko"),
        "en chat": await room(client, others[3], language="en"),
    }
    before = ranking(await recommended(client, me))
    assert [room_id for room_id, _ in before] == [
        rooms[name]["id"] for name in ("en cooks", "ko cooks", "en chat", "ko chat")
    ]
    joined = {}
    for name in ("ko chat", "en chat", "ko cooks"):
        await join(client, puppet, rooms[name]["id"])
        joined[name] = (await join(client, target, rooms[name]["id"]))["me"]["id"]
        assert ranking(await recommended(client, me)) == before, name
    for name in ("ko chat", "ko cooks"):
        left = await client.post(f"/api/rooms/{rooms[name]['id']}/leave", headers=auth(target))
        assert left.status_code == 204, left.text
        assert ranking(await recommended(client, me)) == before, name
    assert all(
        reason.split(":")[0] in {"interest", "related", "language", "popular"}
        for _, why in before
        for reason in why
    )


async def test_interests_that_rooms_carry_together_are_related(
    client: httpx.AsyncClient,
) -> None:
    me = await person(client, "en", ["hiking"])
    host = await person(client, "ja")
    # Two rooms carry hiking (by its Korean and Japanese names) together with camping.
    for tags in (("등산", "camping"), ("ハイキング", "キャンプ")):
        await room(client, host, *tags, language="ja")
    campers = await room(client, host, "camping", language="ja")
    # One room only pairs hiking with cooking: not enough to relate them.
    await room(client, host, "hiking", "cooking", language="ja")
    cooks = await room(client, host, "cooking", language="ja")
    why = reasons(await recommended(client, me))
    assert why[campers["id"]] == ["related:camping"]
    assert why[cooks["id"]] == ["popular"]
    found = [r["id"] for r in await recommended(client, me)]
    assert found.index(campers["id"]) < found.index(cooks["id"])


async def test_recommendations_page_size_is_bounded(client: httpx.AsyncClient) -> None:
    # Visitors without an account get the popular rooms (tests/api/test_visitors.py).
    me = await person(client)
    too_many = await client.get(
        "/api/discover/recommended", params={"limit": 500}, headers=auth(me)
    )
    assert error_code(too_many, 422) == "invalid_input"
