"""With no engine configured (the default), messages still carry their detected language,
nothing is translated, and the API says plainly why."""

from __future__ import annotations

import httpx

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


async def test_no_engine_is_said_plainly(client: httpx.AsyncClient) -> None:
    info = expect(await client.get("/api/translation"), 200)
    assert info["engine"] == "none"
    assert info["configured"] is False
    assert "No translation engine is configured" in info["message"]
    assert info["pairs"] == [] and info["languages"] == []


async def test_messages_carry_their_language_and_on_demand_refuses_clearly(
    server: Server, client: httpx.AsyncClient
) -> None:
    _ko, ko_token = await make_user(client, language="ko")
    _ja, ja_token = await make_user(client, language="ja")
    created = await make_room(client, ko_token)
    room_id = created["room"]["id"]
    await join(client, ja_token, created["room"]["link"])
    ja = await open_socket(server.ws_url, ja_token)
    ko = await open_socket(server.ws_url, ko_token)

    cases = {
        "이번 화 정말 재밌었어요": "ko",
        "今回の話、本当に面白かった！": "ja",
        "这一章真的很好看": "zh",
        "El final del capítulo fue increíble": "es",
        "The ending of this chapter was amazing": "en",
        # Very short lines: the room's language decides what the detector cannot.
        "ok": "ko",
        "https://example.org": "ko",
    }
    for body, lang in cases.items():
        ack = await ko.send_and_ack(room_id, body)
        event = await ja.next_message(seq=ack["seq"])
        assert event["message"]["lang"] == lang, body
    assert not [e for e in await ja.barrier() if e["type"] == "message.translated"]

    url = f"/api/rooms/{room_id}/messages/{ack['seq'] - 2}/translation"
    r = await client.get(url, headers=auth(ja_token))
    assert error_code(r, 409) == "translation_not_configured"
    assert "No translation engine" in r.json()["error"]["message"]


async def test_a_line_that_says_nothing_takes_the_rooms_language_never_the_senders(
    server: Server, client: httpx.AsyncClient
) -> None:
    """The detected language is shown to the whole room (and in the public preview): on a
    line the text cannot decide, it must not repeat the sender's account language."""
    _ko, host = await make_user(client, language="ko")
    _fi, finn = await make_user(client, language="fi")
    created = await make_room(client, host)
    room_id = created["room"]["id"]
    assert created["room"]["language"] == "ko"
    await join(client, finn, created["room"]["link"])
    seen = await open_socket(server.ws_url, host)
    for body in ("👍", "12:30", "ok", "https://example.org", "@Moon :)"):
        sent = await send_message(client, finn, room_id, body)
        event = await seen.next_message(seq=sent["seq"])
        assert event["message"]["lang"] == "ko", body
    # An edit is decided the same way.
    edited = expect(
        await client.patch(
            f"/api/rooms/{room_id}/messages/{sent['seq']}",
            json={"body": "12:31"},
            headers=auth(finn),
        ),
        200,
    )
    assert edited["lang"] == "ko"
    preview = expect(await client.get(f"/api/rooms/{room_id}/preview"), 200)
    assert "fi" not in {m.get("lang") for m in preview["messages"]}
    # A long line is still the text's own language, whoever sends it.
    sent = await send_message(client, finn, room_id, "The ending of this chapter was amazing")
    assert (await seen.next_message(seq=sent["seq"]))["message"]["lang"] == "en"


async def test_glossary_rules_are_checked(client: httpx.AsyncClient) -> None:
    _host, token = await make_user(client)
    room_id = (await make_room(client, token))["room"]["id"]
    url = f"/api/rooms/{room_id}/glossary"
    bad = [
        ([{"term": ""}], "invalid_term"),
        ([{"term": "Jinwoo"}, {"term": "jinwoo"}], "duplicate_term"),
        ([{"term": "Jinwoo", "translations": {"not a tag!": "x"}}], "invalid_language"),
        ([{"term": "Jinwoo", "translations": {"ko": " "}}], "invalid_term"),
        ([{"term": f"t{i}"} for i in range(201)], "glossary_too_large"),
    ]
    for terms, code in bad:
        r = await client.put(url, json={"terms": terms}, headers=auth(token))
        assert error_code(r, 422) == code, terms
    assert expect(await client.get(url, headers=auth(token)), 200) == {"terms": []}
