"""Moderation: notices, hiding, kicks, bans, time-outs and the audit log, as users meet them."""

from __future__ import annotations

import json

import httpx

from tests.factories import expect
from tests.factory import Room, room


async def make(client: httpx.AsyncClient, *rights: str) -> Room:
    """A room with a host, a co-host ``mod`` holding ``rights`` and two plain members,
    ``guest`` (as "Nightowl") and ``other``."""
    return await room(
        client,
        ["host", "mod", "guest", "other"],
        roles={"mod": rights},
        nicknames={"guest": "Nightowl"},
    )


# -- notices ---------------------------------------------------------------------------


async def test_a_notice_is_posted_and_pinned_live(client: httpx.AsyncClient) -> None:
    r = await make(client, "notice")
    sock = await r.guest.connect()

    notice = await r.mod.notice(" Be kind. ")
    assert (notice["kind"], notice["body"], notice["member"]) == ("notice", "Be kind.", r.mod.id)
    live = await sock.next_message(seq=notice["seq"])
    assert live["message"]["body"] == "Be kind."
    pinned = await sock.next_message(seq=notice["seq"] + 1)
    assert pinned["message"]["system"] == {"event": "notice_pinned", "seq": notice["seq"]}
    assert (await r.host.view())["pinned_seq"] == notice["seq"]

    unpinned = await r.mod.notice("FYI", pin=False)
    assert (await r.host.view())["pinned_seq"] == notice["seq"]
    assert (await r.guest.messages())[-1]["seq"] == unpinned["seq"]

    await r.host.unpin()
    assert (await r.host.view())["pinned_seq"] is None
    assert await r.host.last_system() == {"event": "notice_unpinned"}
    # Nothing pinned: unpinning again is a no-op that writes nothing.
    last = (await r.host.view())["last_seq"]
    await r.host.unpin()
    assert (await r.host.view())["last_seq"] == last
    assert [e["action"] for e in await r.host.audit()] == [
        "notice_unpin",
        "notice",
        "notice",
        "cohost_appoint",
    ]


async def test_notices_need_the_right_and_a_body(client: httpx.AsyncClient) -> None:
    r = await make(client, "hide")
    assert await r.mod.notice("x", status=403) == "not_permitted"
    assert await r.guest.notice("x", status=403) == "not_permitted"
    assert await r.guest.unpin(status=403) == "not_permitted"
    assert await r.host.notice("   ", status=422) == "empty_message"
    sticky = {"body": "x", "sticky": True}
    assert await r.host.room_api("POST", "/notices", json=sticky, status=422) == "invalid_input"
    outsider = await r.outsider()
    assert await outsider.notice("x", status=404) == "room_not_found"


# -- hiding ----------------------------------------------------------------------------


async def test_a_hidden_message_loses_its_body_everywhere_but_review(
    client: httpx.AsyncClient,
) -> None:
    r = await make(client, "hide")
    sent = await r.guest.send("buy cheap pills")
    seq = sent["seq"]
    sock = await r.other.connect()

    hidden = await r.mod.hide(seq, reason="spam")
    assert hidden["hidden"] is True and "body" not in hidden
    live = await sock.next_message(seq=seq)
    assert live["change"] == "hidden"
    assert live["message"]["rev"] > sent["rev"]
    assert "body" not in live["message"] and "pills" not in json.dumps(live)

    for reader in (r.guest, r.other, r.host):
        [m] = [m for m in await reader.messages() if m["seq"] == seq]
        assert m["hidden"] is True and "body" not in m
    # A socket that catches up from before the hide gets the hidden state too.
    late = await r.other.connect(since={r.id: sent["rev"]})
    replayed = await late.next_message(seq=seq)
    assert replayed["change"] == "updated" and "body" not in replayed["message"]

    review = await r.mod.review(seq)
    assert review["body"] == "buy cheap pills"
    assert (review["hidden"], review["hidden_by"]) == (True, r.mod.id)
    assert review["hidden_at"] == hidden["hidden_at"]
    assert await r.guest.review(seq, status=403) == "not_permitted"

    # Hiding twice changes nothing; unhiding brings the body back live.
    again = await r.host.hide(seq)
    assert again["rev"] == hidden["rev"]
    shown = await r.mod.unhide(seq)
    assert shown["body"] == "buy cheap pills" and "hidden" not in shown
    live = await sock.next_message(seq=seq, body="buy cheap pills")
    assert live["change"] == "unhidden"

    entries = await r.host.audit()
    assert [e["action"] for e in entries[:2]] == ["unhide", "hide"]
    hide = entries[1]
    assert hide["actor"] == r.mod.id and hide["actor_kind"] == "member"
    assert (hide["target_member"], hide["target_seq"]) == (r.guest.id, seq)
    assert hide["details"] == {"reason": "spam"}


async def test_what_cannot_be_hidden(client: httpx.AsyncClient) -> None:
    r = await make(client, "hide")
    system_seq = (await r.host.messages())[0]["seq"]
    assert await r.mod.hide(system_seq, status=422) == "system_message"
    seq = (await r.guest.send("oops"))["seq"]
    await r.guest.delete(seq)
    assert await r.mod.hide(seq, status=404) == "message_deleted"
    assert await r.mod.hide(999999, status=404) == "message_not_found"
    assert await r.mod.hide(1, reason="x" * 501, status=422) == "invalid_reason"
    seq = (await r.other.send("fine"))["seq"]
    assert await r.guest.hide(seq, status=403) == "not_permitted"


# -- kicks and bans --------------------------------------------------------------------


async def test_a_kicked_member_is_out_at_once(client: httpx.AsyncClient) -> None:
    r = await make(client, "kick")
    sock = await r.guest.connect()
    count = (await r.host.view())["member_count"]

    await r.mod.kick(r.guest, reason="rude")
    left = await sock.next_event("left")
    assert left == {"type": "left", "room": r.id, "reason": "kicked"}
    await r.other.send("after the kick")
    assert not [e for e in await sock.barrier() if e.get("type") == "message"]

    assert await r.guest.history(status=404) == "room_not_found"
    assert r.guest.id not in await r.host.members()
    assert (await r.host.view())["member_count"] == count - 1
    messages = await r.host.messages()
    [kicked] = [m for m in messages if (m.get("system") or {}).get("event") == "kicked"]
    assert kicked["system"] == {"event": "kicked", "member": r.guest.id, "by": r.mod.id}
    [entry] = [e for e in await r.host.audit() if e["action"] == "kick"]
    assert (entry["target_member"], entry["details"]) == (r.guest.id, {"reason": "rude"})
    # A kick is not a ban: they may come back, as a new member.
    back = await r.guest.join(r)
    assert back.id != r.guest.id


async def test_a_ban_shows_the_member_id_never_the_account(client: httpx.AsyncClient) -> None:
    r = await make(client, "kick")
    await r.mod.kick(r.guest, ban=True, ban_s=None, reason="spam links")
    assert await r.host.last_system() == {
        "event": "banned",
        "member": r.guest.id,
        "by": r.mod.id,
        "until": None,
    }

    response = await r.mod.room_call("GET", "/bans")
    [ban] = expect(response, 200)["bans"]
    assert ban["member_id"] == r.guest.id and ban["nickname"] == "Nightowl"
    assert (ban["until"], ban["reason"], ban["by"]) == (None, "spam links", r.mod.id)
    assert set(ban) == {"member_id", "nickname", "until", "reason", "by", "created_at"}
    for text in (response.text, (await r.host.room_call("GET", "/audit")).text):
        assert r.guest.user["username"] not in text
        assert r.guest.user["display_name"] not in text
        assert "user_id" not in text

    # The ban keeps the account out, under any profile.
    assert await r.guest.join(r, nickname="Someone new", status=403) == "banned"

    assert await r.other.room_api("GET", "/bans", status=403) == "not_permitted"
    await r.mod.lift_ban(r.guest)
    assert await r.mod.bans() == []
    assert await r.mod.lift_ban(r.guest, status=404) == "ban_not_found"
    await r.guest.join(r)
    assert [e["action"] for e in (await r.host.audit())[:2]] == ["unban", "ban"]


async def test_a_timed_ban_ends_by_itself(client: httpx.AsyncClient) -> None:
    r = await make(client, "kick")
    for bad in (59, 366 * 86_400):
        assert await r.host.kick(r.guest, ban=True, ban_s=bad, status=422) == (
            "invalid_ban_duration"
        )
    await r.host.kick(r.guest, ban=True, ban_s=3600)
    [ban] = await r.host.bans()
    system = await r.host.last_system()
    assert ban["until"] is not None and system["until"] == ban["until"]


async def test_who_may_be_kicked(client: httpx.AsyncClient) -> None:
    r = await make(client, "kick", "timeout")
    second = await r.add("second")
    await r.host.appoint(second, ["kick"])
    for target in (r.host, second):
        assert await r.mod.kick(target, status=403) == "not_permitted"
        assert await r.mod.time_out(target, 60, status=403) == "not_permitted"
    assert await r.mod.kick(r.mod, status=422) == "cannot_target_self"
    assert await r.mod.kick("nosuchmember", status=404) == "member_not_found"
    assert await r.guest.kick(r.other, status=403) == "not_permitted"
    assert await r.mod.kick(r.other, because="x", status=422) == "invalid_input"
    # Only the host acts on a co-host.
    await r.host.kick(second)
    assert second.id not in await r.host.members()


async def test_banning_someone_who_already_left(client: httpx.AsyncClient) -> None:
    r = await make(client, "kick")
    assert await r.mod.ban(r.guest, status=409) == "member_still_active"
    await r.guest.leave()

    assert await r.mod.ban(r.guest, ban_s=10, status=422) == "invalid_ban_duration"
    assert await r.mod.ban("nosuchmember", status=404) == "member_not_found"
    ban = await r.mod.ban(r.guest, ban_s=86_400, reason="raid")
    assert (ban["member_id"], ban["nickname"], ban["reason"]) == (
        r.guest.id,
        "Nightowl",
        "raid",
    )
    assert [b["member_id"] for b in await r.host.bans()] == [r.guest.id]
    assert await r.guest.join(r.id, status=403) == "banned"


# -- time-outs -------------------------------------------------------------------------


async def test_a_timed_out_member_can_read_but_not_write(client: httpx.AsyncClient) -> None:
    r = await make(client, "timeout")
    for bad in (0, 28 * 86_400 + 1):
        assert await r.mod.time_out(r.guest, bad, status=422) == "invalid_timeout"

    member = await r.mod.time_out(r.guest, 600)
    until = member["timed_out_until"]
    assert until is not None
    assert (await r.host.members())[r.guest.id]["timed_out_until"] == until
    assert await r.host.last_system() == {
        "event": "timed_out",
        "member": r.guest.id,
        "until": until,
        "by": r.mod.id,
    }
    await r.guest.history()
    assert await r.guest.send("hi", client_id="a", status=403) == "timed_out"

    lifted = await r.mod.end_time_out(r.guest)
    assert "timed_out_until" not in lifted
    assert await r.host.last_system() == {
        "event": "timeout_lifted",
        "member": r.guest.id,
        "by": r.mod.id,
    }
    await r.guest.send("back")
    # Nothing to lift: no new system message.
    last = (await r.host.view())["last_seq"]
    await r.mod.end_time_out(r.guest)
    assert (await r.host.view())["last_seq"] == last
    entry = (await r.host.audit())[0]
    assert (entry["action"], entry["target_member"]) == ("timeout_lift", r.guest.id)
    assert (await r.host.audit())[1]["details"] == {"until": until, "duration_s": 600}


# -- the audit log ---------------------------------------------------------------------


async def test_the_audit_log_pages_newest_first(client: httpx.AsyncClient) -> None:
    r = await make(client, "hide")
    seqs = [(await r.other.send(f"m{i}"))["seq"] for i in range(3)]
    for seq in seqs:
        await r.mod.hide(seq)

    first = await r.mod.room_api("GET", "/audit", params={"limit": 2})
    assert [e["target_seq"] for e in first["entries"]] == [seqs[2], seqs[1]]
    assert first["next"] == first["entries"][-1]["id"]
    page = {"limit": 2, "before": first["next"]}
    second = await r.mod.room_api("GET", "/audit", params=page)
    assert [e["action"] for e in second["entries"]] == ["hide", "cohost_appoint"]
    entry = second["entries"][0]
    assert set(entry) == {
        "id",
        "actor",
        "actor_kind",
        "action",
        "target_member",
        "target_seq",
        "details",
        "created_at",
    }
    assert entry["created_at"].endswith("Z")
    page = {"limit": 2, "before": second["next"]}
    last = await r.mod.room_api("GET", "/audit", params=page)
    assert last == {"entries": [], "next": None}

    assert await r.other.room_api("GET", "/audit", status=403) == "not_permitted"
    outsider = await r.outsider()
    assert await outsider.room_api("GET", "/audit", status=404) == "room_not_found"
    limit = {"limit": 101}
    assert await r.host.room_api("GET", "/audit", params=limit, status=422) == "invalid_input"
