"""The host bot: welcome, keyword answers and scheduled notices, through the public API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from openlink.actions import bot
from openlink.app import build_context
from tests.conftest import Server
from tests.factories import (
    all_messages,
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.fakes.clock import OffsetClock, until


def bots(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["kind"] == "bot"]


async def put_bot(
    client: httpx.AsyncClient, token: str, room_id: str, status: int = 200, **body: Any
) -> Any:
    return expect(
        await client.put(f"/api/rooms/{room_id}/bot", json=body, headers=auth(token)), status
    )


async def add_schedule(
    client: httpx.AsyncClient, token: str, room_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/rooms/{room_id}/bot/schedules", json=body, headers=auth(token))


async def room_with_member(client: httpx.AsyncClient) -> tuple[str, str, str, dict[str, Any]]:
    """(room id, host token, member token, the member's view)."""
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    me = (await join(client, member, room["link"]))["me"]
    return room["id"], host, member, me


def ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


# -- welcome -------------------------------------------------------------------------


async def test_a_newcomer_is_welcomed_by_name_live_and_in_history(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    await put_bot(client, host, rid, welcome="Welcome {nickname}! Rules are pinned.")
    _, newcomer = await make_user(client)
    host_socket = await open_socket(server.ws_url, host)
    newcomer_socket = await open_socket(server.ws_url, newcomer)

    me = (await join(client, newcomer, room["link"], profile={"kind": "open", "nickname": "Mina"}))[
        "me"
    ]

    expected = {"kind": "bot", "body": "Welcome Mina! Rules are pinned.", "mentions": [me["id"]]}
    for sock in (host_socket, newcomer_socket):
        live = (await sock.next_message(kind="bot"))["message"]
        assert {k: live.get(k) for k in expected} == expected
        assert live["member"] is None
    stored = bots(await all_messages(client, newcomer, rid))
    assert len(stored) == 1
    assert {k: stored[0].get(k) for k in expected} == expected
    assert stored[0]["member"] is None


async def test_no_welcome_without_a_welcome_text(client: httpx.AsyncClient) -> None:
    rid, host, _, _ = await room_with_member(client)
    await put_bot(client, host, rid, welcome=None, answers=[{"keywords": ["x"], "answer": "y"}])
    _, late = await make_user(client)
    await join(client, late, rid)
    assert bots(await all_messages(client, host, rid)) == []


async def test_a_changed_welcome_is_used_at_the_next_join(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    await put_bot(client, host, room["id"], welcome="first")
    _, one = await make_user(client)
    await join(client, one, room["link"])
    await put_bot(client, host, room["id"], welcome="second")
    _, two = await make_user(client)
    await join(client, two, room["link"])
    said = [m["body"] for m in bots(await all_messages(client, host, room["id"]))]
    assert said == ["first", "second"]


# -- keyword answers -----------------------------------------------------------------


async def test_a_keyword_question_gets_the_answer_as_a_reply(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, member, _ = await room_with_member(client)
    answers = [
        {"keywords": ["공지"], "answer": "공지는 상단에 고정되어 있어요."},
        {"keywords": ["ルール", "Rules"], "answer": "See the pinned notice."},
    ]
    await put_bot(client, host, rid, answers=answers)
    sock = await open_socket(server.ws_url, member)

    question = await send_message(client, member, rid, "공지 어디서 봐요?")
    reply = (await sock.next_message(kind="bot"))["message"]
    assert reply["reply_to"] == question["seq"]
    assert reply["body"] == "공지는 상단에 고정되어 있어요."
    assert reply["member"] is None

    # Case and width do not matter: full-width "ＲＵＬＥＳ" folds to "rules".
    question = await send_message(client, member, rid, "where are the ＲＵＬＥＳ?")
    reply = (await sock.next_message(kind="bot"))["message"]
    assert (reply["reply_to"], reply["body"]) == (question["seq"], "See the pinned notice.")


async def test_a_repeated_question_is_answered_once_within_the_cooldown(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, member, _ = await room_with_member(client)
    await put_bot(client, host, rid, answers=[{"keywords": ["공지"], "answer": "상단 고정"}])
    first = await send_message(client, member, rid, "공지 어디서 봐요?")
    await send_message(client, member, rid, "공지 어디서 봐요?")
    await server.app.state.supervisor.settle(bot.ANSWER_TASK)
    replies = bots(await all_messages(client, host, rid))
    assert [(m["reply_to"], m["body"]) for m in replies] == [(first["seq"], "상단 고정")]


async def test_messages_without_keywords_get_no_answer(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, member, _ = await room_with_member(client)
    await put_bot(client, host, rid, answers=[{"keywords": ["공지"], "answer": "상단 고정"}])
    await send_message(client, member, rid, "안녕하세요")
    await server.app.state.supervisor.settle(bot.ANSWER_TASK)
    assert bots(await all_messages(client, host, rid)) == []


async def test_bot_messages_replay_as_kind_bot_on_resume(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, host, member, _ = await room_with_member(client)
    await put_bot(client, host, rid, answers=[{"keywords": ["faq"], "answer": "read the FAQ"}])
    question = await send_message(client, member, rid, "FAQ?")
    await server.app.state.supervisor.settle(bot.ANSWER_TASK)
    sock = await open_socket(server.ws_url, member, since={rid: question["seq"]})
    replayed = (await sock.next_message(kind="bot"))["message"]
    assert replayed["member"] is None
    assert (replayed["reply_to"], replayed["body"]) == (question["seq"], "read the FAQ")


# -- settings and who may change them ------------------------------------------------


async def test_members_read_the_bot_and_only_moderators_change_it(
    client: httpx.AsyncClient,
) -> None:
    rid, host, member, _ = await room_with_member(client)
    saved = await put_bot(
        client,
        host,
        rid,
        welcome="  hi  ",
        answers=[{"keywords": [" 공지 ", "공지", "Notice"], "answer": "pinned"}],
    )
    assert saved["welcome"] == "hi"
    assert saved["answers"] == [{"keywords": ["공지", "Notice"], "answer": "pinned"}]
    seen = expect(await client.get(f"/api/rooms/{rid}/bot", headers=auth(member)), 200)
    assert seen == saved

    refused = await client.put(f"/api/rooms/{rid}/bot", json={"welcome": "x"}, headers=auth(member))
    assert error_code(refused, 403) == "not_permitted"
    refused = await add_schedule(client, member, rid, body="x", interval_s=3600)
    assert error_code(refused, 403) == "not_permitted"

    _, stranger = await make_user(client)
    missing = await client.get(f"/api/rooms/{rid}/bot", headers=auth(stranger))
    assert error_code(missing, 404) == "room_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"answers": [{"keywords": ["k"], "answer": "a"}] * 21}, "too_many_answers"),
        ({"answers": [{"keywords": [""], "answer": "a"}]}, "invalid_keyword"),
        ({"answers": [{"keywords": ["x" * 41], "answer": "a"}]}, "invalid_keyword"),
        ({"answers": [{"keywords": [], "answer": "a"}]}, "invalid_keywords"),
        ({"answers": [{"keywords": ["k"] * 11, "answer": "a"}]}, "invalid_keywords"),
        ({"answers": [{"keywords": ["k"], "answer": "  "}]}, "invalid_answer"),
        ({"welcome": "w" * 1001}, "invalid_welcome"),
        ({"welcome": "bell\x07"}, "invalid_text"),
    ],
)
async def test_bot_settings_are_validated(
    client: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    _, host = await make_user(client)
    rid = (await make_room(client, host))["room"]["id"]
    response = await client.put(f"/api/rooms/{rid}/bot", json=body, headers=auth(host))
    assert error_code(response, 422) == code


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"body": "hi", "interval_s": 60}, 422, "invalid_interval"),
        ({"body": "hi", "interval_s": 31 * 86_400}, 422, "invalid_interval"),
        ({"body": " ", "interval_s": 3600}, 422, "invalid_schedule_body"),
        (
            {"body": "hi", "interval_s": 3600, "first_at": "2030-01-01T00:00:00"},
            422,
            "invalid_first_at",
        ),
    ],
)
async def test_schedules_are_validated(
    client: httpx.AsyncClient, body: dict[str, Any], status: int, code: str
) -> None:
    _, host = await make_user(client)
    rid = (await make_room(client, host))["room"]["id"]
    assert error_code(await add_schedule(client, host, rid, **body), status) == code


async def test_a_room_has_at_most_ten_schedules_and_deletes_them(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    rid = (await make_room(client, host))["room"]["id"]
    made = [
        expect(await add_schedule(client, host, rid, body=f"n{i}", interval_s=3600), 201)
        for i in range(10)
    ]
    extra = await add_schedule(client, host, rid, body="n10", interval_s=3600)
    assert error_code(extra, 409) == "too_many_schedules"

    path = f"/api/rooms/{rid}/bot/schedules"
    expect(await client.delete(f"{path}/{made[0]['id']}", headers=auth(host)), 204)
    gone = await client.delete(f"{path}/{made[0]['id']}", headers=auth(host))
    assert error_code(gone, 404) == "schedule_not_found"
    listed = expect(await client.get(path, headers=auth(host)), 200)["schedules"]
    assert [s["id"] for s in listed] == [s["id"] for s in made[1:]]


# -- scheduled notices ---------------------------------------------------------------


async def next_ticks(server: Server, clock: OffsetClock, n: int) -> None:
    """Move the clock a tick at a time and wait for the scheduler to finish ``n`` ticks."""
    scheduler = server.app.state.bot
    for _ in range(n):
        done = scheduler.ticks
        clock.advance(server.settings.bot_tick_s)
        await until(lambda done=done: scheduler.ticks > done)


@pytest.mark.settings(bot_tick_s=1)
async def test_a_due_schedule_posts_once_and_skips_missed_intervals(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    rid, host, member, _ = await room_with_member(client)
    sock = await open_socket(server.ws_url, member)
    # Due 1000 s ago every 300 s: three due times were missed while "down"; one post.
    first_at = ago(1000)
    made = expect(
        await add_schedule(
            client, host, rid, body="정기 공지", interval_s=300, first_at=first_at.isoformat()
        ),
        201,
    )

    await next_ticks(server, clock, 1)
    posted = (await sock.next_message(kind="bot"))["message"]
    assert (posted["body"], posted["member"]) == ("정기 공지", None)
    await next_ticks(server, clock, 3)
    assert [m["body"] for m in bots(await all_messages(client, member, rid))] == ["정기 공지"]
    listed = expect(await client.get(f"/api/rooms/{rid}/bot/schedules", headers=auth(member)), 200)[
        "schedules"
    ]
    assert listed[0]["id"] == made["id"]
    next_at = datetime.fromisoformat(listed[0]["next_at"])
    assert next_at == first_at + timedelta(seconds=1200)


@pytest.mark.settings(bot_tick_s=60)
async def test_a_schedule_posts_at_each_due_time_and_not_before(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    rid, host, member, _ = await room_with_member(client)
    first_at = clock.now() + timedelta(minutes=5)
    body = {"body": "hourly", "interval_s": 3600, "first_at": first_at.isoformat()}
    expect(await add_schedule(client, host, rid, **body), 201)

    async def posted_after(moment: datetime) -> list[str]:
        clock.advance_to(moment)
        await next_ticks(server, clock, 1)
        return [m["body"] for m in bots(await all_messages(client, member, rid))]

    assert await posted_after(first_at - timedelta(minutes=2)) == []
    assert await posted_after(first_at) == ["hourly"]
    assert await posted_after(first_at + timedelta(minutes=58)) == ["hourly"]
    assert await posted_after(first_at + timedelta(hours=1)) == ["hourly", "hourly"]


@pytest.mark.settings(bot_tick_s=3600)
async def test_racing_ticks_post_each_due_time_once(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    rid = (await make_room(client, host))["room"]["id"]
    for body in ("a", "b"):
        response = await add_schedule(
            client, host, rid, body=body, interval_s=300, first_at=ago(5).isoformat()
        )
        expect(response, 201)
    ctx = server.app.state.ctx
    # A second claimant with its own connection pool and write lock: another process.
    other = build_context(server.settings)
    try:
        counts = await asyncio.gather(bot.tick(ctx), bot.tick(ctx), bot.tick(other))
    finally:
        await other.db.dispose()
        await other.limiter.stop()
    assert sum(counts) == 2
    assert sorted(m["body"] for m in bots(await all_messages(client, host, rid))) == ["a", "b"]
    assert await bot.tick(ctx) == 0


@pytest.mark.settings(bot_tick_s=3600)
async def test_a_closed_room_gets_no_scheduled_notices(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    rid = (await make_room(client, host))["room"]["id"]
    response = await add_schedule(
        client, host, rid, body="still here?", interval_s=300, first_at=ago(5).isoformat()
    )
    expect(response, 201)
    expect(await client.post(f"/api/rooms/{rid}/leave", headers=auth(host)), 204)
    assert await bot.tick(server.app.state.ctx) == 0
