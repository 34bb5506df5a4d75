"""Translation through an OpenAI-compatible endpoint (a fake one on loopback, started by
the test): three readers of three languages, one request per language, the room's
glossary in the prompt."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.fakes import FakeOpenAIServer, openai_translator


@pytest.fixture(autouse=True)
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with openai_translator(monkeypatch) as fake:
        yield fake


async def test_each_language_is_asked_for_once_with_the_glossary(
    server: Server, client: httpx.AsyncClient, llm: FakeOpenAIServer
) -> None:
    _en, en_token = await make_user(client, language="en")
    created = await make_room(client, en_token)
    room_id, link = created["room"]["id"], created["room"]["link"]
    expect(
        await client.put(
            f"/api/rooms/{room_id}/glossary",
            json={"terms": [{"term": "Jinwoo", "translations": {"ko": "진우"}}]},
            headers=auth(en_token),
        ),
        200,
    )
    readers = {}
    for lang in ["ko", "ko", "ja", "ja", "en"]:
        _u, token = await make_user(client, language=lang)
        await join(client, token, link)
        readers.setdefault(lang, []).append(await open_socket(server.ws_url, token))
    sender = await open_socket(server.ws_url, en_token)

    ack = await sender.send_and_ack(room_id, "Jinwoo is back in the new chapter")
    for lang in ("ko", "ja"):
        for sock in readers[lang]:
            got = await sock.next_event("message.translated")
            assert (got["seq"], got["lang"]) == (ack["seq"], lang)
            assert got["body"] == f"[{lang}] Jinwoo is back in the new chapter"
    for sock in readers["en"] + [sender]:
        assert not [e for e in await sock.barrier() if e["type"] == "message.translated"]

    prompts = sorted(body["messages"][0]["content"] for body in llm.bodies)
    assert len(prompts) == 2  # one per target language, not one per reader
    ja_prompt, ko_prompt = prompts[0], prompts[1]
    assert "(source: en, target: ja)" in ja_prompt and "(source: en, target: ko)" in ko_prompt
    assert 'translate "Jinwoo" as "진우"' in ko_prompt
    assert 'keep "Jinwoo" unchanged' in ja_prompt
    assert all(body["model"] == "local-model" for body in llm.bodies)


async def test_an_endpoint_that_fails_leaves_the_original_and_says_so_on_demand(
    server: Server, client: httpx.AsyncClient, llm: FakeOpenAIServer
) -> None:
    llm.respond = lambda body: (503, '{"error": {"message": "model is loading"}}')
    _en, en_token = await make_user(client, language="en")
    _ko, ko_token = await make_user(client, language="ko")
    created = await make_room(client, en_token)
    room_id = created["room"]["id"]
    await join(client, ko_token, created["room"]["link"])
    ko = await open_socket(server.ws_url, ko_token)
    en = await open_socket(server.ws_url, en_token)
    ack = await en.send_and_ack(room_id, "Is anyone here?")
    await ko.next_message(seq=ack["seq"])
    r = await client.get(
        f"/api/rooms/{room_id}/messages/{ack['seq']}/translation", headers=auth(ko_token)
    )
    assert r.status_code == 502
    assert r.json()["error"]["code"] == "translation_failed"
    # Nothing of the engine reaches members: not its address, not the upstream's words.
    for secret in (llm.url, "127.0.0.1", "503", "model is loading"):
        assert secret not in r.text
    assert not [e for e in await ko.barrier() if e["type"] == "message.translated"]


async def test_a_send_never_waits_for_presence(
    server: Server, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After commit, a message's translations start from presence's answer on which
    languages the room's readers read. With Redis presence that answer may wait out a
    Redis timeout, and on SQLite the after-commit step runs under the write lock: so
    asking is a task of its own, which neither the sender nor any other write awaits."""
    _u, token = await make_user(client, language="en")
    room_id = (await make_room(client, token))["room"]["id"]
    never = asyncio.Event()
    asked: list[str] = []
    both_asked = asyncio.Event()

    async def stalled(room: str) -> frozenset[str]:
        asked.append(room)
        if len(asked) == 2:
            both_asked.set()
        await never.wait()
        return frozenset()

    monkeypatch.setattr(server.app.state.ctx.presence, "reading_languages", stalled)
    try:
        async with asyncio.timeout(10):  # a bound: awaited, the first send never returns
            for body in ("The meeting starts at ten", "The meeting ends at noon"):
                await send_message(client, token, room_id, body)
            await both_asked.wait()
    finally:
        never.set()
    assert asked == [room_id, room_id]


@pytest.mark.settings(translations_per_account=2)
async def test_on_demand_translations_tell_nobody_which_languages_members_read(
    server: Server, client: httpx.AsyncClient, llm: FakeOpenAIServer
) -> None:
    """Live translations are made (and stored) for the languages of the readers online
    when a message comes. If a stored one were free and an engine call were counted, or
    anyone could ask for any language, a curious host could tell which languages the
    members read, and when a reader of a rare one was online. So a reader asks only for
    their own language, and every request counts."""
    _, host = await make_user(client, language="en")
    room = (await make_room(client, host, language="en"))["room"]
    rid = room["id"]
    _, quiet = await make_user(client, language="ko")
    _, curious = await make_user(client, language="ko")
    for token in (quiet, curious):
        await join(client, token, room["link"])
    quiet_sock = await open_socket(server.ws_url, quiet)
    host_sock = await open_socket(server.ws_url, host)
    while_online = await host_sock.send_and_ack(rid, "Good morning everyone, the meeting starts")
    await quiet_sock.next_event(
        "message.translated", where=lambda e: e["seq"] == while_online["seq"]
    )
    await quiet_sock.close()
    await host_sock.barrier()
    after_leaving = await host_sock.send_and_ack(rid, "Good evening everyone, the meeting ended")
    assert len(llm.bodies) == 1  # the live translation into ko, stored

    def path(seq: int) -> str:
        return f"/api/rooms/{rid}/messages/{seq}/translation"

    # Another language than one's own is refused the same way, stored or not.
    for message in (while_online, after_leaving):
        asked = await client.get(path(message["seq"]), params={"lang": "ko"}, headers=auth(host))
        assert error_code(asked, 422) == "translation_language_not_yours"
    # In one's own language, the stored translation costs as much as a new one.
    for _ in range(2):
        expect(await client.get(path(while_online["seq"]), headers=auth(curious)), 200)
    spent = await client.get(path(after_leaving["seq"]), headers=auth(curious))
    assert error_code(spent, 429) == "translation_rate_limited"
    assert len(llm.bodies) == 1
