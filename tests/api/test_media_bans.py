"""Operators' bans of media (docs/protocol.md#reports-and-the-operator): a ban made from
one upload removes every stored upload with the same bytes from the rooms that showed it,
and refuses those bytes, and pictures close to them, on upload everywhere."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.media_helpers import a_room
from tests.api.media_processing_helpers import outcome, stored_rows, upload
from tests.conftest import Server
from tests.factories import auth, error_code, expect, open_socket, send_message
from tests.factory import operator as make_operator_account
from tests.media.inputs import photo


def jpeg(im: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


async def shared_picture(
    server: Server, client: httpx.AsyncClient, token: str, rid: str, data: bytes
) -> dict[str, Any]:
    """``data`` uploaded as a photo, processed, and sent in a message."""
    sock = await open_socket(server.ws_url, token)
    answer = expect(await upload(client, token, rid, data, "image", "pic.jpg"), 201)
    event = await outcome(sock, answer["id"])
    assert event["type"] == "media.ready", event
    sent = await send_message(client, token, rid, "look", media=[answer["id"]])
    await sock.close()
    return sent


@pytest.mark.settings(media_inline_wait_s=60)
async def test_a_banned_picture_leaves_every_room_and_is_refused_everywhere(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    picture = jpeg(photo(640, 480, seed=7))
    rid, _, host, member = await a_room(client)
    other_rid, _, other_host, _ = await a_room(client)
    member_sock = await open_socket(server.ws_url, member)
    sent = await shared_picture(server, client, host, rid, picture)
    elsewhere = await shared_picture(server, client, other_host, other_rid, picture)
    url = sent["media"][0]["variants"]["full"]["url"]
    assert (await client.get(url, headers=auth(member))).status_code == 200

    operator = (await make_operator_account(client, server)).token
    path = f"/api/admin/media/{sent['media'][0]['id']}/ban"
    refused = await client.post(path, json={"reason": "x"}, headers=auth(member))
    assert error_code(refused, 403) == "operator_only"
    ban = expect(
        await client.post(path, json={"reason": "abuse material"}, headers=auth(operator)), 201
    )
    assert ban["removed_uploads"] == 2 and ban["changed_messages"] == 2

    # Gone from the room, live and in history, and its bytes are no longer served.
    event = await member_sock.next_event(
        "message", where=lambda e: e["message"]["seq"] == sent["seq"] and e["change"] == "edited"
    )
    assert event["message"].get("media", []) == []
    page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(member)), 200)
    assert [m.get("media", []) for m in page["messages"] if m["seq"] == sent["seq"]] == [[]]
    assert error_code(await client.get(url, headers=auth(member)), 404) == "media_not_found"
    other = elsewhere["media"][0]["variants"]["full"]["url"]
    assert error_code(await client.get(other, headers=auth(other_host)), 404) == "media_not_found"

    # The same bytes, as a photo or a file, and a recompressed smaller copy: refused.
    rows = await stored_rows(server)
    again = await upload(client, member, rid, picture, "file", "same.jpg")
    assert error_code(again, 403) == "media_banned"
    copy = jpeg(photo(640, 480, seed=7).resize((576, 432)), quality=70)
    close = await upload(client, other_host, other_rid, copy, "image", "copy.jpg")
    assert error_code(close, 403) == "media_banned"
    assert await stored_rows(server) == rows
    # Another picture is not.
    fine = await upload(client, member, rid, jpeg(photo(640, 480, seed=8)), "image", "b.jpg")
    assert fine.status_code == 201

    # Listed, audited in the room it was banned from, and lifted.
    bans = expect(await client.get("/api/admin/media-bans", headers=auth(operator)), 200)["bans"]
    assert [(b["id"], b["reason"], b["perceptual"]) for b in bans] == [
        (ban["id"], "abuse material", True)
    ]
    log = expect(await client.get(f"/api/rooms/{rid}/audit", headers=auth(host)), 200)
    actions = [e["action"] for e in log["entries"]]
    assert "ban_media" in actions and "remove_banned_media" in actions
    lifted = await client.delete(f"/api/admin/media-bans/{ban['id']}", headers=auth(operator))
    assert lifted.status_code == 204
    assert (await upload(client, member, rid, picture, "file", "same.jpg")).status_code == 201


async def test_a_banned_file_is_refused_by_its_bytes(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, _ = await a_room(client)
    data = b"PK\x03\x04 not what it seems " * 100
    first = expect(await upload(client, host, rid, data, "file", "tool.zip"), 201)
    operator = (await make_operator_account(client, server)).token
    path = f"/api/admin/media/{first['id']}/ban"
    ban = expect(await client.post(path, json={"reason": "malware"}, headers=auth(operator)), 201)
    assert ban["removed_uploads"] == 1 and ban["changed_messages"] == 0
    assert error_code(await client.get(f"/api/media/{first['id']}", headers=auth(host)), 404)
    again = await upload(client, host, rid, data, "file", "renamed.bin")
    assert error_code(again, 403) == "media_banned"
    missing = await client.post(
        "/api/admin/media/nope/ban", json={"reason": "x"}, headers=auth(operator)
    )
    assert error_code(missing, 404) == "media_not_found"
