"""Bans per stay: two memberships of one account are two ban entries, each lifted on its
own, while the account stays out as long as any of them holds; and nothing a host sees
tells that the two entries are one account."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.conftest import Server
from tests.factories import error_code
from tests.factory import Account, Member, Room, room, user
from tests.fakes.clock import OffsetClock


async def stay(person: Account, r: Room, nickname: str) -> Member:
    """Join ``r`` as ``nickname`` and leave again; returns that stay."""
    member: Member = await person.join(r, nickname=nickname)
    await member.leave()
    return member


async def test_two_stays_of_one_account_are_two_bans_lifted_one_by_one(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client)
    person = await user(client)
    alice = await stay(person, r, "alice")
    bob = await person.join(r, nickname="bob")

    banned_alice = await r.host.ban(alice, reason="raid")
    await r.host.kick(bob, ban=True, ban_s=86_400, reason="spam")
    listed = {b["member_id"]: b for b in await r.host.bans()}
    # The second ban did not swallow the first: each stay keeps its own entry.
    assert set(listed) == {alice.id, bob.id}
    assert (listed[alice.id]["nickname"], listed[alice.id]["until"]) == ("alice", None)
    assert listed[alice.id] == banned_alice
    assert listed[bob.id]["nickname"] == "bob" and listed[bob.id]["until"] is not None
    assert (listed[alice.id]["reason"], listed[bob.id]["reason"]) == ("raid", "spam")

    # Lifting one entry leaves the account banned by the other.
    await r.host.lift_ban(alice)
    assert [b["member_id"] for b in await r.host.bans()] == [bob.id]
    assert await person.join(r, status=403) == "banned"
    await r.host.lift_ban(bob)
    assert await r.host.bans() == []
    await person.join(r)


async def test_banning_a_former_stay_answers_with_that_stays_own_entry(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client)
    person = await user(client)
    first = await stay(person, r, "first")
    second = await stay(person, r, "second")
    await r.host.ban(second, ban_s=3_600, reason="later stay")
    answer = await r.host.ban(first, reason="earlier stay")
    # Not the account's other entry: nothing in the answer points at the second stay.
    assert (answer["member_id"], answer["nickname"], answer["until"]) == (first.id, "first", None)
    assert answer["reason"] == "earlier stay"


async def test_each_entry_expires_on_its_own(client: httpx.AsyncClient, clock: OffsetClock) -> None:
    r = await room(client)
    person = await user(client)
    short = await stay(person, r, "short")
    long = await stay(person, r, "long")
    # The longer ban first: a later, shorter one must not cut it short.
    await r.host.ban(long, ban_s=3 * 3_600)
    await r.host.ban(short, ban_s=3_600)

    clock.advance(timedelta(hours=2).total_seconds())
    assert [b["member_id"] for b in await r.host.bans()] == [long.id]
    refused = await person.join_call(r)
    assert error_code(refused, 403) == "banned"
    # The joiner is told when the entry that still holds them ends.
    assert refused.json()["error"]["details"]["until"] == (await r.host.bans())[0]["until"]

    clock.advance(timedelta(hours=2).total_seconds())  # 4 hours after the bans
    assert await r.host.bans() == []
    await person.join(r)


async def test_approving_a_request_answers_and_looks_the_same_when_the_account_was_banned_since(
    client: httpx.AsyncClient, server: Server
) -> None:
    """A host who suspects an applicant is a former member bans that former stay and
    approves every pending request: whatever they then see (answers, events, members)
    must not pick out the request filed by the banned account."""
    r = await room(client)
    person = await user(client)
    stranger = await user(client)
    earlier = await stay(person, r, "alice")
    await r.host.update(join_approval=True)
    socks = [await account.connect() for account in (person, stranger)]
    requests = []
    for account, nickname in ((person, "bob"), (stranger, "carol")):
        requests.append((await account.join(r, nickname=nickname, status=202))["request"])
    # The ban lands on the earlier stay after the account filed its request.
    await r.host.ban(earlier)
    count = (await r.host.view())["member_count"]

    answers = [await r.host.approve(request["id"]) for request in requests]
    # The host's answer for the banned account looks like the one for anyone else,
    assert [a["status"] for a in answers] == ["approved", "approved"]
    assert {frozenset(a) for a in answers} == {frozenset(answers[1])}
    # so do the applicants' events,
    for sock in socks:
        decided = await sock.next_event("join_request_decided")
        assert decided["request"]["status"] == "approved"
    # and the room: nobody is let in by the approval itself.
    present = {m["nickname"] for m in (await r.host.members()).values()}
    assert not present & {"bob", "carol"}
    assert (await r.host.view())["member_count"] == count

    # Coming in is the applicant's step, and the ban refuses it to that applicant only.
    assert await person.at(r).come_in(status=403) == "banned"
    await stranger.at(r).come_in()
    assert not [e for e in await socks[0].barrier() if e["type"] == "joined"]
    assert await person.join(r, status=403) == "banned"
