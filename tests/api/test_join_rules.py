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
from tests.factories import error_code, expect
from tests.factory import InRoom, Room, details, room, user
from tests.fakes.clock import OffsetClock


async def applicants(r: Room, n: int, approved: int) -> tuple[list[InRoom], list[dict[str, Any]]]:
    """``n`` new accounts ask to join ``r``, the first ``approved`` are approved; returns
    them and their requests."""
    people, requests = [], []
    for _ in range(n):
        person = (await user(r.client)).at(r)
        people.append(person)
        requests.append((await person.join(r, status=202))["request"])
    for request in requests[:approved]:
        await r.host.approve(request["id"])
    return people, requests


async def requests(approver: InRoom) -> list[dict[str, Any]]:
    return list((await approver.join_requests())["requests"])


# -- bans ------------------------------------------------------------------------------


async def test_a_banned_account_cannot_come_back_under_any_name_until_unbanned(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"], nicknames={"guest": "Troll"})
    guest = r.guest
    await r.host.kick(guest, ban=True)

    by_link = await guest.join_call(r)
    assert error_code(by_link, 403) == "banned"
    assert details(by_link)["until"] is None  # until lifted
    assert await guest.join(r.id, status=403) == "banned"
    other_name = "Totally New Person"
    assert await guest.join(r, nickname=other_name, status=403) == "banned"
    assert await guest.join(r.id, nickname=other_name, status=403) == "banned"
    assert not await guest.is_member()

    await r.host.lift_ban(guest)
    back = await guest.join(r, nickname=other_name)
    assert back.nickname == "Totally New Person"
    assert await guest.is_member()


async def test_a_timed_ban_says_until_when(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    before = datetime.now(UTC)
    await r.host.kick(r.guest, ban=True, ban_s=3600)
    refused = await r.guest.join_call(r.id)
    assert error_code(refused, 403) == "banned"
    until = datetime.fromisoformat(details(refused)["until"])
    assert before + timedelta(seconds=3590) < until <= datetime.now(UTC) + timedelta(seconds=3600)


async def test_a_kick_without_a_ban_lets_them_back(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.kick(r.guest)
    await r.guest.join(r)


async def test_a_banned_account_is_told_it_is_banned_whatever_code_it_gives(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, code="open sesame")
    guest = await user(client)
    member = await guest.join(r, code="open sesame")
    await r.host.kick(member, ban=True)
    # The right code: banned.
    assert await guest.join(r, code="open sesame", status=403) == "banned"
    # No code or a wrong one must not hide the ban behind a code error.
    assert await guest.join(r, code="wrong", status=403) == "banned"
    assert await guest.join(r, status=403) == "banned"


async def test_a_banned_account_cannot_ask_to_join_either(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.kick(r.guest, ban=True)
    await r.host.update(join_approval=True)
    assert await r.guest.join(r, status=403) == "banned"
    assert await requests(r.host) == []


# -- entry conditions ------------------------------------------------------------------


async def test_a_verified_only_room_admits_an_account_once_the_operator_verifies_it(
    client: httpx.AsyncClient, server: Server
) -> None:
    r = await room(client, verified_only=True)
    assert r.data["verified_only"] is True
    guest = (await user(client)).at(r)
    for via in (r, r.id):
        assert await guest.join(via, status=403) == "verification_required"
    assert not await guest.is_member()

    op = await user(client)
    await do_set_operator(server.app.state.ctx, op.user["username"], True)
    marked = await op.api("PUT", f"/api/admin/users/{guest.user['username']}/verified")
    assert marked["verified"] is True
    await guest.join(r)
    assert await guest.is_member()


async def test_a_room_can_ask_for_accounts_of_a_minimum_age(
    client: httpx.AsyncClient, server: Server
) -> None:
    r = await room(client)
    await r.host.update(min_account_age_days=1)
    guest = await user(client)
    refused = await guest.join_call(r)
    assert error_code(refused, 403) == "account_too_new"
    assert 86_000 < details(refused)["retry_after_s"] <= 86_400
    assert details(refused)["min_account_age_days"] == 1
    assert await guest.join(r.id, status=403) == "account_too_new"

    # The same account two days later is old enough.
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(
            update(users)
            .where(users.c.username == guest.user["username"])
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    await guest.join(r)

    assert await r.host.update(min_account_age_days=3651, status=422) == "invalid_min_account_age"


async def test_entry_conditions_are_checked_before_the_participation_code(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, code="secret", verified_only=True)
    guest = await user(client)
    for code in (None, "wrong", "secret"):
        assert await guest.join(r, code=code, status=403) == "verification_required"


async def test_entry_conditions_do_not_apply_to_existing_members(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, ["host", "guest"])
    await r.host.update(verified_only=True, min_account_age_days=7)
    again = await r.guest.join(r)
    assert again.id == r.guest.id
    await r.guest.send("still here")


# -- link options ----------------------------------------------------------------------


async def test_a_link_admits_only_so_many_newcomers(client: httpx.AsyncClient) -> None:
    r = await room(client)
    old = r.link
    limited = await r.host.regenerate_link(max_uses=2)
    assert (limited["link_max_uses"], limited["link_uses"]) == (2, 0)
    link = limited["link"]
    assert link != old and r.link == link

    a = await r.add()
    # A member joining again is not a new use.
    assert (await a.join(r)).id == a.id
    b = await r.add()
    assert (await r.host.view())["link_uses"] == 2

    c = await user(client)
    assert await c.join(r, status=410) == "link_used_up"
    preview = await client.get(f"/api/links/{link.removeprefix('/l/')}")
    assert error_code(preview, 410) == "link_used_up"
    # Members already in are not affected.
    await b.join(r)

    # A new link starts counting from zero and keeps the limit.
    fresh = await r.host.regenerate_link()
    assert (fresh["link_max_uses"], fresh["link_uses"]) == (2, 0)
    assert fresh["link"] != link
    assert await c.join(link, status=404) == "link_not_found"
    await c.join(fresh["link"])


async def test_a_link_stops_working_when_it_expires(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert await r.host.regenerate_link(expires_at=past, status=422) == "invalid_expiry"
    assert await r.host.link_options(expires_at=past, status=422) == "invalid_expiry"
    assert (await r.host.view())["link_expires_at"] is None

    soon = clock.now() + timedelta(hours=1)
    set_ = await r.host.link_options(expires_at=soon.isoformat())
    assert set_["link"] == r.link
    assert datetime.fromisoformat(set_["link_expires_at"]) == soon
    code = r.link_code
    expect(await client.get(f"/api/links/{code}"), 200)
    late = await user(client)
    member = await r.add()

    clock.advance_to(soon)
    assert error_code(await client.get(f"/api/links/{code}"), 410) == "link_expired"
    assert await late.join(r, status=410) == "link_expired"
    # Members already in are not locked out by the expiry.
    await member.join(r)

    # Taking the expiry away makes the same link work again.
    cleared = await r.host.link_options(expires_at=None)
    assert (cleared["link"], cleared["link_expires_at"]) == (r.link, None)
    await late.join(r)


async def test_regenerating_an_expired_link_gives_a_link_that_works(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client)
    soon = clock.now() + timedelta(hours=1)
    await r.host.link_options(expires_at=soon.isoformat())
    clock.advance_to(soon)
    old = r.link_code
    assert error_code(await client.get(f"/api/links/{old}"), 410) == "link_expired"

    # The host's way out of an expired link: a new one, to share again.
    fresh = await r.host.regenerate_link()
    assert fresh["link"] != f"/l/{old}"
    expect(await client.get(f"/api/links/{fresh['link'].removeprefix('/l/')}"), 200)
    newcomer = await user(client)
    await newcomer.join(fresh["link"])


async def test_link_options_change_without_changing_the_link(client: httpx.AsyncClient) -> None:
    r = await room(client)
    expires = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    changed = await r.host.link_options(max_uses=5, expires_at=expires.isoformat())
    assert changed["link"] == r.link
    assert changed["link_max_uses"] == 5
    assert datetime.fromisoformat(changed["link_expires_at"]) == expires
    # Setting one option keeps the other.
    only_uses = await r.host.link_options(max_uses=3)
    assert only_uses["link_max_uses"] == 3
    assert datetime.fromisoformat(only_uses["link_expires_at"]) == expires
    # null removes a limit.
    cleared = await r.host.link_options(max_uses=None)
    assert (cleared["link"], cleared["link_max_uses"]) == (r.link, None)
    fetched = await r.host.view()
    assert (fetched["link"], fetched["link_max_uses"]) == (r.link, None)

    for bad in (0, -1, 100_000):
        patched = await r.host.room_call("PATCH", "/link", json={"max_uses": bad})
        assert patched.status_code == 422, bad
        regenerated = await r.host.room_call("POST", "/link", json={"max_uses": bad})
        assert regenerated.status_code == 422, bad
    # A refused request changed nothing, not even the link.
    assert (await r.host.view())["link"] == r.link
    assert await r.host.link_options(max_uses=100_000, status=422) == "invalid_link_max_uses"
    await r.host.link_options(max_uses=99_999)


async def test_only_those_with_the_links_right_manage_the_link(client: httpx.AsyncClient) -> None:
    r = await room(
        client,
        ["host", "member", "plain_cohost", "link_cohost"],
        roles={"plain_cohost": ["kick"], "link_cohost": ["links"]},
    )
    for who in (r.member, r.plain_cohost):
        assert await who.link_options(max_uses=5, status=403) == "not_permitted"
        assert await who.regenerate_link(status=403) == "not_permitted"
    assert (await r.host.view())["link"] == r.link
    assert (await r.host.view())["link_max_uses"] is None

    assert (await r.link_cohost.link_options(max_uses=5))["link_max_uses"] == 5
    old = r.link
    regenerated = await r.link_cohost.regenerate_link()
    assert regenerated["link"] != old
    assert (await r.host.view())["link"] == regenerated["link"]


# -- join requests ---------------------------------------------------------------------


async def test_a_room_with_approval_files_a_request_instead_of_admitting(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, join_approval=True)
    host_sock = await r.host.connect()
    applicant = (await user(client, display_name="Real Name Person")).at(r)

    asked = await applicant.join(r, nickname="Curious Cat", status=202)
    assert set(asked) == {"room", "request"}
    assert asked["room"]["id"] == r.id
    request = asked["request"]
    assert (request["status"], request["nickname"]) == ("pending", "Curious Cat")
    assert not await applicant.is_member()
    posted = await applicant.room_call("POST", "/messages", json={"client_id": "x1", "body": "hi"})
    assert posted.status_code in (403, 404)
    assert (await r.host.view())["member_count"] == 1

    # Asking again (by link or by id) finds the same request.
    again = await applicant.join(r.id, nickname="Curious Cat", status=202)
    assert again["request"]["id"] == request["id"]
    again = await applicant.join(r, nickname="Curious Cat", status=202)
    assert again["request"]["id"] == request["id"]

    listed = await requests(r.host)
    assert [q["id"] for q in listed] == [request["id"]]
    assert listed[0]["nickname"] == "Curious Cat"
    # Moderators see the chosen profile, never the account behind it.
    text = json.dumps(listed)
    assert applicant.user["username"] not in text
    assert "Real Name Person" not in text
    for key in ("username", "user", "user_id", "account", "display_name"):
        assert key not in listed[0], key

    # The host hears of it live, once, with no more about the account than the list.
    event = await host_sock.next_event("join_request")
    assert event["room"] == r.id
    assert event["request"]["id"] == request["id"]
    assert event["request"]["nickname"] == "Curious Cat"
    assert applicant.user["username"] not in json.dumps(event)
    assert "Real Name Person" not in json.dumps(event)
    for key in ("username", "user", "user_id", "account", "display_name"):
        assert key not in event["request"], key
    assert not [e for e in await host_sock.barrier() if e["type"] == "join_request"]


async def test_an_approved_applicant_comes_in_by_accepting_live(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, join_approval=True)
    applicant = (await user(client)).at(r)
    sock = await applicant.connect()
    request = (await applicant.join(r, nickname="Newbie", status=202))["request"]

    approved = await r.host.approve(request["id"])
    assert (approved["id"], approved["status"]) == (request["id"], "approved")
    # An approval is an invitation: the applicant is told, and is not a member yet.
    decided = await sock.next_event("join_request_decided")
    assert (decided["room"], decided["request"]["id"]) == (r.id, request["id"])
    assert decided["request"]["status"] == "approved"
    assert not [e for e in await sock.barrier() if e["type"] == "joined"]
    assert not await applicant.is_member()
    assert (await r.host.view())["member_count"] == 1
    assert await requests(r.host) == []
    assert await r.host.approve(request["id"], status=404) == "join_request_not_found"
    assert await r.host.reject(request["id"], status=404) == "join_request_not_found"
    # Asking again meanwhile finds the approval, not a new request.
    asked = (await applicant.join(r, nickname="Newbie", status=202))["request"]
    assert (asked["id"], asked["status"]) == (request["id"], "approved")

    # The applicant comes in when they choose, under the profile they asked with.
    accepted = await applicant.room_api("POST", "/join-request/accept")
    assert accepted["room"]["id"] == r.id
    assert accepted["me"]["nickname"] == "Newbie"
    view = await applicant.view()
    assert view["me"]["id"] == accepted["me"]["id"]
    sent = await applicant.send("thanks for letting me in")
    # Taken up once: a second accept finds nothing, a member joining again is a member.
    assert await applicant.come_in(status=404) == "join_request_not_found"
    assert (await applicant.join(r)).id == accepted["me"]["id"]

    # Live: the applicant's socket starts carrying the room.
    joined = await sock.next_event("joined")
    assert joined["room"]["id"] == r.id
    assert joined["member"]["nickname"] == "Newbie"
    await sock.next_message(seq=sent["seq"])
    from_host = await r.host.send("welcome")
    await sock.next_message(seq=from_host["seq"])


async def test_accepting_needs_an_approval_that_is_still_valid(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    r = await room(client, join_approval=True)
    applicant = (await user(client)).at(r)
    assert await applicant.come_in(status=404) == "join_request_not_found"
    request = (await applicant.join(r, status=202))["request"]
    assert await applicant.come_in(status=404) == "join_request_not_found"
    await r.host.approve(request["id"])

    clock.advance(timedelta(days=7, seconds=1).total_seconds())  # OPENLINK_JOIN_APPROVAL_TTL_S
    assert await applicant.come_in(status=410) == "approval_expired"
    assert not await applicant.is_member()
    # Asking again files a new request for the moderators.
    fresh = (await applicant.join(r, status=202))["request"]
    assert (fresh["status"], fresh["id"] != request["id"]) == ("pending", True)
    assert [q["id"] for q in await requests(r.host)] == [fresh["id"]]


async def test_accepting_checks_the_room_as_a_join_would(
    client: httpx.AsyncClient, server: Server
) -> None:
    r = await room(client, join_approval=True)
    people, _ = await applicants(r, 2, approved=2)

    # Entry conditions set after the approval hold at the door.
    await r.host.update(min_account_age_days=1)
    assert await people[0].come_in(status=403) == "account_too_new"
    await r.host.update(min_account_age_days=0)
    # So does a closed room.
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(update(rooms).where(rooms.c.id == r.id).values(status="closed"))
    assert await people[0].come_in(status=403) == "room_closed"
    async with server.app.state.ctx.db.write() as tx:
        await tx.conn.execute(update(rooms).where(rooms.c.id == r.id).values(status="open"))
    # Refusals leave the approval standing: the applicant comes in once the door opens.
    await people[0].come_in()
    await people[1].come_in()
    assert (await r.host.view())["member_count"] == 3


async def test_an_applicant_can_decline_an_approval(client: httpx.AsyncClient) -> None:
    r = await room(client, join_approval=True)
    [applicant], _ = await applicants(r, 1, approved=1)
    await applicant.withdraw()
    assert await applicant.come_in(status=404) == "join_request_not_found"
    assert not await applicant.is_member()


async def test_a_rejected_applicant_is_told_and_stays_out(client: httpx.AsyncClient) -> None:
    r = await room(client, join_approval=True)
    applicant = (await user(client)).at(r)
    sock = await applicant.connect()
    request = (await applicant.join(r, status=202))["request"]

    rejected = await r.host.reject(request["id"])
    assert rejected["status"] == "rejected"
    assert not await applicant.is_member()
    assert await requests(r.host) == []
    assert (await r.host.view())["member_count"] == 1
    body = {"client_id": "c1", "body": "let me in"}
    refused = await applicant.room_call("POST", "/messages", json=body)
    assert refused.status_code in (403, 404)

    decided = await sock.next_event("join_request_decided")
    assert decided["request"]["id"] == request["id"]
    assert decided["request"]["status"] == "rejected"
    assert not [e for e in await sock.barrier() if e["type"] == "joined"]


async def test_only_cohosts_with_the_approve_right_decide_requests(
    client: httpx.AsyncClient,
) -> None:
    r = await room(
        client,
        ["host", "plain", "approver", "member"],
        roles={"plain": ["kick"], "approver": ["approve"]},
    )
    await r.host.update(join_approval=True)
    plain_sock = await r.plain.connect()
    approver_sock = await r.approver.connect()

    applicant = (await user(client)).at(r)
    request = (await applicant.join(r, status=202))["request"]

    for who in (r.plain, r.member):
        assert await who.join_requests(status=403) == "not_permitted"
        assert await who.approve(request["id"], status=403) == "not_permitted"
        assert await who.reject(request["id"], status=403) == "not_permitted"
    assert not await applicant.is_member()

    assert [q["id"] for q in await requests(r.approver)] == [request["id"]]
    await r.approver.approve(request["id"])
    await applicant.come_in()
    assert await applicant.is_member()

    # Only those who can decide hear of requests.
    assert (await approver_sock.next_event("join_request"))["request"]["id"] == request["id"]
    assert not [e for e in await plain_sock.barrier() if e["type"] == "join_request"]


async def test_an_applicant_can_withdraw_their_request(client: httpx.AsyncClient) -> None:
    r = await room(client, join_approval=True)
    [applicant, _], [request, _] = await applicants(r, 2, approved=0)

    await applicant.withdraw()
    assert request["id"] not in [q["id"] for q in await requests(r.host)]
    assert len(await requests(r.host)) == 1
    assert await applicant.withdraw(status=404) == "join_request_not_found"
    assert await r.host.approve(request["id"], status=404) == "join_request_not_found"
    assert not await applicant.is_member()

    # Asking again after withdrawing files a new request.
    fresh = (await applicant.join(r, status=202))["request"]
    assert fresh["id"] != request["id"]


async def test_a_room_that_filled_up_meanwhile_cannot_take_the_applicant(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, join_approval=True, member_cap=3)
    people, asked = await applicants(r, 3, approved=2)
    await people[0].come_in()
    # The last place goes to whoever accepts first.
    await people[1].come_in()
    assert (await r.host.view())["member_count"] == 3
    # Full: a moderator cannot approve more, and the request still waits, for when a
    # place frees up.
    assert await r.host.approve(asked[2]["id"], status=409) == "room_full"
    assert not await people[2].is_member()
    assert [q["id"] for q in await requests(r.host)] == [asked[2]["id"]]


async def test_an_approval_finds_the_room_full_when_others_came_first(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client, join_approval=True, member_cap=2)
    people, _ = await applicants(r, 2, approved=2)
    await people[0].come_in()
    assert await people[1].come_in(status=409) == "room_full"
    assert not await people[1].is_member()
    assert (await r.host.view())["member_count"] == 2


async def test_asking_again_does_not_use_up_the_link(client: httpx.AsyncClient) -> None:
    r = await room(client, join_approval=True)
    await r.host.regenerate_link(max_uses=2)
    a = await user(client)
    b = await user(client)
    first = (await a.join(r, status=202))["request"]
    # The applicant asks again (a second tap, a reload): the same pending request.
    assert (await a.join(r, status=202))["request"]["id"] == first["id"]
    await b.join(r, status=202)
