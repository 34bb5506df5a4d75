"""Who gets in: bans, entry conditions, link expiry and use limits, join requests."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from openlink.actions.operator import do_set_operator
from openlink.store.schema import rooms, users
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
from tests.fakes.clock import OffsetClock


class Room:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def setup(self, **fields: Any) -> Room:
        _, self.host = await make_user(self.client)
        created = await make_room(self.client, self.host, **fields)
        self.room = created["room"]
        self.id, self.link, self.host_id = self.room["id"], self.room["link"], created["me"]["id"]
        return self

    def path(self, rest: str = "") -> str:
        return f"/api/rooms/{self.id}{rest}"

    @property
    def h(self) -> dict[str, str]:
        return auth(self.host)

    async def get(self, token: str | None = None, rest: str = "") -> httpx.Response:
        return await self.client.get(self.path(rest), headers=auth(token or self.host))

    async def post(self, rest: str, body: Any = None, token: str | None = None) -> httpx.Response:
        return await self.client.post(
            self.path(rest), json=body if body is not None else {}, headers=auth(token or self.host)
        )

    async def patch_link(self, body: Any, token: str | None = None) -> httpx.Response:
        return await self.client.patch(
            self.path("/link"), json=body, headers=auth(token or self.host)
        )

    async def regenerate(self, body: Any = None, token: str | None = None) -> httpx.Response:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        return await self.client.post(
            self.path("/link"), headers=auth(token or self.host), **kwargs
        )

    async def join_raw(
        self, token: str, *, via: str | None = None, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Join through ``via`` (a ``/l/<code>`` link; the room's link by default) or, with
        ``via="id"``, by the room id."""
        via = via or self.link
        code = via.removeprefix("/l/")
        url = self.path("/join") if via == "id" else f"/api/links/{code}/join"
        return await self.client.post(url, json=body or {}, headers=auth(token))

    async def newcomer(self, nickname: str | None = None) -> tuple[str, str]:
        """A new account that joins; returns (token, member id)."""
        _, token = await make_user(self.client)
        profile = None if nickname is None else {"kind": "open", "nickname": nickname}
        return token, (await join(self.client, token, self.link, profile=profile))["me"]["id"]

    async def appoint(self, member_id: str, rights: list[str]) -> None:
        expect(
            await self.client.put(
                self.path(f"/cohosts/{member_id}"), json={"rights": rights}, headers=self.h
            ),
            200,
        )

    async def requests(self, token: str | None = None) -> list[dict[str, Any]]:
        return list(expect(await self.get(token, "/join-requests"), 200)["requests"])

    async def applicants(self, n: int, approved: int) -> tuple[list[str], list[dict[str, Any]]]:
        """``n`` new accounts ask to join, the first ``approved`` are approved; returns
        their tokens and requests."""
        tokens, requests = [], []
        for _ in range(n):
            _, token = await make_user(self.client)
            tokens.append(token)
            requests.append(expect(await self.join_raw(token), 202)["request"])
        for request in requests[:approved]:
            expect(await self.post(f"/join-requests/{request['id']}/approve"), 200)
        return tokens, requests


async def make(client: httpx.AsyncClient, **fields: Any) -> Room:
    return await Room(client).setup(**fields)


def details(response: httpx.Response) -> dict[str, Any]:
    return dict(response.json()["error"].get("details") or {})


def is_member(view: httpx.Response) -> bool:
    """Whether ``GET /api/rooms/{id}`` shows the caller as a member."""
    if view.status_code == 404:
        return False
    return "me" in expect(view, 200)


# -- bans ------------------------------------------------------------------------------


async def test_a_banned_account_cannot_come_back_under_any_name_until_unbanned(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    _, guest = await make_user(client)
    guest_id = (
        await join(client, guest, room.link, profile={"kind": "open", "nickname": "Troll"})
    )["me"]["id"]
    expect(await room.post(f"/members/{guest_id}/kick", {"ban": True}), 204)

    by_link = await room.join_raw(guest)
    assert error_code(by_link, 403) == "banned"
    assert details(by_link)["until"] is None  # until lifted
    assert error_code(await room.join_raw(guest, via="id"), 403) == "banned"
    other_name = {"profile": {"kind": "open", "nickname": "Totally New Person"}}
    assert error_code(await room.join_raw(guest, body=other_name), 403) == "banned"
    assert error_code(await room.join_raw(guest, via="id", body=other_name), 403) == "banned"
    assert not is_member(await room.get(guest))

    expect(await client.delete(room.path(f"/bans/{guest_id}"), headers=room.h), 204)
    back = expect(await room.join_raw(guest, body=other_name), 200)
    assert back["me"]["nickname"] == "Totally New Person"
    assert is_member(await room.get(guest))


async def test_a_timed_ban_says_until_when(client: httpx.AsyncClient) -> None:
    room = await make(client)
    guest, guest_id = await room.newcomer()
    before = datetime.now(UTC)
    expect(await room.post(f"/members/{guest_id}/kick", {"ban": True, "ban_s": 3600}), 204)
    refused = await room.join_raw(guest, via="id")
    assert error_code(refused, 403) == "banned"
    until = datetime.fromisoformat(details(refused)["until"])
    assert before + timedelta(seconds=3590) < until <= datetime.now(UTC) + timedelta(seconds=3600)


async def test_a_kick_without_a_ban_lets_them_back(client: httpx.AsyncClient) -> None:
    room = await make(client)
    guest, guest_id = await room.newcomer()
    expect(await room.post(f"/members/{guest_id}/kick", {}), 204)
    expect(await room.join_raw(guest), 200)


async def test_a_banned_account_is_told_it_is_banned_whatever_code_it_gives(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client, code="open sesame")
    _, guest = await make_user(client)
    guest_id = (await join(client, guest, room.link, code="open sesame"))["me"]["id"]
    expect(await room.post(f"/members/{guest_id}/kick", {"ban": True}), 204)
    # The right code: banned.
    assert error_code(await room.join_raw(guest, body={"code": "open sesame"}), 403) == "banned"
    # No code or a wrong one must not hide the ban behind a code error.
    assert error_code(await room.join_raw(guest, body={"code": "wrong"}), 403) == "banned"
    assert error_code(await room.join_raw(guest), 403) == "banned"


async def test_a_banned_account_cannot_ask_to_join_either(client: httpx.AsyncClient) -> None:
    room = await make(client)
    guest, guest_id = await room.newcomer()
    expect(await room.post(f"/members/{guest_id}/kick", {"ban": True}), 204)
    expect(await client.patch(room.path(), json={"join_approval": True}, headers=room.h), 200)
    assert error_code(await room.join_raw(guest), 403) == "banned"
    assert await room.requests() == []


# -- entry conditions ------------------------------------------------------------------


async def test_a_verified_only_room_admits_an_account_once_the_operator_verifies_it(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, verified_only=True)
    assert room.room["verified_only"] is True
    user, guest = await make_user(client)
    for via in (None, "id"):
        refused = await room.join_raw(guest, via=via)
        assert error_code(refused, 403) == "verification_required"
    assert not is_member(await room.get(guest))

    op_user, op = await make_user(client)
    await do_set_operator(server.app.state.ctx, op_user["username"], True)
    marked = expect(
        await client.put(f"/api/admin/users/{user['username']}/verified", headers=auth(op)), 200
    )
    assert marked["verified"] is True
    expect(await room.join_raw(guest), 200)
    assert is_member(await room.get(guest))


async def test_a_room_can_ask_for_accounts_of_a_minimum_age(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client)
    expect(await client.patch(room.path(), json={"min_account_age_days": 1}, headers=room.h), 200)
    user, guest = await make_user(client)
    refused = await room.join_raw(guest)
    assert error_code(refused, 403) == "account_too_new"
    assert 86_000 < details(refused)["retry_after_s"] <= 86_400
    assert details(refused)["min_account_age_days"] == 1
    assert error_code(await room.join_raw(guest, via="id"), 403) == "account_too_new"

    # The same account two days later is old enough.
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(
            update(users)
            .where(users.c.username == user["username"])
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    expect(await room.join_raw(guest), 200)

    bad = await client.patch(room.path(), json={"min_account_age_days": 3651}, headers=room.h)
    assert error_code(bad, 422) == "invalid_min_account_age"


async def test_entry_conditions_are_checked_before_the_participation_code(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client, code="secret", verified_only=True)
    _, guest = await make_user(client)
    for body in ({}, {"code": "wrong"}, {"code": "secret"}):
        assert error_code(await room.join_raw(guest, body=body), 403) == "verification_required"


async def test_entry_conditions_do_not_apply_to_existing_members(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    guest, guest_id = await room.newcomer()
    expect(
        await client.patch(
            room.path(), json={"verified_only": True, "min_account_age_days": 7}, headers=room.h
        ),
        200,
    )
    again = expect(await room.join_raw(guest), 200)
    assert again["me"]["id"] == guest_id
    await send_message(client, guest, room.id, "still here")


# -- link options ----------------------------------------------------------------------


async def test_a_link_admits_only_so_many_newcomers(client: httpx.AsyncClient) -> None:
    room = await make(client)
    limited = expect(await room.regenerate({"max_uses": 2}), 200)
    assert (limited["link_max_uses"], limited["link_uses"]) == (2, 0)
    link = limited["link"]
    assert link != room.link
    room.link = link

    a, a_id = await room.newcomer()
    # A member joining again is not a new use.
    assert expect(await room.join_raw(a), 200)["me"]["id"] == a_id
    b, _ = await room.newcomer()
    assert expect(await room.get(), 200)["link_uses"] == 2

    _, c = await make_user(client)
    assert error_code(await room.join_raw(c), 410) == "link_used_up"
    preview = await client.get(f"/api/links/{link.removeprefix('/l/')}")
    assert error_code(preview, 410) == "link_used_up"
    # Members already in are not affected.
    expect(await room.join_raw(b), 200)

    # A new link starts counting from zero and keeps the limit.
    fresh = expect(await room.regenerate(), 200)
    assert (fresh["link_max_uses"], fresh["link_uses"]) == (2, 0)
    assert fresh["link"] != link
    assert error_code(await room.join_raw(c), 404) == "link_not_found"
    expect(await room.join_raw(c, via=fresh["link"]), 200)


async def test_a_link_stops_working_when_it_expires(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    room = await make(client)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert error_code(await room.regenerate({"expires_at": past}), 422) == "invalid_expiry"
    assert error_code(await room.patch_link({"expires_at": past}), 422) == "invalid_expiry"
    assert expect(await room.get(), 200)["link_expires_at"] is None

    soon = clock.now() + timedelta(hours=1)
    set_ = expect(await room.patch_link({"expires_at": soon.isoformat()}), 200)
    assert set_["link"] == room.link
    assert datetime.fromisoformat(set_["link_expires_at"]) == soon
    code = room.link.removeprefix("/l/")
    expect(await client.get(f"/api/links/{code}"), 200)
    _, late = await make_user(client)
    member, _ = await room.newcomer()

    clock.advance_to(soon)
    assert error_code(await client.get(f"/api/links/{code}"), 410) == "link_expired"
    assert error_code(await room.join_raw(late), 410) == "link_expired"
    # Members already in are not locked out by the expiry.
    expect(await room.join_raw(member), 200)

    # Taking the expiry away makes the same link work again.
    cleared = expect(await room.patch_link({"expires_at": None}), 200)
    assert (cleared["link"], cleared["link_expires_at"]) == (room.link, None)
    expect(await room.join_raw(late), 200)


async def test_regenerating_an_expired_link_gives_a_link_that_works(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    room = await make(client)
    soon = clock.now() + timedelta(hours=1)
    expect(await room.patch_link({"expires_at": soon.isoformat()}), 200)
    clock.advance_to(soon)
    old = room.link.removeprefix("/l/")
    assert error_code(await client.get(f"/api/links/{old}"), 410) == "link_expired"

    # The host's way out of an expired link: a new one, to share again.
    fresh = expect(await room.regenerate(), 200)
    assert fresh["link"] != room.link
    expect(await client.get(f"/api/links/{fresh['link'].removeprefix('/l/')}"), 200)
    _, newcomer = await make_user(client)
    expect(await room.join_raw(newcomer, via=fresh["link"]), 200)


async def test_link_options_change_without_changing_the_link(client: httpx.AsyncClient) -> None:
    room = await make(client)
    expires = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    changed = expect(await room.patch_link({"max_uses": 5, "expires_at": expires.isoformat()}), 200)
    assert changed["link"] == room.link
    assert changed["link_max_uses"] == 5
    assert datetime.fromisoformat(changed["link_expires_at"]) == expires
    # Setting one option keeps the other.
    only_uses = expect(await room.patch_link({"max_uses": 3}), 200)
    assert only_uses["link_max_uses"] == 3
    assert datetime.fromisoformat(only_uses["link_expires_at"]) == expires
    # null removes a limit.
    cleared = expect(await room.patch_link({"max_uses": None}), 200)
    assert (cleared["link"], cleared["link_max_uses"]) == (room.link, None)
    fetched = expect(await room.get(), 200)
    assert (fetched["link"], fetched["link_max_uses"]) == (room.link, None)

    for bad in (0, -1, 100_000):
        assert (await room.patch_link({"max_uses": bad})).status_code == 422, bad
        assert (await room.regenerate({"max_uses": bad})).status_code == 422, bad
    # A refused request changed nothing, not even the link.
    assert expect(await room.get(), 200)["link"] == room.link
    assert error_code(await room.patch_link({"max_uses": 100_000}), 422) == (
        "invalid_link_max_uses"
    )
    expect(await room.patch_link({"max_uses": 99_999}), 200)


async def test_only_those_with_the_links_right_manage_the_link(client: httpx.AsyncClient) -> None:
    room = await make(client)
    member, _ = await room.newcomer()
    plain_cohost, plain_id = await room.newcomer()
    await room.appoint(plain_id, ["kick"])
    link_cohost, link_id = await room.newcomer()
    await room.appoint(link_id, ["links"])

    for token in (member, plain_cohost):
        assert error_code(await room.patch_link({"max_uses": 5}, token), 403) == "not_permitted"
        assert error_code(await room.regenerate(None, token), 403) == "not_permitted"
    assert expect(await room.get(), 200)["link"] == room.link
    assert expect(await room.get(), 200)["link_max_uses"] is None

    assert expect(await room.patch_link({"max_uses": 5}, link_cohost), 200)["link_max_uses"] == 5
    regenerated = expect(await room.regenerate(None, link_cohost), 200)
    assert regenerated["link"] != room.link
    assert expect(await room.get(), 200)["link"] == regenerated["link"]


# -- join requests ---------------------------------------------------------------------


async def test_a_room_with_approval_files_a_request_instead_of_admitting(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, join_approval=True)
    host_sock = await open_socket(server.ws_url, room.host)
    applicant_user, applicant = await make_user(client, display_name="Real Name Person")
    profile = {"profile": {"kind": "open", "nickname": "Curious Cat"}}

    asked = expect(await room.join_raw(applicant, body=profile), 202)
    assert set(asked) == {"room", "request"}
    assert asked["room"]["id"] == room.id
    request = asked["request"]
    assert (request["status"], request["nickname"]) == ("pending", "Curious Cat")
    assert not is_member(await room.get(applicant))
    posted = await client.post(
        room.path("/messages"), json={"client_id": "x1", "body": "hi"}, headers=auth(applicant)
    )
    assert posted.status_code in (403, 404)
    assert expect(await room.get(), 200)["member_count"] == 1

    # Asking again (by link or by id) finds the same request.
    again = expect(await room.join_raw(applicant, via="id", body=profile), 202)
    assert again["request"]["id"] == request["id"]
    again = expect(await room.join_raw(applicant, body=profile), 202)
    assert again["request"]["id"] == request["id"]

    listed = await room.requests()
    assert [r["id"] for r in listed] == [request["id"]]
    assert listed[0]["nickname"] == "Curious Cat"
    # Moderators see the chosen profile, never the account behind it.
    text = json.dumps(listed)
    assert applicant_user["username"] not in text
    assert "Real Name Person" not in text
    for key in ("username", "user", "user_id", "account", "display_name"):
        assert key not in listed[0], key

    # The host hears of it live, once, with no more about the account than the list.
    event = await host_sock.next_event("join_request")
    assert event["room"] == room.id
    assert event["request"]["id"] == request["id"]
    assert event["request"]["nickname"] == "Curious Cat"
    assert applicant_user["username"] not in json.dumps(event)
    assert "Real Name Person" not in json.dumps(event)
    for key in ("username", "user", "user_id", "account", "display_name"):
        assert key not in event["request"], key
    assert not [e for e in await host_sock.barrier() if e["type"] == "join_request"]


async def test_an_approved_applicant_comes_in_by_accepting_live(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, join_approval=True)
    _, applicant = await make_user(client)
    sock = await open_socket(server.ws_url, applicant)
    body = {"profile": {"kind": "open", "nickname": "Newbie"}}
    request = expect(await room.join_raw(applicant, body=body), 202)["request"]

    approved = expect(await room.post(f"/join-requests/{request['id']}/approve"), 200)
    assert (approved["id"], approved["status"]) == (request["id"], "approved")
    # An approval is an invitation: the applicant is told, and is not a member yet.
    decided = await sock.next_event("join_request_decided")
    assert (decided["room"], decided["request"]["id"]) == (room.id, request["id"])
    assert decided["request"]["status"] == "approved"
    assert not [e for e in await sock.barrier() if e["type"] == "joined"]
    assert not is_member(await room.get(applicant))
    assert expect(await room.get(), 200)["member_count"] == 1
    assert await room.requests() == []
    again = await room.post(f"/join-requests/{request['id']}/approve")
    assert error_code(again, 404) == "join_request_not_found"
    assert error_code(await room.post(f"/join-requests/{request['id']}/reject"), 404) == (
        "join_request_not_found"
    )
    # Asking again meanwhile finds the approval, not a new request.
    asked = expect(await room.join_raw(applicant, body=body), 202)["request"]
    assert (asked["id"], asked["status"]) == (request["id"], "approved")

    # The applicant comes in when they choose, under the profile they asked with.
    accepted = expect(await room.post("/join-request/accept", token=applicant), 200)
    assert accepted["room"]["id"] == room.id
    assert accepted["me"]["nickname"] == "Newbie"
    view = expect(await room.get(applicant), 200)
    assert view["me"]["id"] == accepted["me"]["id"]
    sent = await send_message(client, applicant, room.id, "thanks for letting me in")
    # Taken up once: a second accept finds nothing, a member joining again is a member.
    second = await room.post("/join-request/accept", token=applicant)
    assert error_code(second, 404) == "join_request_not_found"
    assert expect(await room.join_raw(applicant), 200)["me"]["id"] == view["me"]["id"]

    # Live: the applicant's socket starts carrying the room.
    joined = await sock.next_event("joined")
    assert joined["room"]["id"] == room.id
    assert joined["member"]["nickname"] == "Newbie"
    await sock.next_message(seq=sent["seq"])
    from_host = await send_message(client, room.host, room.id, "welcome")
    await sock.next_message(seq=from_host["seq"])


async def test_accepting_needs_an_approval_that_is_still_valid(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    room = await make(client, join_approval=True)
    _, applicant = await make_user(client)
    nothing = await room.post("/join-request/accept", token=applicant)
    assert error_code(nothing, 404) == "join_request_not_found"
    request = expect(await room.join_raw(applicant), 202)["request"]
    pending = await room.post("/join-request/accept", token=applicant)
    assert error_code(pending, 404) == "join_request_not_found"
    expect(await room.post(f"/join-requests/{request['id']}/approve"), 200)

    clock.advance(timedelta(days=7, seconds=1).total_seconds())  # OPENLINK_JOIN_APPROVAL_TTL_S
    expired = await room.post("/join-request/accept", token=applicant)
    assert error_code(expired, 410) == "approval_expired"
    assert not is_member(await room.get(applicant))
    # Asking again files a new request for the moderators.
    fresh = expect(await room.join_raw(applicant), 202)["request"]
    assert (fresh["status"], fresh["id"] != request["id"]) == ("pending", True)
    assert [r["id"] for r in await room.requests()] == [fresh["id"]]


async def test_accepting_checks_the_room_as_a_join_would(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, join_approval=True)
    tokens, _ = await room.applicants(2, approved=2)

    # Entry conditions set after the approval hold at the door.
    expect(await client.patch(room.path(), json={"min_account_age_days": 1}, headers=room.h), 200)
    too_new = await room.post("/join-request/accept", token=tokens[0])
    assert error_code(too_new, 403) == "account_too_new"
    expect(await client.patch(room.path(), json={"min_account_age_days": 0}, headers=room.h), 200)
    # So does a closed room.
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(update(rooms).where(rooms.c.id == room.id).values(status="closed"))
    closed = await room.post("/join-request/accept", token=tokens[0])
    assert error_code(closed, 403) == "room_closed"
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(update(rooms).where(rooms.c.id == room.id).values(status="open"))
    # Refusals leave the approval standing: the applicant comes in once the door opens.
    expect(await room.post("/join-request/accept", token=tokens[0]), 200)
    expect(await room.post("/join-request/accept", token=tokens[1]), 200)
    assert expect(await room.get(), 200)["member_count"] == 3


async def test_an_applicant_can_decline_an_approval(client: httpx.AsyncClient) -> None:
    room = await make(client, join_approval=True)
    _, applicant = await make_user(client)
    request = expect(await room.join_raw(applicant), 202)["request"]
    expect(await room.post(f"/join-requests/{request['id']}/approve"), 200)
    expect(await client.delete(room.path("/join-request"), headers=auth(applicant)), 204)
    gone = await room.post("/join-request/accept", token=applicant)
    assert error_code(gone, 404) == "join_request_not_found"
    assert not is_member(await room.get(applicant))


async def test_a_rejected_applicant_is_told_and_stays_out(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client, join_approval=True)
    _, applicant = await make_user(client)
    sock = await open_socket(server.ws_url, applicant)
    request = expect(await room.join_raw(applicant), 202)["request"]

    rejected = expect(await room.post(f"/join-requests/{request['id']}/reject"), 200)
    assert rejected["status"] == "rejected"
    assert not is_member(await room.get(applicant))
    assert await room.requests() == []
    assert expect(await room.get(), 200)["member_count"] == 1
    refused = await client.post(
        room.path("/messages"),
        json={"client_id": "c1", "body": "let me in"},
        headers=auth(applicant),
    )
    assert refused.status_code in (403, 404)

    decided = await sock.next_event("join_request_decided")
    assert decided["request"]["id"] == request["id"]
    assert decided["request"]["status"] == "rejected"
    assert not [e for e in await sock.barrier() if e["type"] == "joined"]


async def test_only_cohosts_with_the_approve_right_decide_requests(
    client: httpx.AsyncClient, server: Server
) -> None:
    room = await make(client)
    plain, plain_id = await room.newcomer()
    await room.appoint(plain_id, ["kick"])
    approver, approver_id = await room.newcomer()
    await room.appoint(approver_id, ["approve"])
    member, _ = await room.newcomer()
    expect(await client.patch(room.path(), json={"join_approval": True}, headers=room.h), 200)
    plain_sock = await open_socket(server.ws_url, plain)
    approver_sock = await open_socket(server.ws_url, approver)

    _, applicant = await make_user(client)
    request = expect(await room.join_raw(applicant), 202)["request"]

    for token in (plain, member):
        assert error_code(await room.get(token, "/join-requests"), 403) == "not_permitted"
        refused = await room.post(f"/join-requests/{request['id']}/approve", token=token)
        assert error_code(refused, 403) == "not_permitted"
        refused = await room.post(f"/join-requests/{request['id']}/reject", token=token)
        assert error_code(refused, 403) == "not_permitted"
    assert not is_member(await room.get(applicant))

    assert [r["id"] for r in await room.requests(approver)] == [request["id"]]
    expect(await room.post(f"/join-requests/{request['id']}/approve", token=approver), 200)
    expect(await room.post("/join-request/accept", token=applicant), 200)
    assert is_member(await room.get(applicant))

    # Only those who can decide hear of requests.
    assert (await approver_sock.next_event("join_request"))["request"]["id"] == request["id"]
    assert not [e for e in await plain_sock.barrier() if e["type"] == "join_request"]


async def test_an_applicant_can_withdraw_their_request(client: httpx.AsyncClient) -> None:
    room = await make(client, join_approval=True)
    _, applicant = await make_user(client)
    _, other = await make_user(client)
    request = expect(await room.join_raw(applicant), 202)["request"]
    expect(await room.join_raw(other), 202)

    gone = await client.delete(room.path("/join-request"), headers=auth(applicant))
    assert gone.status_code == 204
    assert request["id"] not in [r["id"] for r in await room.requests()]
    assert len(await room.requests()) == 1
    again = await client.delete(room.path("/join-request"), headers=auth(applicant))
    assert error_code(again, 404) == "join_request_not_found"
    approve = await room.post(f"/join-requests/{request['id']}/approve")
    assert error_code(approve, 404) == "join_request_not_found"
    assert not is_member(await room.get(applicant))

    # Asking again after withdrawing files a new request.
    fresh = expect(await room.join_raw(applicant), 202)["request"]
    assert fresh["id"] != request["id"]


async def test_a_room_that_filled_up_meanwhile_cannot_take_the_applicant(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client, join_approval=True, member_cap=3)
    tokens, requests = await room.applicants(3, approved=2)
    expect(await room.post("/join-request/accept", token=tokens[0]), 200)
    # The last place goes to whoever accepts first.
    expect(await room.post("/join-request/accept", token=tokens[1]), 200)
    assert expect(await room.get(), 200)["member_count"] == 3
    # Full: a moderator cannot approve more, and the request still waits, for when a
    # place frees up.
    full = await room.post(f"/join-requests/{requests[2]['id']}/approve")
    assert error_code(full, 409) == "room_full"
    assert not is_member(await room.get(tokens[2]))
    assert [r["id"] for r in await room.requests()] == [requests[2]["id"]]


async def test_an_approval_finds_the_room_full_when_others_came_first(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client, join_approval=True, member_cap=2)
    tokens, _ = await room.applicants(2, approved=2)
    expect(await room.post("/join-request/accept", token=tokens[0]), 200)
    late = await room.post("/join-request/accept", token=tokens[1])
    assert error_code(late, 409) == "room_full"
    assert not is_member(await room.get(tokens[1]))
    assert expect(await room.get(), 200)["member_count"] == 2


async def test_asking_again_does_not_use_up_the_link(client: httpx.AsyncClient) -> None:
    room = await make(client, join_approval=True)
    limited = expect(await room.regenerate({"max_uses": 2}), 200)
    room.link = limited["link"]
    _, a = await make_user(client)
    _, b = await make_user(client)
    first = expect(await room.join_raw(a), 202)["request"]
    # The applicant asks again (a second tap, a reload): the same pending request.
    assert expect(await room.join_raw(a), 202)["request"]["id"] == first["id"]
    expect(await room.join_raw(b), 202)
