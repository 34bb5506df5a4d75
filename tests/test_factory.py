"""The test factory does what tests/README.md says it does."""

from __future__ import annotations

import httpx

from tests.factory import room, user


async def test_a_cohost_with_the_hide_right_hides(client: httpx.AsyncClient) -> None:
    r = await room(
        client,
        ["host", "mod", "guest"],
        roles={"mod": ["hide"]},
        nicknames={"guest": "Nightowl"},
        sockets=True,
        slow_mode_s=0,
    )
    sent = await r.guest.send("buy cheap pills")
    await r.mod.hide(sent["seq"], reason="spam")
    live = await r.host.next_event("message", where=lambda e: e["change"] == "hidden")
    assert live["message"]["seq"] == sent["seq"]
    assert await r.guest.hide(sent["seq"], status=403) == "not_permitted"
    outsider = await r.outsider()
    assert await outsider.history(status=404) == "room_not_found"


async def test_members_are_who_the_room_says_they_are(client: httpx.AsyncClient) -> None:
    r = await room(client, 3, nicknames={"member2": "Owl"})
    assert [m.id for m in r] == [r.host.id, r[1].id, r["member2"].id]
    listed = await r.host.members()
    assert set(listed) == {m.id for m in r}
    assert listed[r.host.id]["role"] == "host"
    assert listed[r.member2.id]["nickname"] == "Owl" == r.member2.nickname
    # Each member acts with its own account: the message is the sender's.
    assert (await r[1].send())["member"] == r[1].id
    stranger = await user(client)
    assert stranger.user["username"] not in {m.user["username"] for m in r}
    assert (await stranger.join(r)).id not in listed
