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
from tests.factory import room, user
from tests.fakes.clock import OffsetClock, until


def bots(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["kind"] == "bot"]


def ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


# -- welcome -------------------------------------------------------------------------


async def test_a_newcomer_is_welcomed_by_name_live_and_in_history(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client)
    await r.host.set_bot(welcome="Welcome {nickname}! Rules are pinned.")
    newcomer = await user(client)
    host_socket = await r.host.connect()
    newcomer_socket = await newcomer.connect()

    me = await newcomer.join(r, nickname="Mina")

    expected = {"kind": "bot", "body": "Welcome Mina! Rules are pinned.", "mentions": [me.id]}
    for sock in (host_socket, newcomer_socket):
        live = (await sock.next_message(kind="bot"))["message"]
        assert {k: live.get(k) for k in expected} == expected
        assert live["member"] is None
    stored = bots(await me.messages())
    assert len(stored) == 1
    assert {k: stored[0].get(k) for k in expected} == expected
    assert stored[0]["member"] is None


async def test_no_welcome_without_a_welcome_text(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "member"])
    await r.host.set_bot(welcome=None, answers=[{"keywords": ["x"], "answer": "y"}])
    late = await user(client)
    await late.join(r.id)
    assert bots(await r.host.messages()) == []


async def test_a_changed_welcome_is_used_at_the_next_join(client: httpx.AsyncClient) -> None:
    r = await room(client)
    await r.host.set_bot(welcome="first")
    await r.add()
    await r.host.set_bot(welcome="second")
    await r.add()
    said = [m["body"] for m in bots(await r.host.messages())]
    assert said == ["first", "second"]


# -- keyword answers -----------------------------------------------------------------


async def test_a_keyword_question_gets_the_answer_as_a_reply(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "member"])
    answers = [
        {"keywords": ["공지"], "answer": "공지는 상단에 고정되어 있어요."},
        {"keywords": ["ルール", "Rules"], "answer": "See the pinned notice."},
    ]
    await r.host.set_bot(answers=answers)
    sock = await r.member.connect()

    question = await r.member.send("공지 어디서 봐요?")
    reply = (await sock.next_message(kind="bot"))["message"]
    assert reply["reply_to"] == question["seq"]
    assert reply["body"] == "공지는 상단에 고정되어 있어요."
    assert reply["member"] is None

    # Case and width do not matter: full-width "ＲＵＬＥＳ" folds to "rules".
    question = await r.member.send("where are the ＲＵＬＥＳ?")
    reply = (await sock.next_message(kind="bot"))["message"]
    assert (reply["reply_to"], reply["body"]) == (question["seq"], "See the pinned notice.")


async def test_a_repeated_question_is_answered_once_within_the_cooldown(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "member"])
    await r.host.set_bot(answers=[{"keywords": ["공지"], "answer": "상단 고정"}])
    first = await r.member.send("공지 어디서 봐요?")
    await r.member.send("공지 어디서 봐요?")
    await server.app.state.supervisor.settle(bot.ANSWER_TASK)
    replies = bots(await r.host.messages())
    assert [(m["reply_to"], m["body"]) for m in replies] == [(first["seq"], "상단 고정")]


async def test_messages_without_keywords_get_no_answer(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "member"])
    await r.host.set_bot(answers=[{"keywords": ["공지"], "answer": "상단 고정"}])
    await r.member.send("안녕하세요")
    await server.app.state.supervisor.settle(bot.ANSWER_TASK)
    assert bots(await r.host.messages()) == []


async def test_bot_messages_replay_as_kind_bot_on_resume(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "member"])
    await r.host.set_bot(answers=[{"keywords": ["faq"], "answer": "read the FAQ"}])
    question = await r.member.send("FAQ?")
    await server.app.state.supervisor.settle(bot.ANSWER_TASK)
    sock = await r.member.connect(since={r.id: question["seq"]})
    replayed = (await sock.next_message(kind="bot"))["message"]
    assert replayed["member"] is None
    assert (replayed["reply_to"], replayed["body"]) == (question["seq"], "read the FAQ")


# -- settings and who may change them ------------------------------------------------


async def test_members_read_the_bot_and_only_moderators_change_it(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "member"])
    saved = await r.host.set_bot(
        welcome="  hi  ",
        answers=[{"keywords": [" 공지 ", "공지", "Notice"], "answer": "pinned"}],
    )
    assert saved["welcome"] == "hi"
    assert saved["answers"] == [{"keywords": ["공지", "Notice"], "answer": "pinned"}]
    assert await r.member.bot() == saved

    assert await r.member.set_bot(welcome="x", status=403) == "not_permitted"
    refused = await r.member.add_schedule(body="x", interval_s=3600, status=403)
    assert refused == "not_permitted"

    stranger = await r.outsider()
    assert await stranger.bot(status=404) == "room_not_found"


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
    r = await room(client)
    assert await r.host.set_bot(**body, status=422) == code


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
    r = await room(client)
    assert await r.host.add_schedule(**body, status=status) == code


async def test_a_room_has_at_most_ten_schedules_and_deletes_them(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client)
    made = [await r.host.add_schedule(body=f"n{i}", interval_s=3600) for i in range(10)]
    extra = await r.host.add_schedule(body="n10", interval_s=3600, status=409)
    assert extra == "too_many_schedules"

    await r.host.delete_schedule(made[0]["id"])
    assert await r.host.delete_schedule(made[0]["id"], status=404) == "schedule_not_found"
    listed = await r.host.schedules()
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
    r = await room(client, ["host", "member"])
    sock = await r.member.connect()
    # Due 1000 s ago every 300 s: three due times were missed while "down"; one post.
    first_at = ago(1000)
    made = await r.host.add_schedule(
        body="정기 공지", interval_s=300, first_at=first_at.isoformat()
    )

    await next_ticks(server, clock, 1)
    posted = (await sock.next_message(kind="bot"))["message"]
    assert (posted["body"], posted["member"]) == ("정기 공지", None)
    await next_ticks(server, clock, 3)
    assert [m["body"] for m in bots(await r.member.messages())] == ["정기 공지"]
    listed = await r.member.schedules()
    assert listed[0]["id"] == made["id"]
    next_at = datetime.fromisoformat(listed[0]["next_at"])
    assert next_at == first_at + timedelta(seconds=1200)


@pytest.mark.settings(bot_tick_s=60)
async def test_a_schedule_posts_at_each_due_time_and_not_before(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client, ["host", "member"])
    first_at = clock.now() + timedelta(minutes=5)
    await r.host.add_schedule(body="hourly", interval_s=3600, first_at=first_at.isoformat())

    async def posted_after(moment: datetime) -> list[str]:
        clock.advance_to(moment)
        await next_ticks(server, clock, 1)
        return [m["body"] for m in bots(await r.member.messages())]

    assert await posted_after(first_at - timedelta(minutes=2)) == []
    assert await posted_after(first_at) == ["hourly"]
    assert await posted_after(first_at + timedelta(minutes=58)) == ["hourly"]
    assert await posted_after(first_at + timedelta(hours=1)) == ["hourly", "hourly"]


@pytest.mark.settings(bot_tick_s=3600)
async def test_racing_ticks_post_each_due_time_once(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client)
    for body in ("a", "b"):
        await r.host.add_schedule(body=body, interval_s=300, first_at=ago(5).isoformat())
    ctx = server.app.state.ctx
    # A second claimant with its own connection pool and write lock: another process.
    other = build_context(server.settings)
    try:
        counts = await asyncio.gather(bot.tick(ctx), bot.tick(ctx), bot.tick(other))
    finally:
        await other.db.dispose()
        await other.limiter.stop()
    assert sum(counts) == 2
    assert sorted(m["body"] for m in bots(await r.host.messages())) == ["a", "b"]
    assert await bot.tick(ctx) == 0


@pytest.mark.settings(bot_tick_s=3600)
async def test_a_closed_room_gets_no_scheduled_notices(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client)
    await r.host.add_schedule(body="still here?", interval_s=300, first_at=ago(5).isoformat())
    await r.host.leave()
    assert await bot.tick(server.app.state.ctx) == 0
