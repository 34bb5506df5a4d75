"""Hidden text in reports follows one rule: only those who may read hidden messages (the
host, co-hosts with the ``hide`` right, the instance's operators) see it; the reporter's
copy never carries it."""

from __future__ import annotations

import httpx

from tests.conftest import Server
from tests.factory import Room, operator, room

NASTY = "something nasty"


async def room_of_three(client: httpx.AsyncClient) -> Room:
    """A host and two members: ``alice`` reports what ``bob`` sends."""
    return await room(client, ["host", "alice", "bob"], nicknames={"alice": "A", "bob": "B"})


async def test_reporting_a_hidden_message_shows_the_reporter_nothing_of_it(
    client: httpx.AsyncClient,
) -> None:
    r = await room_of_three(client)
    sent = await r.bob.send(NASTY)
    await r.host.hide(sent["seq"])

    filed = await r.alice.report(seq=sent["seq"], reason="spam")
    assert (filed["excerpt"], filed["message_hidden"]) == (None, True)
    again = await r.alice.report(seq=sent["seq"], reason="spam", status=200)
    assert again["id"] == filed["id"] and again["excerpt"] is None
    # The host still reviews it.
    (listed,) = await r.host.reports()
    assert (listed["excerpt"], listed["message_hidden"]) == (NASTY, True)


async def test_a_message_hidden_after_the_report_leaves_the_reporters_copy_too(
    client: httpx.AsyncClient,
) -> None:
    r = await room_of_three(client)
    sent = await r.bob.send(NASTY)
    filed = await r.alice.report(seq=sent["seq"], reason="spam")
    assert (filed["excerpt"], filed["message_hidden"]) == (NASTY, False)
    await r.host.hide(sent["seq"])
    again = await r.alice.report(seq=sent["seq"], reason="spam", status=200)
    assert (again["excerpt"], again["message_hidden"]) == (None, True)


async def test_moderators_copies_follow_the_hide_right(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(
        client,
        ["host", "alice", "bob", "plain", "hider"],
        nicknames={"alice": "A", "bob": "B"},
        roles={"plain": ["kick"], "hider": ["hide"]},
        sockets=True,
    )
    op = await operator(client, server)
    await op.connect()
    sent = await r.bob.send(NASTY)
    await r.host.hide(sent["seq"])

    filed = await r.alice.report(seq=sent["seq"], reason="spam")
    live = {
        name: (await r[name].next_event("report"))["report"] for name in ("plain", "hider", "host")
    }
    live["operator"] = (await op.next_event("report"))["report"]
    assert live["plain"]["excerpt"] is None and live["plain"]["message_hidden"] is True
    assert live["hider"]["excerpt"] == live["host"]["excerpt"] == NASTY
    assert live["operator"]["excerpt"] == NASTY

    (listed,) = await r.plain.reports()
    assert listed["excerpt"] is None
    (listed,) = await r.hider.reports()
    assert listed["excerpt"] == NASTY
    (listed,) = await op.admin_reports()
    assert listed["excerpt"] == NASTY

    done = await r.plain.resolve(filed["id"], "seen")
    assert done["excerpt"] is None and done["status"] == "resolved"
    assert await r.plain.review(sent["seq"], status=403) == "not_permitted"


async def test_hidden_text_stays_reviewable_in_a_closed_room(client: httpx.AsyncClient) -> None:
    r = await room(
        client,
        ["host", "alice", "bob", "hider"],
        nicknames={"alice": "A", "bob": "B"},
        roles={"hider": ["hide"]},
    )
    sent = await r.bob.send(NASTY)
    await r.host.hide(sent["seq"])
    await r.alice.report(seq=sent["seq"], reason="spam")
    await r.host.close()

    (listed,) = await r.hider.reports()
    assert listed["excerpt"] == NASTY
    assert (await r.hider.review(sent["seq"]))["body"] == NASTY
