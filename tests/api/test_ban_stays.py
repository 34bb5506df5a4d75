"""Bans per stay: two memberships of one account are two ban entries, each lifted on its
own, while the account stays out as long as any of them holds; and nothing a host sees
tells that the two entries are one account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.conftest import Server
from tests.factories import auth, error_code, expect, join, make_room, make_user, open_socket
from tests.fakes.clock import OffsetClock


class Room:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def setup(self, **fields: Any) -> Room:
        _, self.host = await make_user(self.client)
        created = await make_room(self.client, self.host, **fields)
        self.id, self.link = created["room"]["id"], created["room"]["link"]
        return self

    def path(self, rest: str) -> str:
        return f"/api/rooms/{self.id}{rest}"

    async def stay(self, token: str, nickname: str) -> str:
        """Join as ``nickname`` and leave again; returns that stay's member id."""
        member_id = await self.enter(token, nickname)
        expect(await self.client.post(self.path("/leave"), headers=auth(token)), 204)
        return member_id

    async def enter(self, token: str, nickname: str) -> str:
        profile = {"kind": "open", "nickname": nickname}
        return str((await join(self.client, token, self.link, profile=profile))["me"]["id"])

    async def ban_former(self, member_id: str, **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            self.path("/bans"), json={"member_id": member_id, **body}, headers=auth(self.host)
        )
        return dict(expect(response, 201))

    async def kick_ban(self, member_id: str, **body: Any) -> None:
        response = await self.client.post(
            self.path(f"/members/{member_id}/kick"),
            json={"ban": True, **body},
            headers=auth(self.host),
        )
        expect(response, 204)

    async def bans(self) -> list[dict[str, Any]]:
        response = await self.client.get(self.path("/bans"), headers=auth(self.host))
        return list(expect(response, 200)["bans"])

    async def lift(self, member_id: str) -> None:
        expect(
            await self.client.delete(self.path(f"/bans/{member_id}"), headers=auth(self.host)), 204
        )

    async def try_join(self, token: str) -> httpx.Response:
        code = self.link.removeprefix("/l/")
        return await self.client.post(f"/api/links/{code}/join", json={}, headers=auth(token))


async def test_two_stays_of_one_account_are_two_bans_lifted_one_by_one(
    client: httpx.AsyncClient,
) -> None:
    room = await Room(client).setup()
    _, person = await make_user(client)
    alice = await room.stay(person, "alice")
    bob = await room.enter(person, "bob")

    banned_alice = await room.ban_former(alice, reason="raid")
    await room.kick_ban(bob, ban_s=86_400, reason="spam")
    listed = {b["member_id"]: b for b in await room.bans()}
    # The second ban did not swallow the first: each stay keeps its own entry.
    assert set(listed) == {alice, bob}
    assert (listed[alice]["nickname"], listed[alice]["until"]) == ("alice", None)
    assert listed[alice] == banned_alice
    assert listed[bob]["nickname"] == "bob" and listed[bob]["until"] is not None
    assert (listed[alice]["reason"], listed[bob]["reason"]) == ("raid", "spam")

    # Lifting one entry leaves the account banned by the other.
    await room.lift(alice)
    assert [b["member_id"] for b in await room.bans()] == [bob]
    assert error_code(await room.try_join(person), 403) == "banned"
    await room.lift(bob)
    assert await room.bans() == []
    expect(await room.try_join(person), 200)


async def test_banning_a_former_stay_answers_with_that_stays_own_entry(
    client: httpx.AsyncClient,
) -> None:
    room = await Room(client).setup()
    _, person = await make_user(client)
    first = await room.stay(person, "first")
    second = await room.stay(person, "second")
    await room.ban_former(second, ban_s=3_600, reason="later stay")
    answer = await room.ban_former(first, reason="earlier stay")
    # Not the account's other entry: nothing in the answer points at the second stay.
    assert (answer["member_id"], answer["nickname"], answer["until"]) == (first, "first", None)
    assert answer["reason"] == "earlier stay"


async def test_each_entry_expires_on_its_own(client: httpx.AsyncClient, clock: OffsetClock) -> None:
    room = await Room(client).setup()
    _, person = await make_user(client)
    short = await room.stay(person, "short")
    long = await room.stay(person, "long")
    # The longer ban first: a later, shorter one must not cut it short.
    await room.ban_former(long, ban_s=3 * 3_600)
    await room.ban_former(short, ban_s=3_600)

    clock.advance(timedelta(hours=2).total_seconds())
    assert [b["member_id"] for b in await room.bans()] == [long]
    refused = await room.try_join(person)
    assert error_code(refused, 403) == "banned"
    # The joiner is told when the entry that still holds them ends.
    assert refused.json()["error"]["details"]["until"] == (await room.bans())[0]["until"]

    clock.advance(timedelta(hours=2).total_seconds())  # 4 hours after the bans
    assert await room.bans() == []
    expect(await room.try_join(person), 200)


async def test_approving_a_request_answers_and_looks_the_same_when_the_account_was_banned_since(
    client: httpx.AsyncClient, server: Server
) -> None:
    """A host who suspects an applicant is a former member bans that former stay and
    approves every pending request: whatever they then see (answers, events, members)
    must not pick out the request filed by the banned account."""
    room = await Room(client).setup()
    _, person = await make_user(client)
    _, stranger = await make_user(client)
    earlier = await room.stay(person, "alice")
    expect(
        await client.patch(room.path(""), json={"join_approval": True}, headers=auth(room.host)),
        200,
    )
    socks = [await open_socket(server.ws_url, token) for token in (person, stranger)]
    code = room.link.removeprefix("/l/")
    requests = []
    for token, nickname in ((person, "bob"), (stranger, "carol")):
        profile = {"profile": {"kind": "open", "nickname": nickname}}
        response = await client.post(f"/api/links/{code}/join", json=profile, headers=auth(token))
        requests.append(expect(response, 202)["request"])
    # The ban lands on the earlier stay after the account filed its request.
    await room.ban_former(earlier)
    count = expect(await client.get(room.path(""), headers=auth(room.host)), 200)["member_count"]

    answers = []
    for request in requests:
        response = await client.post(
            room.path(f"/join-requests/{request['id']}/approve"), headers=auth(room.host)
        )
        answers.append(expect(response, 200))
    # The host's answer for the banned account looks like the one for anyone else,
    assert [a["status"] for a in answers] == ["approved", "approved"]
    assert {frozenset(a) for a in answers} == {frozenset(answers[1])}
    # so do the applicants' events,
    for sock in socks:
        decided = await sock.next_event("join_request_decided")
        assert decided["request"]["status"] == "approved"
    # and the room: nobody is let in by the approval itself.
    members = await client.get(room.path("/members"), headers=auth(room.host))
    present = {m["nickname"] for m in expect(members, 200)["members"]}
    assert not present & {"bob", "carol"}
    after = expect(await client.get(room.path(""), headers=auth(room.host)), 200)
    assert after["member_count"] == count

    # Coming in is the applicant's step, and the ban refuses it to that applicant only.
    refused = await client.post(room.path("/join-request/accept"), headers=auth(person))
    assert error_code(refused, 403) == "banned"
    expect(await client.post(room.path("/join-request/accept"), headers=auth(stranger)), 200)
    assert not [e for e in await socks[0].barrier() if e["type"] == "joined"]
    assert error_code(await room.try_join(person), 403) == "banned"
