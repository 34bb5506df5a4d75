"""Trending: rooms ranked by how many people wrote or joined lately, the hours weighted
down with their age. People, not messages: one member's flood does not lift a room."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, func, select

from openlink.domain.discovery import hour_bucket
from openlink.store.schema import room_activity
from tests.conftest import Server
from tests.factories import error_code, expect
from tests.factory import Room, room, user


async def trending(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    return dict(expect(await client.get("/api/discover/trending", params=params), 200))


def ranked(body: dict[str, Any]) -> list[str]:
    return [r["id"] for r in body["rooms"]]


async def add_activity(server: Server, rows: list[tuple[str, int, str, str]]) -> None:
    """(room, hours ago, member, kind) rows, written straight into the table."""
    now = hour_bucket(datetime.now(UTC))
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(
            room_activity.insert(),
            [
                {"room_id": r, "bucket": now - ago, "member_id": m, "kind": k}
                for r, ago, m, k in rows
            ],
        )


async def test_five_people_outrank_one_member_with_fifty_messages(
    client: httpx.AsyncClient,
) -> None:
    spam = await room(client, 5)
    chat = await room(client, 5)
    for i in range(50):
        await spam.host.send(f"buy now {i}")
    for member in chat:
        await member.send("hello all")
    body = await trending(client)
    assert ranked(body)[:2] == [chat.id, spam.id]
    scores = {r["id"]: r["score"] for r in body["rooms"]}
    # Both had four joins; the chat had five writers, the flood one.
    assert scores[chat.id] - scores[spam.id] == pytest_approx(4.0)
    view = body["rooms"][0]
    assert view["name"] and view["link"].startswith("/l/") and "member_count" in view


def pytest_approx(value: float) -> Any:
    import pytest

    return pytest.approx(value, rel=0.02)


async def test_joins_count_double_and_old_hours_fade(
    server: Server, client: httpx.AsyncClient
) -> None:
    host = await user(client)
    ids = [(await host.create_room(name=f"room {i}")).id for i in range(4)]
    now_poster, now_joiner, crowd_yesterday, too_old = ids
    await add_activity(
        server,
        [
            (now_poster, 0, "m1", "post"),
            (now_joiner, 0, "m2", "join"),
            # Six people a day ago: 6 x 2^-4 = 0.375, less than one person now.
            *[(crowd_yesterday, 24, f"p{i}", "post") for i in range(6)],
            # Outside the 48-hour window: not there at all.
            *[(too_old, 48, f"q{i}", "post") for i in range(20)],
        ],
    )
    body = await trending(client)
    assert ranked(body) == [now_joiner, now_poster, crowd_yesterday]
    score = {r["id"]: r["score"] for r in body["rooms"]}
    assert score[now_joiner] / score[now_poster] == pytest_approx(2.0)
    assert score[crowd_yesterday] / score[now_poster] == pytest_approx(6 * 2**-4)
    # Six hours is one half-life.
    await add_activity(server, [(too_old, 6, "r1", "post"), (too_old, 6, "r2", "post")])
    score = {r["id"]: r["score"] for r in (await trending(client))["rooms"]}
    assert score[too_old] / score[now_poster] == pytest_approx(1.0)


async def test_unlisted_closed_and_one_to_one_rooms_never_trend(
    client: httpx.AsyncClient,
) -> None:
    public = await room(client, 2)
    unlisted = await room(client, 2, visibility="unlisted")
    closed = await room(client, 2)
    link = await room(client, kind="direct_link")
    guest = await user(client)
    direct = Room(client, (await guest.join(link.link))["room"])
    for r in (public, unlisted, closed):
        for member in r:
            await member.send()
    await guest.at(direct).send()
    await link.host.at(direct).send()
    await closed.host.close()
    assert ranked(await trending(client)) == [public.id]


async def test_a_language_filter_and_pages(client: httpx.AsyncClient) -> None:
    ko = await (await user(client, language="ko")).create_room()
    en = await (await user(client, language="en")).create_room()
    await ko.host.send()
    await en.host.send()
    await (await user(client)).join(en.id)
    assert ranked(await trending(client, language="ko")) == [ko.id]
    assert ranked(await trending(client, language="ko-KR")) == [ko.id]
    assert ranked(await trending(client, language="ja")) == []
    bad = await client.get("/api/discover/trending", params={"language": "not a tag"})
    assert error_code(bad, 422) == "invalid_language"
    first = await trending(client, limit=1)
    assert ranked(first) == [en.id] and first["next"]
    second = await trending(client, limit=1, cursor=first["next"])
    assert ranked(second) == [ko.id]
    third = await trending(client, limit=1, cursor=second["next"])
    assert third == {"rooms": [], "next": None}
    wrong = await client.get("/api/discover/trending", params={"cursor": "12.0"})
    assert error_code(wrong, 422) == "invalid_cursor"


async def test_a_members_later_messages_in_the_hour_cost_no_database_write(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, 2)
    inserts: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ROOM_ACTIVITY"):
            inserts.append(statement)

    engine = server.app.state.ctx.db.engine
    sync_engine = getattr(engine, "sync_engine", engine)
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            await r.host.send()
        await r[1].send()
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert len(inserts) == 2  # one per member, not one per message
    async with server.app.state.ctx.db.read() as conn:
        rows = await conn.execute(
            select(room_activity.c.kind, func.count())
            .where(room_activity.c.room_id == r.id)
            .group_by(room_activity.c.kind)
        )
        assert {k: n for k, n in rows} == {"join": 1, "post": 2}
