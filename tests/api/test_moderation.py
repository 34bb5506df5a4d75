"""Moderation: notices, hiding, kicks, bans, time-outs and the audit log, as users meet them."""

from __future__ import annotations

import json
from typing import Any

import httpx

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
    send_message,
)


class Room:
    """A room with a host, a co-host holding ``rights`` and two plain members."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def setup(self, rights: list[str]) -> Room:
        self.host_user, self.host = await make_user(self.client)
        created = await make_room(self.client, self.host)
        self.id, self.link, self.host_id = (
            created["room"]["id"],
            created["room"]["link"],
            created["me"]["id"],
        )
        self.mod_user, self.mod = await make_user(self.client)
        self.mod_id = await self.join(self.mod)
        self.guest_user, self.guest = await make_user(self.client)
        self.guest_id = await self.join(self.guest, nickname="Nightowl")
        self.other_user, self.other = await make_user(self.client)
        self.other_id = await self.join(self.other)
        expect(
            await self.client.put(
                self.path(f"/cohosts/{self.mod_id}"), json={"rights": rights}, headers=self.h
            ),
            200,
        )
        return self

    async def join(self, token: str, nickname: str | None = None) -> str:
        profile = None if nickname is None else {"kind": "open", "nickname": nickname}
        return str((await join(self.client, token, self.link, profile=profile))["me"]["id"])

    @property
    def h(self) -> dict[str, str]:
        return auth(self.host)

    def path(self, rest: str) -> str:
        return f"/api/rooms/{self.id}{rest}"

    async def post(self, token: str, rest: str, body: Any = None) -> httpx.Response:
        return await self.client.post(self.path(rest), json=body or {}, headers=auth(token))

    async def delete(self, token: str, rest: str) -> httpx.Response:
        return await self.client.delete(self.path(rest), headers=auth(token))

    async def get(self, token: str, rest: str, **params: Any) -> httpx.Response:
        return await self.client.get(self.path(rest), params=params, headers=auth(token))

    async def messages(self, token: str) -> list[dict[str, Any]]:
        return list((await history(self.client, token, self.id, limit=200))["messages"])

    async def last_system(self) -> dict[str, Any]:
        message = (await self.messages(self.host))[-1]
        assert message["kind"] == "system", message
        return dict(message["system"])

    async def members(self) -> dict[str, dict[str, Any]]:
        body = expect(await self.get(self.host, "/members"), 200)
        return {m["id"]: m for m in body["members"]}

    async def audit(self, **params: Any) -> list[dict[str, Any]]:
        return list(expect(await self.get(self.host, "/audit", **params), 200)["entries"])

    async def room(self) -> dict[str, Any]:
        return dict(expect(await self.client.get(self.path(""), headers=self.h), 200))


async def make(client: httpx.AsyncClient, *rights: str) -> Room:
    return await Room(client).setup(list(rights))


# -- notices ---------------------------------------------------------------------------


async def test_a_notice_is_posted_and_pinned_live(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, "notice")
    sock = await open_socket(server.ws_url, room.guest)

    notice = expect(await room.post(room.mod, "/notices", {"body": " Be kind. "}), 201)
    assert (notice["kind"], notice["body"], notice["member"]) == ("notice", "Be kind.", room.mod_id)
    live = await sock.next_message(seq=notice["seq"])
    assert live["message"]["body"] == "Be kind."
    pinned = await sock.next_message(seq=notice["seq"] + 1)
    assert pinned["message"]["system"] == {"event": "notice_pinned", "seq": notice["seq"]}
    assert (await room.room())["pinned_seq"] == notice["seq"]

    unpinned = expect(await room.post(room.mod, "/notices", {"body": "FYI", "pin": False}), 201)
    assert (await room.room())["pinned_seq"] == notice["seq"]
    assert (await room.messages(room.guest))[-1]["seq"] == unpinned["seq"]

    expect(await room.delete(room.host, "/notice"), 204)
    assert (await room.room())["pinned_seq"] is None
    assert await room.last_system() == {"event": "notice_unpinned"}
    # Nothing pinned: unpinning again is a no-op that writes nothing.
    last = (await room.room())["last_seq"]
    expect(await room.delete(room.host, "/notice"), 204)
    assert (await room.room())["last_seq"] == last
    assert [e["action"] for e in await room.audit()] == [
        "notice_unpin",
        "notice",
        "notice",
        "cohost_appoint",
    ]


async def test_notices_need_the_right_and_a_body(client: httpx.AsyncClient) -> None:
    room = await make(client, "hide")
    response = await room.post(room.mod, "/notices", {"body": "x"})
    assert error_code(response, 403) == "not_permitted"
    response = await room.post(room.guest, "/notices", {"body": "x"})
    assert error_code(response, 403) == "not_permitted"
    assert error_code(await room.delete(room.guest, "/notice"), 403) == "not_permitted"
    response = await room.post(room.host, "/notices", {"body": "   "})
    assert error_code(response, 422) == "empty_message"
    response = await room.post(room.host, "/notices", {"body": "x", "sticky": True})
    assert error_code(response, 422) == "invalid_input"
    _, outsider = await make_user(client)
    response = await room.post(outsider, "/notices", {"body": "x"})
    assert error_code(response, 404) == "room_not_found"


# -- hiding ----------------------------------------------------------------------------


async def test_a_hidden_message_loses_its_body_everywhere_but_review(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, "hide")
    sent = await send_message(client, room.guest, room.id, "buy cheap pills")
    seq = sent["seq"]
    sock = await open_socket(server.ws_url, room.other)

    hidden = expect(await room.post(room.mod, f"/messages/{seq}/hide", {"reason": "spam"}), 200)
    assert hidden["hidden"] is True and "body" not in hidden
    live = await sock.next_message(seq=seq)
    assert live["change"] == "hidden"
    assert live["message"]["rev"] > sent["rev"]
    assert "body" not in live["message"] and "pills" not in json.dumps(live)

    for token in (room.guest, room.other, room.host):
        [m] = [m for m in await room.messages(token) if m["seq"] == seq]
        assert m["hidden"] is True and "body" not in m
    # A socket that catches up from before the hide gets the hidden state too.
    late = await open_socket(server.ws_url, room.other, since={room.id: sent["rev"]})
    replayed = await late.next_message(seq=seq)
    assert replayed["change"] == "updated" and "body" not in replayed["message"]

    review = expect(await room.get(room.mod, f"/messages/{seq}/review"), 200)
    assert review["body"] == "buy cheap pills"
    assert (review["hidden"], review["hidden_by"]) == (True, room.mod_id)
    assert review["hidden_at"] == hidden["hidden_at"]
    response = await room.get(room.guest, f"/messages/{seq}/review")
    assert error_code(response, 403) == "not_permitted"

    # Hiding twice changes nothing; unhiding brings the body back live.
    again = expect(await room.post(room.host, f"/messages/{seq}/hide"), 200)
    assert again["rev"] == hidden["rev"]
    shown = expect(await room.delete(room.mod, f"/messages/{seq}/hide"), 200)
    assert shown["body"] == "buy cheap pills" and "hidden" not in shown
    live = await sock.next_message(seq=seq, body="buy cheap pills")
    assert live["change"] == "unhidden"

    entries = await room.audit()
    assert [e["action"] for e in entries[:2]] == ["unhide", "hide"]
    hide = entries[1]
    assert hide["actor"] == room.mod_id and hide["actor_kind"] == "member"
    assert (hide["target_member"], hide["target_seq"]) == (room.guest_id, seq)
    assert hide["details"] == {"reason": "spam"}


async def test_what_cannot_be_hidden(client: httpx.AsyncClient) -> None:
    room = await make(client, "hide")
    system_seq = (await room.messages(room.host))[0]["seq"]
    response = await room.post(room.mod, f"/messages/{system_seq}/hide")
    assert error_code(response, 422) == "system_message"
    seq = (await send_message(client, room.guest, room.id, "oops"))["seq"]
    expect(await room.delete(room.guest, f"/messages/{seq}"), 200)
    response = await room.post(room.mod, f"/messages/{seq}/hide")
    assert error_code(response, 404) == "message_deleted"
    response = await room.post(room.mod, "/messages/999999/hide")
    assert error_code(response, 404) == "message_not_found"
    response = await room.post(room.mod, "/messages/1/hide", {"reason": "x" * 501})
    assert error_code(response, 422) == "invalid_reason"
    seq = (await send_message(client, room.other, room.id, "fine"))["seq"]
    response = await room.post(room.guest, f"/messages/{seq}/hide")
    assert error_code(response, 403) == "not_permitted"


# -- kicks and bans --------------------------------------------------------------------


async def test_a_kicked_member_is_out_at_once(client: httpx.AsyncClient, server: Server) -> None:
    room = await make(client, "kick")
    sock = await open_socket(server.ws_url, room.guest)
    count = (await room.room())["member_count"]

    kick = f"/members/{room.guest_id}/kick"
    expect(await room.post(room.mod, kick, {"reason": "rude"}), 204)
    left = await sock.next_event("left")
    assert left == {"type": "left", "room": room.id, "reason": "kicked"}
    await send_message(client, room.other, room.id, "after the kick")
    assert not [e for e in await sock.barrier() if e.get("type") == "message"]

    assert error_code(await room.get(room.guest, "/messages"), 404) == "room_not_found"
    assert room.guest_id not in await room.members()
    assert (await room.room())["member_count"] == count - 1
    messages = await room.messages(room.host)
    [kicked] = [m for m in messages if (m.get("system") or {}).get("event") == "kicked"]
    assert kicked["system"] == {"event": "kicked", "member": room.guest_id, "by": room.mod_id}
    [entry] = [e for e in await room.audit() if e["action"] == "kick"]
    assert (entry["target_member"], entry["details"]) == (room.guest_id, {"reason": "rude"})
    # A kick is not a ban: they may come back, as a new member.
    back = await room.join(room.guest)
    assert back != room.guest_id


async def test_a_ban_shows_the_member_id_never_the_account(client: httpx.AsyncClient) -> None:
    room = await make(client, "kick")
    kick = f"/members/{room.guest_id}/kick"
    body = {"ban": True, "ban_s": None, "reason": "spam links"}
    expect(await room.post(room.mod, kick, body), 204)
    assert await room.last_system() == {
        "event": "banned",
        "member": room.guest_id,
        "by": room.mod_id,
        "until": None,
    }

    response = await room.get(room.mod, "/bans")
    [ban] = expect(response, 200)["bans"]
    assert ban["member_id"] == room.guest_id and ban["nickname"] == "Nightowl"
    assert (ban["until"], ban["reason"], ban["by"]) == (None, "spam links", room.mod_id)
    assert set(ban) == {"member_id", "nickname", "until", "reason", "by", "created_at"}
    for text in (response.text, (await room.get(room.host, "/audit")).text):
        assert room.guest_user["username"] not in text
        assert room.guest_user["display_name"] not in text
        assert "user_id" not in text

    # The ban keeps the account out, under any profile.
    response = await client.post(
        f"/api/links/{room.link.removeprefix('/l/')}/join",
        json={"profile": {"kind": "open", "nickname": "Someone new"}},
        headers=auth(room.guest),
    )
    assert error_code(response, 403) == "banned"

    assert error_code(await room.get(room.other, "/bans"), 403) == "not_permitted"
    expect(await room.delete(room.mod, f"/bans/{room.guest_id}"), 204)
    assert expect(await room.get(room.mod, "/bans"), 200)["bans"] == []
    response = await room.delete(room.mod, f"/bans/{room.guest_id}")
    assert error_code(response, 404) == "ban_not_found"
    await room.join(room.guest)
    assert [e["action"] for e in (await room.audit())[:2]] == ["unban", "ban"]


async def test_a_timed_ban_ends_by_itself(client: httpx.AsyncClient) -> None:
    room = await make(client, "kick")
    kick = f"/members/{room.guest_id}/kick"
    response = await room.post(room.host, kick, {"ban": True, "ban_s": 59})
    assert error_code(response, 422) == "invalid_ban_duration"
    response = await room.post(room.host, kick, {"ban": True, "ban_s": 366 * 86_400})
    assert error_code(response, 422) == "invalid_ban_duration"
    expect(await room.post(room.host, kick, {"ban": True, "ban_s": 3600}), 204)
    [ban] = expect(await room.get(room.host, "/bans"), 200)["bans"]
    system = await room.last_system()
    assert ban["until"] is not None and system["until"] == ban["until"]


async def test_who_may_be_kicked(client: httpx.AsyncClient) -> None:
    room = await make(client, "kick", "timeout")
    _, second = await make_user(client)
    second_id = await room.join(second)
    expect(
        await client.put(
            room.path(f"/cohosts/{second_id}"), json={"rights": ["kick"]}, headers=room.h
        ),
        200,
    )
    for target in (room.host_id, second_id):
        response = await room.post(room.mod, f"/members/{target}/kick")
        assert error_code(response, 403) == "not_permitted"
        response = await room.post(room.mod, f"/members/{target}/timeout", {"duration_s": 60})
        assert error_code(response, 403) == "not_permitted"
    response = await room.post(room.mod, f"/members/{room.mod_id}/kick")
    assert error_code(response, 422) == "cannot_target_self"
    response = await room.post(room.mod, "/members/nosuchmember/kick")
    assert error_code(response, 404) == "member_not_found"
    response = await room.post(room.guest, f"/members/{room.other_id}/kick")
    assert error_code(response, 403) == "not_permitted"
    response = await room.post(room.mod, f"/members/{room.other_id}/kick", {"because": "x"})
    assert error_code(response, 422) == "invalid_input"
    # Only the host acts on a co-host.
    expect(await room.post(room.host, f"/members/{second_id}/kick"), 204)
    assert second_id not in await room.members()


async def test_banning_someone_who_already_left(client: httpx.AsyncClient) -> None:
    room = await make(client, "kick")
    response = await room.post(room.mod, "/bans", {"member_id": room.guest_id})
    assert error_code(response, 409) == "member_still_active"
    expect(await room.post(room.guest, "/leave"), 204)

    response = await room.post(room.mod, "/bans", {"member_id": room.guest_id, "ban_s": 10})
    assert error_code(response, 422) == "invalid_ban_duration"
    response = await room.post(room.mod, "/bans", {"member_id": "nosuchmember"})
    assert error_code(response, 404) == "member_not_found"
    ban = expect(
        await room.post(
            room.mod, "/bans", {"member_id": room.guest_id, "ban_s": 86_400, "reason": "raid"}
        ),
        201,
    )
    assert (ban["member_id"], ban["nickname"], ban["reason"]) == (
        room.guest_id,
        "Nightowl",
        "raid",
    )
    listed = expect(await room.get(room.host, "/bans"), 200)["bans"]
    assert [b["member_id"] for b in listed] == [room.guest_id]
    response = await client.post(f"/api/rooms/{room.id}/join", json={}, headers=auth(room.guest))
    assert error_code(response, 403) == "banned"


# -- time-outs -------------------------------------------------------------------------


async def test_a_timed_out_member_can_read_but_not_write(client: httpx.AsyncClient) -> None:
    room = await make(client, "timeout")
    path = f"/members/{room.guest_id}/timeout"
    for bad in (0, 28 * 86_400 + 1):
        response = await room.post(room.mod, path, {"duration_s": bad})
        assert error_code(response, 422) == "invalid_timeout"

    member = expect(await room.post(room.mod, path, {"duration_s": 600}), 200)
    until = member["timed_out_until"]
    assert until is not None
    assert (await room.members())[room.guest_id]["timed_out_until"] == until
    assert await room.last_system() == {
        "event": "timed_out",
        "member": room.guest_id,
        "until": until,
        "by": room.mod_id,
    }
    await history(client, room.guest, room.id)
    response = await client.post(
        room.path("/messages"), json={"client_id": "a", "body": "hi"}, headers=auth(room.guest)
    )
    assert error_code(response, 403) == "timed_out"

    lifted = expect(await room.delete(room.mod, path), 200)
    assert "timed_out_until" not in lifted
    assert await room.last_system() == {
        "event": "timeout_lifted",
        "member": room.guest_id,
        "by": room.mod_id,
    }
    await send_message(client, room.guest, room.id, "back")
    # Nothing to lift: no new system message.
    last = (await room.room())["last_seq"]
    expect(await room.delete(room.mod, path), 200)
    assert (await room.room())["last_seq"] == last
    entry = (await room.audit())[0]
    assert (entry["action"], entry["target_member"]) == ("timeout_lift", room.guest_id)
    assert (await room.audit())[1]["details"] == {"until": until, "duration_s": 600}


# -- the audit log ---------------------------------------------------------------------


async def test_the_audit_log_pages_newest_first(client: httpx.AsyncClient) -> None:
    room = await make(client, "hide")
    seqs = [(await send_message(client, room.other, room.id, f"m{i}"))["seq"] for i in range(3)]
    for seq in seqs:
        expect(await room.post(room.mod, f"/messages/{seq}/hide"), 200)

    first = expect(await room.get(room.mod, "/audit", limit=2), 200)
    assert [e["target_seq"] for e in first["entries"]] == [seqs[2], seqs[1]]
    assert first["next"] == first["entries"][-1]["id"]
    second = expect(await room.get(room.mod, "/audit", limit=2, before=first["next"]), 200)
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
    last = expect(await room.get(room.mod, "/audit", limit=2, before=second["next"]), 200)
    assert last == {"entries": [], "next": None}

    assert error_code(await room.get(room.other, "/audit"), 403) == "not_permitted"
    _, outsider = await make_user(client)
    assert error_code(await room.get(outsider, "/audit"), 404) == "room_not_found"
    response = await room.get(room.host, "/audit", limit=101)
    assert error_code(response, 422) == "invalid_input"
