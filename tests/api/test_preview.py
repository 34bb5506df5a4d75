"""Reading a public room before joining it."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.api.media_processing_helpers import uploaded_ready
from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    picture,
    send_message,
)
from tests.media.inputs import video


async def test_anyone_reads_a_public_rooms_recent_messages_and_notice(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, tags=[{"name": "hiking", "category": "hobby"}]))["room"]
    for i in range(25):
        await send_message(client, host, room["id"], f"message {i}")
    notice = expect(
        await client.post(
            f"/api/rooms/{room['id']}/notices", json={"body": "be kind"}, headers=auth(host)
        ),
        201,
    )

    # Anonymous: no account at all.
    preview = expect(await client.get(f"/api/rooms/{room['id']}/preview"), 200)

    assert preview["room"]["id"] == room["id"]
    assert preview["room"]["tags"] == [{"name": "hiking", "category": "hobby"}]
    assert preview["room"]["member_count"] == 1
    assert preview["notice"]["seq"] == notice["seq"]
    assert preview["notice"]["body"] == "be kind"
    bodies = [m.get("body") for m in preview["messages"] if m["kind"] == "text"]
    assert len(preview["messages"]) == 20
    assert bodies[-1] == "message 24"
    assert "message 0" not in bodies  # recent ones only


async def test_a_hidden_message_shows_no_body_in_the_preview(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    secret = await send_message(client, host, room["id"], "something hurtful")
    expect(
        await client.post(
            f"/api/rooms/{room['id']}/messages/{secret['seq']}/hide", json={}, headers=auth(host)
        ),
        200,
    )
    _, visitor = await make_user(client)
    preview = expect(
        await client.get(f"/api/rooms/{room['id']}/preview", headers=auth(visitor)), 200
    )
    shown = next(m for m in preview["messages"] if m["seq"] == secret["seq"])
    assert shown["hidden"] is True
    assert "body" not in shown
    assert "something hurtful" not in str(preview)


async def test_the_host_can_turn_previews_off(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, member, room["link"])
    changed = expect(
        await client.patch(
            f"/api/rooms/{room['id']}", json={"preview_enabled": False}, headers=auth(host)
        ),
        200,
    )
    assert changed["preview_enabled"] is False

    response = await client.get(f"/api/rooms/{room['id']}/preview")
    assert error_code(response, 403) == "preview_disabled"
    # Members still read their room.
    expect(await client.get(f"/api/rooms/{room['id']}/preview", headers=auth(member)), 200)


async def test_unlisted_rooms_have_no_preview(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, visibility="unlisted"))["room"]
    response = await client.get(f"/api/rooms/{room['id']}/preview")
    assert error_code(response, 404) == "room_not_found"


async def test_a_new_room_takes_the_hosts_language_and_can_change_it(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client, language="ko")
    room = (await make_room(client, host))["room"]
    assert room["language"] == "ko"
    changed = expect(
        await client.patch(f"/api/rooms/{room['id']}", json={"language": "ja"}, headers=auth(host)),
        200,
    )
    assert changed["language"] == "ja"
    bad = await client.patch(
        f"/api/rooms/{room['id']}", json={"language": "not a language"}, headers=auth(host)
    )
    assert error_code(bad, 422) == "invalid_language"


async def test_the_preview_names_the_host_and_the_authors_by_their_member_views(
    client: httpx.AsyncClient,
) -> None:
    """The host joined by creating the room, so no ``joined`` message names them: the
    preview's ``members`` does, as members see them, with nothing of the account."""
    host_user, host = await make_user(client)
    created = await make_room(client, host, profile={"kind": "open", "nickname": "Trail boss"})
    room, host_member = created["room"], created["me"]
    _, talker = await make_user(client)
    talker_member = (
        await join(client, talker, room["link"], profile={"kind": "open", "nickname": "Walker"})
    )["me"]
    user_quiet, quiet = await make_user(client)
    await join(client, quiet, room["link"], profile={"kind": "open", "nickname": "Lurker"})
    _, leaver = await make_user(client)
    await join(client, leaver, room["link"], profile={"kind": "open", "nickname": "Gone"})
    await send_message(client, host, room["id"], "welcome")
    await send_message(client, talker, room["id"], "hi all")
    await send_message(client, leaver, room["id"], "bye")
    expect(await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(leaver)), 204)

    preview = expect(await client.get(f"/api/rooms/{room['id']}/preview"), 200)

    members = {m["id"]: m for m in preview["members"]}
    assert members[host_member["id"]] == host_member | {"role": "host"}
    assert members[host_member["id"]]["nickname"] == "Trail boss"
    assert members[talker_member["id"]]["nickname"] == "Walker"
    # A joined message is its joiner's; those who left are former members, not named.
    assert {m["nickname"] for m in preview["members"]} == {"Trail boss", "Walker", "Lurker"}
    authors = {m["member"] for m in preview["messages"] if m["member"]}
    assert host_member["id"] in authors
    text = str(preview)
    assert host_user["username"] not in text and user_quiet["username"] not in text


async def test_visitors_see_attachments_as_small_pictures_and_placeholders_members_in_full(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The preview is public: a visitor gets what the room's messages show, but of their
    attachments only the kind, shape, duration and small pictures, signed for this hour
    (decision 0029); never a file's name, the video, the voice or the file itself."""
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    _, member = await make_user(client)
    await join(client, member, room["link"])
    sock = await open_socket(server.ws_url, host)
    shot = await uploaded_ready(
        client, sock, host, room["id"], picture((800, 400)), "image", "ann-passport.png"
    )
    clip_bytes = video(tmp_path / "c.mp4", seconds=1.0, width=160, height=120, rate=5)
    clip = await uploaded_ready(
        client, sock, host, room["id"], clip_bytes.read_bytes(), "video", "ann-birthday.mp4"
    )
    notes = expect(
        await upload_file(client, host, room["id"], b"%PDF-1.4 ann's notes", "ann-notes.pdf"),
        201,
    )
    ids = [shot["id"], clip["id"], notes["id"]]
    await send_message(client, host, room["id"], "from the trail", media=ids)

    for visitor in (None, (await make_user(client))[1]):
        headers = auth(visitor) if visitor else {}
        preview = expect(await client.get(f"/api/rooms/{room['id']}/preview", headers=headers), 200)
        photo_v, video_v, file_v = preview["messages"][-1]["media"]
        assert "ann-" not in str(preview)  # no file name
        assert "name" not in photo_v and "member" not in photo_v
        assert set(photo_v["variants"]) == {"small", "medium"}
        assert (photo_v["width"], photo_v["height"]) == (800, 400)
        assert set(video_v["variants"]) == {"poster"}
        assert video_v["duration_ms"] >= 900 and video_v["kind"] == "video"
        assert "variants" not in file_v or file_v["variants"] == {}
        assert file_v["kind"] == "file" and file_v["size"] == len(b"%PDF-1.4 ann's notes")
        # The small pictures load with no token, from the signed URL.
        small = await client.get(photo_v["variants"]["small"]["url"])
        assert small.status_code == 200 and small.headers["content-type"] == "image/webp"
        poster = await client.get(video_v["variants"]["poster"]["url"])
        assert poster.status_code == 200
        # What the visitor was not given cannot be read without joining.
        whole = await client.get(f"/api/media/{clip['id']}/video")
        assert whole.status_code in (401, 404)

    # A member reads the preview's attachments in full, signed.
    full = expect(await client.get(f"/api/rooms/{room['id']}/preview", headers=auth(member)), 200)
    photo_m, video_m, file_m = full["messages"][-1]["media"]
    assert photo_m["name"] == "ann-passport.png" and "full" in photo_m["variants"]
    assert "video" in video_m["variants"]
    original = await client.get(file_m["variants"]["original"]["url"])
    assert original.content == b"%PDF-1.4 ann's notes"

    # A hidden message takes its pictures out of the preview, and their URLs stop working.
    small_url = photo_v["variants"]["small"]["url"]
    seq = preview["messages"][-1]["seq"]
    hidden = await client.post(f"/api/rooms/{room['id']}/messages/{seq}/hide", headers=auth(host))
    assert hidden.status_code == 200, hidden.text
    preview = expect(await client.get(f"/api/rooms/{room['id']}/preview"), 200)
    assert "media" not in preview["messages"][-1]
    assert (await client.get(small_url)).status_code == 404


async def upload_file(
    client: httpx.AsyncClient, token: str, room_id: str, data: bytes, name: str
) -> httpx.Response:
    return await client.post(
        "/api/media", params={"room": room_id, "name": name}, content=data, headers=auth(token)
    )
