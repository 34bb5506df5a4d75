"""Room search through the HTTP API: keywords in any script, meaning across languages,
filters, paging, what is never found, and the index keeping up with changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from openlink.store.schema import interest_aliases, interests, room_embeddings
from tests.conftest import Server
from tests.factories import auth, error_code, expect, join, make_room, make_user

INDEX_TIMEOUT_S = 15.0


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    return expect(await client.get("/api/search", params=params), 200)


def ids(body: dict[str, Any]) -> list[str]:
    return [r["id"] for r in body["results"]]


async def found(client: httpx.AsyncClient, room_id: str, **params: Any) -> dict[str, Any]:
    """The room's result for this search, polling while the indexer catches up."""
    async with asyncio.timeout(INDEX_TIMEOUT_S):
        while True:
            body = await search(client, **params)
            for result in body["results"]:
                if result["id"] == room_id:
                    return result
            await asyncio.sleep(0.05)


async def room(
    client: httpx.AsyncClient, token: str, name: str, description: str = "", **fields: Any
) -> str:
    tags = [{"name": t, "category": "hobby"} for t in fields.pop("tags", [])]
    body = await make_room(client, token, name=name, description=description, tags=tags, **fields)
    return str(body["room"]["id"])


async def test_cjk_substrings_of_three_and_two_characters(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client, language="ko")
    hiking = await room(client, token, "주말 등산 모임", "서울 근교 산을 함께 올라요")
    books = await room(client, token, "読書会サークル", "毎月一冊の本を読みます", language="ja")
    climbing = await room(client, token, "登山同好会", "周末一起去爬山", language="zh")

    assert hiking in ids(await search(client, q="등산 모임"))
    assert hiking in ids(await search(client, q="등산"))  # 2 characters: no trigram
    assert ids(await search(client, q="등산"))[0] == hiking
    assert books in ids(await search(client, q="読書"))
    assert books in ids(await search(client, q="一冊の本"))
    assert climbing in ids(await search(client, q="登山"))
    assert climbing in ids(await search(client, q="爬山"))
    for result in (await search(client, q="등산"))["results"]:
        if result["id"] == hiking:
            assert result["match"] in ("keyword", "both")
            assert result["name"] == "주말 등산 모임"
            assert isinstance(result["score"], float)


async def test_latin_keywords_are_substrings_any_case(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    jazz = await room(client, token, "Late Night JAZZ", "vinyl and saxophones", tags=["music"])
    other = await room(client, token, "Gardening", "tomatoes")
    assert jazz in ids(await search(client, q="jazz"))
    assert jazz in ids(await search(client, q="saxophone"))
    assert jazz in ids(await search(client, q="night vinyl"))
    assert jazz in ids(await search(client, q="#music"))
    assert other not in ids(await search(client, q="jazz"))
    both = await search(client, q="saxophones tomatoes")
    assert [r for r in both["results"] if r["match"] != "semantic"] == []


async def test_semantic_search_crosses_languages(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    hiking = await room(
        client, token, "Mountain trail hikers", "We hike mountain trails every weekend."
    )
    books = await room(
        client, token, "책 읽는 밤", "매주 한 권의 책을 읽고 이야기하는 독서 모임", language="ko"
    )
    await room(client, token, "Stock market talk", "Shares, bonds and investing.")

    hit = await found(client, hiking, q="등산 좋아하는 사람들 모임")
    assert hit["match"] == "semantic"
    hit = await found(client, books, q="読書会")
    assert hit["match"] == "semantic"
    body = await search(client, q="読書会")
    assert body["semantic"] == "on"
    assert ids(body)[0] == books


async def test_alias_expansion_finds_a_tag_in_another_language(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client, language="ko")
    await _add_interest(server, "zz-falconry", ["zz-falconry", "falconry", "매사냥", "鷹狩り"])
    tagged = await room(client, token, "주말 모임", "같이 가요", tags=["매사냥"])
    hit = await found(client, tagged, q="falconry")
    assert hit["match"] in ("keyword", "both")
    hit = await found(client, tagged, q="鷹狩り")
    assert hit["match"] in ("keyword", "both")


async def _add_interest(server: Server, name: str, aliases: list[str]) -> None:
    """The interest seed is another feature's: write its rows directly."""
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(
            insert(interests).values(
                id=f"i_{name}",
                name=name,
                category="hobby",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        await tx.conn.execute(
            insert(interest_aliases),
            [{"alias": a, "interest_id": f"i_{name}", "language": None} for a in aliases],
        )


async def test_filters(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    small = await room(client, host, "chess club one", tags=["chess"], language="en")
    big = await room(client, host, "chess club two", tags=["boardgames"], language="en")
    korean = await room(client, host, "체스 chess club", tags=["chess"], language="ko")
    for _ in range(3):
        _, token = await make_user(client)
        await join(client, token, big)

    assert set(ids(await search(client, q="chess club"))) >= {small, big, korean}
    assert set(ids(await search(client, q="chess club", tag="#Chess"))) == {small, korean}
    assert set(ids(await search(client, q="chess club", language="ko"))) == {korean}
    assert set(ids(await search(client, q="chess club", min_members=3))) == {big}
    assert big not in ids(await search(client, q="chess club", max_members=2))
    # No words: the rooms that pass the filters, largest first.
    listed = await search(client, q="  ", tag="chess")
    assert set(ids(listed)) == {small, korean}
    assert ids(await search(client, language="en", min_members=4)) == [big]
    assert listed["results"][0]["match"] is None


async def test_paging_has_no_repeats_or_gaps(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    made = {await room(client, token, f"Paging room {i}", "board games night") for i in range(7)}
    for room_id in made:  # indexed by meaning too, so the ranking holds still while paging
        async with asyncio.timeout(INDEX_TIMEOUT_S):
            while True:
                if (await found(client, room_id, q="board games", limit=50))["match"] == "both":
                    break
                await asyncio.sleep(0.05)
    for params in ({"q": "board games"}, {"q": "", "tag": None}):
        seen: list[str] = []
        cursor = None
        while True:
            page = await search(
                client,
                **{k: v for k, v in params.items() if v is not None},
                limit=3,
                **({"cursor": cursor} if cursor else {}),
            )
            assert len(page["results"]) <= 3
            seen += ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen))
        assert made <= set(seen)
        everything = await search(client, **{k: v for k, v in params.items() if v}, limit=50)
        assert seen == ids(everything)


async def test_unlisted_closed_and_direct_rooms_are_never_found(
    client: httpx.AsyncClient,
) -> None:
    _, token = await make_user(client)
    unlisted = await room(client, token, "Secret knitting circle", visibility="unlisted")
    closed = await room(client, token, "Closed knitting circle")
    expect(await client.post(f"/api/rooms/{closed}/close", headers=auth(token)), 200)
    direct = await room(client, token, "Knitting one to one", kind="direct_link")
    public = await room(client, token, "Open knitting circle")
    await found(client, public, q="뜨개질 모임")  # the indexer has run past all four
    for q in ("knitting", "knitting circle", "뜨개질 모임", ""):
        found_ids = ids(await search(client, q=q, limit=50))
        assert unlisted not in found_ids
        assert closed not in found_ids
        assert direct not in found_ids
    assert public in ids(await search(client, q="knitting"))


async def test_a_renamed_room_is_found_under_its_new_name(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    room_id = await room(client, token, "Pottery evenings", "clay and wheels")
    await found(client, room_id, q="ceramics workshop")
    patch = {"name": "Astronomy nights", "description": "telescopes and stars"}
    expect(await client.patch(f"/api/rooms/{room_id}", json=patch, headers=auth(token)), 200)
    assert room_id in ids(await search(client, q="astronomy"))  # keywords: at once
    old_name = (await search(client, q="pottery"))["results"]
    assert [r["match"] for r in old_name if r["id"] == room_id] in ([], ["semantic"])
    hit = await found(client, room_id, q="별 보는 모임")  # meaning: after the indexer ran
    assert hit["name"] == "Astronomy nights"
    async with asyncio.timeout(INDEX_TIMEOUT_S):
        while True:
            if room_id not in ids(await search(client, q="ceramics workshop")):
                break
            await asyncio.sleep(0.05)


async def test_embeddings_are_recomputed_when_the_model_changes(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client)
    room_id = await room(client, token, "Birdwatching walks", "binoculars at dawn")
    await found(client, room_id, q="새 관찰")
    indexer = server.app.state.indexer
    model_id = indexer.index.embedder.model_id
    await indexer.stop()
    db = server.app.state.ctx.db
    async with db.write() as tx:
        await tx.conn.execute(
            update(room_embeddings).values(model_id="retired-model@0", vector=b"\x00")
        )
    indexer.index.vectors.remove(room_id)
    await indexer.start()
    stored = select(room_embeddings.c.model_id, func.length(room_embeddings.c.vector))
    async with asyncio.timeout(INDEX_TIMEOUT_S):
        while True:
            async with db.read() as conn:
                row = (await conn.execute(stored)).one()
            if tuple(row) == (model_id, 512 * 4):
                break
            await asyncio.sleep(0.05)
    await found(client, room_id, q="새 관찰")


@pytest.mark.settings(embedder="none")
async def test_without_an_embedder_keywords_still_work(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    room_id = await room(client, token, "주말 등산 모임")
    body = await search(client, q="등산")
    assert body["semantic"] == "not_configured"
    assert ids(body) == [room_id]
    assert body["results"][0]["match"] == "keyword"
    assert ids(await search(client, q="mountain hiking")) == []


async def test_bad_parameters_have_codes(client: httpx.AsyncClient) -> None:
    async def code(**params: Any) -> str:
        return error_code(await client.get("/api/search", params=params), 422)

    assert await code(q="x" * 201) == "invalid_query"
    assert await code(q="ok", cursor="not-a-cursor") == "invalid_cursor"
    assert await code(limit=0) == "invalid_limit"
    assert await code(limit=51) == "invalid_limit"
    assert await code(min_members=5, max_members=2) == "invalid_members"
    assert await code(min_members=-1) == "invalid_members"
    assert await code(language="not a language") == "invalid_language"
    assert await code(tag="#") == "invalid_tag"
    assert await code(limit="many") == "invalid_input"
    # A cursor belongs to the search that returned it.
    _, token = await make_user(client)
    for i in range(3):
        await room(client, token, f"cursor room {i}")
    cursor = (await search(client, q="cursor room", limit=1))["next_cursor"]
    assert cursor
    assert await code(q="cursor", cursor=cursor) == "invalid_cursor"
    assert len(ids(await search(client, q="x" * 200))) == 0


def keyword_hits(body: dict[str, Any]) -> list[str]:
    return [r["id"] for r in body["results"] if r["match"] in ("keyword", "both")]


@pytest.mark.settings(embedder="none")
async def test_one_character_words_and_edits_through_the_short_word_index(
    client: httpx.AsyncClient,
) -> None:
    """Keywords only (no embedder), so every hit below is the index's doing."""
    _, token = await make_user(client, language="ja")
    cats = await room(client, token, "猫好きの集まり", "うちの子自慢", language="ja")
    dogs = await room(client, token, "犬の散歩仲間", "朝の公園で", language="ja")
    assert keyword_hits(await search(client, q="猫")) == [cats]
    assert keyword_hits(await search(client, q="猫 自慢")) == [cats]  # 1 + 2 characters
    assert keyword_hits(await search(client, q="散歩")) == [dogs]
    assert keyword_hits(await search(client, q="犬")) == [dogs]

    # A rename reaches the index in the same transaction: no wait, no stale hit.
    expect(
        await client.patch(
            f"/api/rooms/{dogs}",
            json={"name": "鳥を見る会", "description": ""},
            headers=auth(token),
        ),
        200,
    )
    assert keyword_hits(await search(client, q="散歩")) == []
    assert keyword_hits(await search(client, q="犬")) == []
    assert keyword_hits(await search(client, q="鳥")) == [dogs]
    # Tags count too, and change with the tags.
    expect(
        await client.patch(
            f"/api/rooms/{cats}",
            json={"tags": [{"name": "写真", "category": "hobby"}]},
            headers=auth(token),
        ),
        200,
    )
    assert keyword_hits(await search(client, q="写真")) == [cats]
