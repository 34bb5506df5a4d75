"""Clips (docs/protocol.md#clips): short videos posted to an interest under a chosen
profile or to a room under the poster's membership; feeds per interest, per room and
"for you"; likes, views, comments, reports, hiding; the public share page.

Videos are made ready here by the test (the upload of a file, then its row turned into
a processed video), so these tests do not depend on the codecs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from openlink.actions.media import do_collect
from tests.api.media_processing_helpers import outcome
from tests.conftest import Server
from tests.factories import (
    CLIP_VIDEO,
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    throttled,
)
from tests.factories import make_video as _make_video
from tests.factory import operator as make_operator_account
from tests.fakes.openai_server import openai_translator
from tests.media.inputs import video

VIDEO = CLIP_VIDEO


async def make_video(
    server: Server, client: httpx.AsyncClient, token: str, room: str | None = None, **kw: Any
) -> str:
    return await _make_video(server.app.state.ctx, client, token, room, **kw)


async def interest_id(client: httpx.AsyncClient, name: str = "cooking") -> str:
    found = expect(await client.get("/api/interests", params={"q": name}), 200)
    return str(found["interests"][0]["id"])


async def post(client: httpx.AsyncClient, token: str, status: int = 201, **body: Any) -> Any:
    response = await client.post("/api/clips", json=body, headers=auth(token))
    return expect(response, status) if status < 400 else response


async def test_an_interest_clip_reaches_another_member_under_the_open_profile_only(
    server: Server, client: httpx.AsyncClient
) -> None:
    poster, token = await make_user(client, display_name="Real Name")
    _, viewer = await make_user(client)
    cooking = await interest_id(client)
    media_id = await make_video(server, client, token)
    clip = await post(
        client,
        token,
        media=media_id,
        caption="Knife skills in 15 seconds",
        interest=cooking,
        profile={"kind": "open", "nickname": "Chef Anon"},
    )
    assert clip["poster"] == {"nickname": "Chef Anon", "avatar_url": None, "profile": "open"}
    assert clip["mine"] is True and clip["interest"] == "cooking"
    assert clip["comments_in"] == "thread"

    feed = expect(
        await client.get("/api/clips", params={"interest": cooking}, headers=auth(viewer)), 200
    )
    [seen] = feed["clips"]
    assert seen["id"] == clip["id"] and seen["mine"] is False
    text = str(seen)
    for secret in (poster["username"], "Real Name"):
        assert str(secret) not in text
    # The video plays for the viewer through the variant's URL, by range.
    url = seen["video"]["variants"]["video"]["url"]
    got = await client.get(url, headers={**auth(viewer), "Range": "bytes=0-9"})
    assert got.status_code == 206 and got.content == VIDEO[:10]
    assert got.headers["content-type"] == "video/mp4"
    # Anyone sees it in "for you", the visitor's share page, and its public video.
    mine = expect(await client.get("/api/clips/for-you", headers=auth(viewer)), 200)
    assert [c["id"] for c in mine["clips"]] == [clip["id"]]
    page = await client.get(f"/c/{clip['id']}")
    assert page.status_code == 200
    assert '<meta property="og:video" content="' in page.text
    assert f"/c/{clip['id']}/video" in page.text
    assert "Chef Anon" in page.text and "Knife skills" in page.text
    assert "Real Name" not in page.text
    public = await client.get(f"/c/{clip['id']}/video")
    assert public.status_code == 200 and public.content == VIDEO


async def test_bad_clips_are_refused_with_their_codes(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client)
    _, other = await make_user(client)
    cooking = await interest_id(client)
    room = (await make_room(client, other))["room"]
    cases = [
        (await make_video(server, client, token, kind="file"), 422, "clip_not_video"),
        (await make_video(server, client, token, duration_ms=61_000), 422, "clip_too_long"),
        (await make_video(server, client, token, state="pending"), 409, "media_not_ready"),
        (await make_video(server, client, other), 404, "media_not_found"),
        (await make_video(server, client, other, room["id"]), 404, "media_not_found"),
    ]
    for media_id, status, code in cases:
        response = await post(client, token, 400, media=media_id, interest=cooking)
        assert error_code(response, status) == code, code
    ok = await make_video(server, client, token)
    # Not a member of the room: it is not found.
    response = await post(client, token, 400, media=ok, room=room["id"])
    assert error_code(response, 404) == "room_not_found"
    response = await post(client, token, 400, media=ok)
    assert error_code(response, 422) == "invalid_clip_target"
    response = await post(client, token, 400, media=ok, room=room["id"], interest=cooking)
    assert error_code(response, 422) == "invalid_clip_target"
    response = await post(client, token, 400, media=ok, interest="nosuchinterest")
    assert error_code(response, 404) == "interest_not_found"
    response = await post(client, token, 400, media=ok, interest=cooking, caption="x" * 301)
    assert error_code(response, 422) == "caption_too_long"
    # An upload made in a room never leaves it for an interest.
    mine = (await make_room(client, token))["room"]
    in_room = await make_video(server, client, token, mine["id"])
    response = await post(client, token, 400, media=in_room, interest=cooking)
    assert error_code(response, 422) == "media_wrong_room"
    # One clip per video; and a clip's video cannot be attached to a message.
    await post(client, token, media=ok, interest=cooking)
    response = await post(client, token, 400, media=ok, interest=cooking)
    assert error_code(response, 409) == "media_attached"
    room_clip_video = await make_video(server, client, token, mine["id"])
    await post(client, token, media=room_clip_video, room=mine["id"])
    response = await client.post(
        f"/api/rooms/{mine['id']}/messages",
        json={"client_id": "c1", "body": "see", "media": [room_clip_video]},
        headers=auth(token),
    )
    assert error_code(response, 409) == "media_attached"


@pytest.mark.settings(clip_max_duration_s=90)
async def test_the_longest_clip_is_a_setting(server: Server, client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    media_id = await make_video(server, client, token, duration_ms=89_000)
    await post(client, token, media=media_id, interest=await interest_id(client))


async def test_a_private_rooms_clip_is_seen_by_its_members_only(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    _, stranger = await make_user(client)
    room = (await make_room(client, host, visibility="unlisted"))["room"]
    joined = await join(client, member, room["link"], profile={"kind": "open", "nickname": "M"})
    clip = await post(
        client,
        member,
        media=await make_video(server, client, member, room["id"]),
        room=room["id"],
        caption="hi",
    )
    assert clip["poster"]["member"] == joined["me"]["id"]
    assert clip["poster"]["nickname"] == "M"
    assert clip["room"] == {"id": room["id"], "name": room["name"]}
    assert clip["comments_in"] == "room"
    page = expect(await client.get(f"/api/rooms/{room['id']}/clips", headers=auth(host)), 200)
    assert [c["id"] for c in page["clips"]] == [clip["id"]]
    signed = clip["video"]["variants"]["video"]["url"]
    assert (await client.get(signed)).status_code == 200  # the URL members are given
    # Without the URL only members: the bearer read of the route checks the room.
    url = signed.split("?")[0]
    assert (await client.get(url, headers=auth(host))).status_code == 200
    for response in (
        await client.get(f"/api/clips/{clip['id']}", headers=auth(stranger)),
        await client.get(f"/api/clips/{clip['id']}"),
        await client.get(url, headers=auth(stranger)),
        await client.get(f"/c/{clip['id']}"),
        await client.get(f"/c/{clip['id']}/video"),
        await client.get(f"/api/rooms/{room['id']}/clips", headers=auth(stranger)),
    ):
        assert response.status_code == 404
    for_you = expect(await client.get("/api/clips/for-you", headers=auth(stranger)), 200)
    assert for_you["clips"] == []
    # Talked about in the room, not in a thread.
    response = await client.post(
        f"/api/clips/{clip['id']}/comments", json={"body": "nice"}, headers=auth(host)
    )
    assert error_code(response, 409) == "comments_in_room"


async def test_a_public_rooms_clip_is_public_and_its_hosts_can_hide_it(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, member = await make_user(client)
    _, stranger = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, member, room["link"])
    clip = await post(
        client,
        member,
        media=await make_video(server, client, member, room["id"]),
        room=room["id"],
    )
    assert (await client.get(f"/c/{clip['id']}")).status_code == 200
    for_you = expect(await client.get("/api/clips/for-you", headers=auth(stranger)), 200)
    assert [c["id"] for c in for_you["clips"]] == [clip["id"]]
    # A member cannot hide it; the host can; then only the host and the poster see it.
    response = await client.put(
        f"/api/clips/{clip['id']}/hidden", json={"hidden": True}, headers=auth(stranger)
    )
    assert error_code(response, 403) == "not_allowed"
    expect(
        await client.put(
            f"/api/clips/{clip['id']}/hidden", json={"hidden": True}, headers=auth(host)
        ),
        200,
    )
    assert (await client.get(f"/c/{clip['id']}")).status_code == 404
    assert (await client.get(f"/api/clips/{clip['id']}", headers=auth(stranger))).status_code == 404
    # The URL given before the hide no longer serves it either.
    signed = clip["video"]["variants"]["video"]["url"]
    assert (await client.get(signed)).status_code == 404
    for_you = expect(await client.get("/api/clips/for-you", headers=auth(stranger)), 200)
    assert for_you["clips"] == []
    seen = expect(await client.get(f"/api/clips/{clip['id']}", headers=auth(member)), 200)
    assert seen["hidden"] is True and seen["mine"] is True
    by_host = expect(await client.get(f"/api/rooms/{room['id']}/clips", headers=auth(host)), 200)
    assert [c["id"] for c in by_host["clips"]] == [clip["id"]]


async def test_the_operator_hides_any_clip(server: Server, client: httpx.AsyncClient) -> None:
    op = (await make_operator_account(client, server)).token
    _, token = await make_user(client)
    _, viewer = await make_user(client)
    cooking = await interest_id(client)
    clip = await post(
        client, token, media=await make_video(server, client, token), interest=cooking
    )
    response = await client.put(
        f"/api/clips/{clip['id']}/hidden", json={"hidden": True}, headers=auth(viewer)
    )
    assert error_code(response, 403) == "not_allowed"
    expect(
        await client.put(
            f"/api/clips/{clip['id']}/hidden", json={"hidden": True}, headers=auth(op)
        ),
        200,
    )
    feed = expect(await client.get("/api/clips", params={"interest": cooking}), 200)
    assert feed["clips"] == []


async def test_likes_views_comments_and_reports(server: Server, client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    _, fan = await make_user(client, display_name="Fan Person")
    clip = await post(
        client,
        token,
        media=await make_video(server, client, token),
        interest=await interest_id(client),
    )
    cid = clip["id"]
    for liked, count in ((True, 1), (True, 1), (False, 0), (True, 1)):
        got = expect(
            await client.put(f"/api/clips/{cid}/like", json={"liked": liked}, headers=auth(fan)),
            200,
        )
        assert got == {"likes": count, "liked": liked}
    for counted in (True, False, False):
        got = expect(await client.post(f"/api/clips/{cid}/views", headers=auth(fan)), 200)
        assert got == {"views": 1, "counted": counted}
    seen = expect(await client.get(f"/api/clips/{cid}", headers=auth(fan)), 200)
    assert (seen["likes"], seen["views"], seen["liked"]) == (1, 1, True)
    # The poster sees the count, never who liked.
    mine = expect(await client.get(f"/api/clips/{cid}", headers=auth(token)), 200)
    assert mine["liked"] is False and "Fan Person" not in str(mine)

    for n in range(3):
        expect(
            await client.post(
                f"/api/clips/{cid}/comments",
                json={"body": f"comment {n}", "profile": {"kind": "open", "nickname": "F"}},
                headers=auth(fan),
            ),
            201,
        )
    first = expect(await client.get(f"/api/clips/{cid}/comments", params={"limit": 2}), 200)
    assert [c["body"] for c in first["comments"]] == ["comment 0", "comment 1"]
    assert first["comments"][0]["author"] == {
        "nickname": "F",
        "avatar_url": None,
        "profile": "open",
    }
    rest = expect(
        await client.get(f"/api/clips/{cid}/comments", params={"cursor": first["next"]}), 200
    )
    assert [c["body"] for c in rest["comments"]] == ["comment 2"]
    response = await client.post(
        f"/api/clips/{cid}/comments", json={"body": "  "}, headers=auth(fan)
    )
    assert error_code(response, 422) == "empty_comment"
    assert expect(await client.get(f"/api/clips/{cid}"), 200)["comments"] == 3

    report = {"reason": "spam", "note": ""}
    got = expect(
        await client.post(f"/api/clips/{cid}/reports", json=report, headers=auth(fan)), 201
    )
    assert got["new"] is True
    got = expect(
        await client.post(f"/api/clips/{cid}/reports", json=report, headers=auth(fan)), 201
    )
    assert got["new"] is False
    response = await client.post(f"/api/clips/{cid}/reports", json=report, headers=auth(token))
    assert error_code(response, 422) == "cannot_report_self"
    response = await client.get("/api/admin/clip-reports", headers=auth(fan))
    assert error_code(response, 403) == "operator_only"
    op = (await make_operator_account(client, server)).token
    listed = expect(await client.get("/api/admin/clip-reports", headers=auth(op)), 200)
    assert [(r["clip"]["id"], r["reports"], r["reasons"]) for r in listed["clips"]] == [
        (cid, 1, ["spam"])
    ]
    # The poster deletes it: gone for everyone, its video too.
    url = clip["video"]["variants"]["video"]["url"]
    assert (await client.delete(f"/api/clips/{cid}", headers=auth(fan))).status_code == 404
    assert (await client.delete(f"/api/clips/{cid}", headers=auth(token))).status_code == 204
    assert (await client.get(f"/api/clips/{cid}")).status_code == 404
    assert (await client.get(url, headers=auth(token))).status_code == 404


@pytest.mark.settings(
    clip_likes_per_account=2,
    clip_views_per_account=2,
    clip_comments_per_account=1,
    clip_posts_per_account=1,
)
async def test_every_repeatable_write_is_limited(server: Server, client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    cooking = await interest_id(client)
    clip = await post(
        client, token, media=await make_video(server, client, token), interest=cooking
    )
    response = await post(
        client, token, 400, media=await make_video(server, client, token), interest=cooking
    )
    throttled(response, "clip_rate_limited", 86_400)
    cid = clip["id"]
    _, fan = await make_user(client)
    for liked in (True, False):
        await client.put(f"/api/clips/{cid}/like", json={"liked": liked}, headers=auth(fan))
    response = await client.put(f"/api/clips/{cid}/like", json={"liked": True}, headers=auth(fan))
    throttled(response, "clip_like_rate_limited", 3_600)
    for _ in range(2):
        await client.post(f"/api/clips/{cid}/views", headers=auth(fan))
    response = await client.post(f"/api/clips/{cid}/views", headers=auth(fan))
    throttled(response, "clip_view_rate_limited", 3_600)
    await client.post(f"/api/clips/{cid}/comments", json={"body": "a"}, headers=auth(fan))
    response = await client.post(
        f"/api/clips/{cid}/comments", json={"body": "b"}, headers=auth(fan)
    )
    throttled(response, "clip_comment_rate_limited", 3_600)


async def test_feeds_page_with_cursors_and_for_you_prefers_your_interests(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client)
    cooking = await interest_id(client, "cooking")
    other = await interest_id(client, "hiking")
    ids = []
    for n in range(3):
        clip = await post(
            client,
            token,
            media=await make_video(server, client, token),
            interest=cooking,
            caption=f"clip {n}",
        )
        ids.append(clip["id"])
        server.clock.advance(1)
    elsewhere = await post(
        client, token, media=await make_video(server, client, token), interest=other
    )
    first = expect(await client.get("/api/clips", params={"interest": cooking, "limit": 2}), 200)
    second = expect(
        await client.get(
            "/api/clips", params={"interest": cooking, "limit": 2, "cursor": first["next"]}
        ),
        200,
    )
    got = [c["id"] for c in first["clips"] + second["clips"]]
    assert got == ids[::-1] and second["next"] is None
    response = await client.get("/api/clips", params={"interest": cooking, "cursor": "x"})
    assert error_code(response, 422) == "invalid_cursor"
    # A liked clip rises to the top of "top".
    _, fan = await make_user(client)
    await client.put(f"/api/clips/{ids[0]}/like", json={"liked": True}, headers=auth(fan))
    top = expect(await client.get("/api/clips", params={"interest": cooking, "order": "top"}), 200)
    assert top["clips"][0]["id"] == ids[0]

    # Someone into hiking gets the hiking clip first, although it is no newer or liked.
    _, hiker = await make_user(client)
    expect(await client.patch("/api/me", json={"interests": ["hiking"]}, headers=auth(hiker)), 200)
    page = expect(
        await client.get("/api/clips/for-you", params={"limit": 2}, headers=auth(hiker)), 200
    )
    assert page["clips"][0]["id"] == elsewhere["id"]
    rest = expect(
        await client.get(
            "/api/clips/for-you", params={"cursor": page["next"]}, headers=auth(hiker)
        ),
        200,
    )
    seen = [c["id"] for c in page["clips"] + rest["clips"]]
    assert sorted(seen) == sorted([*ids, elsewhere["id"]])


async def test_the_collector_keeps_a_clips_video(server: Server, client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    clip = await post(
        client,
        token,
        media=await make_video(server, client, token),
        interest=await interest_id(client),
    )
    ctx = server.app.state.ctx
    done = await do_collect(ctx, ctx.now() + timedelta(seconds=ctx.settings.media_orphan_ttl_s * 2))
    assert done.uploads == 0
    url = clip["video"]["variants"]["video"]["url"]
    assert (await client.get(url, headers=auth(token))).status_code == 200


async def test_a_real_vertical_video_uploaded_without_a_room_becomes_a_clip(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The whole path: upload with no room, ``pending``, ``media.ready`` on the
    uploader's socket, posted to an interest, played by another member from the signed
    URL the feed gives, as H.264 MP4 with a poster."""
    _, token = await make_user(client)
    _, viewer = await make_user(client)
    sock = await open_socket(server.ws_url, token)
    data = video(tmp_path / "v.mp4", seconds=1.0, width=144, height=256, rate=10).read_bytes()
    answer = expect(
        await client.post(
            "/api/media",
            params={"kind": "video", "name": "v.mp4"},
            content=data,
            headers=auth(token),
        ),
        201,
    )
    assert answer["room"] is None and answer["member"] is None
    assert answer["state"] == "pending"
    ready = await outcome(sock, answer["id"])
    assert ready["type"] == "media.ready", ready
    clip = await post(client, token, media=answer["id"], interest=await interest_id(client))
    feed = expect(await client.get("/api/clips/for-you", headers=auth(viewer)), 200)
    [seen] = feed["clips"]
    assert seen["id"] == clip["id"] and seen["video"]["height"] > seen["video"]["width"]
    got = await client.get(seen["video"]["variants"]["video"]["url"])  # no bearer: signed
    assert got.status_code == 200 and got.headers["content-type"] == "video/mp4"
    played = tmp_path / "played.mp4"
    played.write_bytes(got.content)
    with av.open(str(played)) as opened:
        assert opened.streams.video[0].codec_context.name == "h264"
    assert "poster" in seen["video"]["variants"]


@pytest.fixture
def translator(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with openai_translator(monkeypatch):
        yield


@pytest.mark.usefixtures("translator")
async def test_a_caption_is_translated_into_the_readers_own_language_only(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client)
    _, reader = await make_user(client, language="ko")
    clip = await post(
        client,
        token,
        media=await make_video(server, client, token),
        interest=await interest_id(client),
        caption="Good morning from the mountains",
    )
    assert clip["lang"] == "en"
    path = f"/api/clips/{clip['id']}/translation"
    got = expect(await client.get(path, headers=auth(reader)), 200)
    assert got == {
        "clip": clip["id"],
        "source_lang": "en",
        "lang": "ko",
        "caption": "[ko] Good morning from the mountains",
        "engine": got["engine"],
    }
    response = await client.get(path, params={"lang": "ja"}, headers=auth(reader))
    assert error_code(response, 422) == "translation_language_not_yours"
    # In the caption's own language: the caption as it is.
    same = expect(await client.get(path, headers=auth(token)), 200)
    assert same["caption"] == "Good morning from the mountains" and same["engine"] is None


async def test_an_operators_ban_of_a_clips_video_removes_the_clip(
    server: Server, client: httpx.AsyncClient
) -> None:
    op = (await make_operator_account(client, server)).token
    _, token = await make_user(client)
    cooking = await interest_id(client)
    clip = await post(
        client, token, media=await make_video(server, client, token), interest=cooking
    )
    path = f"/api/admin/media/{clip['video']['id']}/ban"
    expect(await client.post(path, json={"reason": "not allowed here"}, headers=auth(op)), 201)
    assert (await client.get(f"/api/clips/{clip['id']}")).status_code == 404
    bans = expect(await client.get("/api/admin/media-bans", headers=auth(op)), 200)
    [ban] = bans["bans"]
    lifted = await client.delete(f"/api/admin/media-bans/{ban['id']}", headers=auth(op))
    assert lifted.status_code == 204
