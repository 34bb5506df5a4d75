"""Clips pass the checks a message passes (docs/protocol.md#clips): a room clip's caption
meets the room's automod rules, probation's link rule, time-outs and slow mode, refused
with a message's codes; the room hears of a posted clip in its stream; interest clips'
captions and comments meet the checks for text outside rooms. The room's moderators
read the reports of its clips, and hide from there."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.factories import error_code, make_video
from tests.factory import InRoom, Room, details, operator, room, user
from tests.fakes.clock import OffsetClock


async def video(server: Server, who: InRoom, room_id: str | None = None) -> str:
    return await make_video(server.app.state.ctx, who.client, who.token, room_id)


async def post_clip(
    server: Server, who: InRoom, r: Room, caption: str = "", *, status: int = 201
) -> Any:
    body = {"media": await video(server, who, r.id), "room": r.id, "caption": caption}
    return await who.api("POST", "/api/clips", json=body, status=status)


async def room_clip_ids(reader: InRoom) -> list[str]:
    page = await reader.api("GET", f"/api/rooms/{reader.room.id}/clips")
    return [c["id"] for c in page["clips"]]


async def add_rule(r: Room, **fields: Any) -> dict[str, Any]:
    fields.setdefault("name", "no spam")
    fields.setdefault("kind", "keyword")
    fields.setdefault("patterns", ["spam"])
    fields.setdefault("action", "block")
    return dict(await r.host.add_rule(**fields))


async def clip_posted(reader: InRoom) -> list[dict[str, Any]]:
    """The room's ``clip_posted`` system messages, as ``reader``'s history shows them."""
    return [
        m
        for m in await reader.messages()
        if m["kind"] == "system" and m["system"]["event"] == "clip_posted"
    ]


# --- a room clip's caption, checked as a message --------------------------------------


async def test_a_caption_an_automod_rule_blocks_is_refused_as_a_message_is(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r)
    refused_message = await r.guest.send_call("buy spam")
    body = {"media": await video(server, r.guest, r.id), "room": r.id, "caption": "cheap SPAM"}
    refused_clip = await r.guest.call("POST", "/api/clips", json=body)

    assert error_code(refused_clip, 403) == error_code(refused_message, 403) == "automod_blocked"
    assert details(refused_clip) == details(refused_message) == {"rule": "no spam"}
    assert await room_clip_ids(r.host) == []
    assert await clip_posted(r.host) == []
    assert [e["action"] for e in await r.host.audit()][:2] == ["automod_block", "automod_block"]
    # The same video, with a caption the rule allows, is posted.
    body["caption"] = "cheap eggs"
    posted = await r.guest.api("POST", "/api/clips", json=body, status=201)
    assert await room_clip_ids(r.host) == [posted["id"]]


async def test_a_timeout_rule_on_a_caption_times_the_poster_out(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r, name="slurs", patterns=["slur"], action="timeout", timeout_s=600)
    body = {"media": await video(server, r.guest, r.id), "room": r.id, "caption": "a slur"}
    refused = await r.guest.call("POST", "/api/clips", json=body)
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)
    # Timed out for messages and clips alike.
    assert await r.guest.send("hi", status=403) == "timed_out"
    body["caption"] = "hello"
    assert await r.guest.api("POST", "/api/clips", json=body, status=403) == "timed_out"


async def test_a_caption_a_hide_rule_catches_is_stored_hidden_and_not_announced(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest", "other"])
    await add_rule(r, name="quiet", patterns=["psst"], action="hide")
    clip = await post_clip(server, r.guest, r, "psst, look")
    assert clip["hidden"] is True and clip["mine"] is True
    assert await room_clip_ids(r.other) == []
    assert await room_clip_ids(r.host) == [clip["id"]]  # moderators see hidden clips
    assert await clip_posted(r.other) == []
    [entry] = [e for e in await r.host.audit() if e["action"] == "automod_hide"]
    assert entry["target_member"] == r.guest.id
    assert entry["details"]["clip"] == clip["id"]


async def test_newcomers_on_probation_share_no_clip_and_then_no_link_in_one(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client, ["host", "guest"], probation_s=600)
    # An upload to the room is refused; one made without a room cannot get round it.
    body = {"media": await video(server, r.guest), "room": r.id, "caption": "see this"}
    refused = await r.guest.call("POST", "/api/clips", json=body)
    assert error_code(refused, 403) == "probation_no_media"
    assert 0 < details(refused)["retry_after_s"] <= 600
    assert await r.guest.send("see www.example.com", status=403) == "probation_no_links"
    # The host is never on probation, links or not.
    await post_clip(server, r.host, r, "see www.example.com")
    clock.advance(601)
    body["caption"] = "see www.example.com"
    await r.guest.api("POST", "/api/clips", json=body, status=201)


async def test_slow_mode_counts_clips_and_messages_together(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest", "other"])
    await r.host.update(slow_mode_s=30)
    await r.guest.send("first")
    assert await post_clip(server, r.guest, r, "and a clip", status=429) == "slow_mode"
    await post_clip(server, r.other, r, "a clip first")
    assert await r.other.send("then a message", status=429) == "slow_mode"


async def test_a_timed_out_member_cannot_post_a_clip(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"])
    body = {"media": await video(server, r.guest), "room": r.id, "caption": "hello"}
    await r.host.time_out(r.guest, 600)
    assert await r.guest.api("POST", "/api/clips", json=body, status=403) == "timed_out"
    assert await r.guest.send("hello", status=403) == "timed_out"
    await r.host.end_time_out(r.guest)
    await r.guest.api("POST", "/api/clips", json=body, status=201)


# --- the room hears of a clip ---------------------------------------------------------


async def test_the_room_hears_of_a_clip_in_its_stream_under_the_posters_membership(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"], nicknames={"guest": "Lamp"}, sockets=True)
    before = await r.guest.send("look at this")
    clip = await post_clip(server, r.guest, r, "sunset")
    event = await r.host.next_message(kind="system")
    message = event["message"]
    assert message["system"] == {"event": "clip_posted", "clip": clip["id"]}
    assert message["member"] == r.guest.id
    assert message["seq"] > before["seq"]  # in room order, after what came before
    # Nothing of the poster but the membership the room already shows.
    assert set(message["system"]) == {"event", "clip"}
    assert r.guest.user["username"] not in str(message)
    [stored] = await clip_posted(r.host)
    assert stored["seq"] == message["seq"]
    # What the id leads to, for a member: the clip under the open profile.
    seen = await r.host.api("GET", f"/api/clips/{clip['id']}")
    assert seen["poster"]["nickname"] == "Lamp" and seen["poster"]["member"] == r.guest.id


async def test_an_interest_clip_tells_no_room(server: Server, client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    found = await r.guest.api("GET", "/api/interests", params={"q": "cooking"})
    body = {
        "media": await video(server, r.guest),
        "interest": found["interests"][0]["id"],
        "caption": "pasta",
    }
    await r.guest.api("POST", "/api/clips", json=body, status=201)
    assert await clip_posted(r.host) == []


# --- outside rooms: interest clips ----------------------------------------------------


async def test_interest_captions_and_comments_meet_the_checks_for_all_text(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"])
    refused_message = await r.guest.send_call("bell\x07")
    found = await r.guest.api("GET", "/api/interests", params={"q": "cooking"})
    interest = found["interests"][0]["id"]
    body = {"media": await video(server, r.guest), "interest": interest, "caption": "bell\x07"}
    refused_caption = await r.guest.call("POST", "/api/clips", json=body)
    assert error_code(refused_caption, 422) == error_code(refused_message, 422) == "invalid_text"
    body["caption"] = "bell"
    clip = await r.guest.api("POST", "/api/clips", json=body, status=201)
    path = f"/api/clips/{clip['id']}/comments"
    refused = await r.host.api("POST", path, json={"body": "ding\x07"}, status=422)
    assert refused == "invalid_text"
    await r.host.api("POST", path, json={"body": "ding"}, status=201)


async def test_a_suspended_account_cannot_post_or_comment(
    server: Server, client: httpx.AsyncClient
) -> None:
    op = await operator(client, server)
    r = await room(client, ["host", "guest"])
    found = await r.guest.api("GET", "/api/interests", params={"q": "cooking"})
    body = {"media": await video(server, r.guest), "interest": found["interests"][0]["id"]}
    await op.suspend(r.guest, duration_s=600, reason="spam")
    assert await r.guest.api("POST", "/api/clips", json=body, status=403) == "account_suspended"


# --- the room's moderators and the reports of its clips -------------------------------


async def reports_of(who: InRoom, *, status: int = 200) -> Any:
    return await who.api("GET", f"/api/rooms/{who.room.id}/clip-reports", status=status)


async def test_moderators_read_the_reports_of_their_rooms_clips_and_hide_from_there(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(
        client,
        ["host", "cohost", "reader", "poster", "member"],
        roles={"cohost": ["hide"], "reader": []},
        nicknames={"poster": "Cat Person", "member": "Reporter"},
        sockets=True,
    )
    outsider = await user(client, name="outsider")
    clip = await post_clip(server, r.poster, r, "my cat")
    report = {"reason": "spam", "note": "again"}
    path = f"/api/clips/{clip['id']}/reports"
    await r.member.api("POST", path, json=report, status=201)
    # Anyone may see a public room's clip, and report it.
    await outsider.api("POST", path, json={"reason": "other"}, status=201)

    live = await r.host.next_event("clip.reported")
    assert live["room"] == r.id
    assert live["report"]["clip"] == clip["id"] and live["report"]["reporter"] == r.member.id

    # A plain member reads nothing; nor does the poster, nor anyone outside.
    for who in (r.member, r.poster):
        assert await reports_of(who, status=403) == "not_permitted"
    assert (
        await outsider.api("GET", f"/api/rooms/{r.id}/clip-reports", status=404) == "room_not_found"
    )

    listed = await reports_of(r.cohost)
    [entry] = listed["clips"]
    assert entry["id"] == clip["id"] and entry["hidden"] is False
    assert entry["clip"]["caption"] == "my cat"
    by_reason = {x["reason"]: x for x in entry["reports"]}
    assert set(by_reason) == {"spam", "other"}
    # The reporter as a message report names them: their membership here, else nobody.
    assert by_reason["spam"]["reporter"] == r.member.id
    assert by_reason["spam"]["note"] == "again"
    assert by_reason["other"]["reporter"] is None
    text = str(listed)
    for account in (r.member.user, outsider.user, r.poster.user):
        assert account["username"] not in text and account["display_name"] not in text
    assert set(by_reason["spam"]) == {"id", "clip", "reporter", "reason", "note", "created_at"}

    # Hide from the list; then a co-host without the hide right learns only that it is.
    await r.cohost.api("PUT", f"/api/clips/{entry['id']}/hidden", json={"hidden": True})
    assert await room_clip_ids(r.member) == []
    [entry] = (await reports_of(r.host))["clips"]
    assert entry["hidden"] is True and entry["clip"]["hidden"] is True
    [entry] = (await reports_of(r.reader))["clips"]
    assert entry["hidden"] is True and entry["clip"] is None
    assert len(entry["reports"]) == 2


async def test_another_rooms_and_interest_clips_reports_stay_out_of_the_list(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "poster"])
    elsewhere = await room(client, ["host", "poster"])
    theirs = await post_clip(server, elsewhere.poster, elsewhere, "elsewhere")
    found = await r.poster.api("GET", "/api/interests", params={"q": "cooking"})
    body = {"media": await video(server, r.poster), "interest": found["interests"][0]["id"]}
    public = await r.poster.api("POST", "/api/clips", json=body, status=201)
    for clip_id in (theirs["id"], public["id"]):
        path = f"/api/clips/{clip_id}/reports"
        await r.host.api("POST", path, json={"reason": "spam"}, status=201)
    assert (await reports_of(r.host))["clips"] == []
    assert [c["id"] for c in (await reports_of(elsewhere.host))["clips"]] == [theirs["id"]]


@pytest.mark.settings(max_message_chars=20)
async def test_a_caption_or_comment_is_never_longer_than_a_message_may_be(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"])
    text = "twenty-five characters.."
    assert await r.guest.send(text, status=413) == "message_too_long"
    body = {"media": await video(server, r.guest, r.id), "room": r.id, "caption": text}
    refused = await r.guest.call("POST", "/api/clips", json=body)
    assert error_code(refused, 422) == "caption_too_long"
    assert details(refused) == {"max_chars": 20}
    body["caption"] = text[:20]
    clip = await r.guest.api("POST", "/api/clips", json=body, status=201)
    found = await r.guest.api("GET", "/api/interests", params={"q": "cooking"})
    body = {"media": await video(server, r.guest), "interest": found["interests"][0]["id"]}
    public = await r.guest.api("POST", "/api/clips", json=body, status=201)
    path = f"/api/clips/{public['id']}/comments"
    assert await r.host.api("POST", path, json={"body": text}, status=422) == "comment_too_long"
    assert clip["caption"] == text[:20]
