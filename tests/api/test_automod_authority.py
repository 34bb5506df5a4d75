"""Automod acts with its rules' authors' rights: never on the host, on a co-host only by
the host's rule, a time-out or hide only if the author may order one directly, and no
more than the author's rights allow now."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.test_flow import Room, details, make
from tests.factories import auth, error_code, expect


async def add_rule(room: Room, token: str, *, status: int = 201, **fields: Any) -> Any:
    fields.setdefault("name", "no spam")
    fields.setdefault("kind", "keyword")
    fields.setdefault("patterns", ["spam"])
    fields.setdefault("action", "block")
    fields.setdefault("exempt_roles", [])
    response = await room.client.post(room.path("/automod/rules"), json=fields, headers=auth(token))
    return expect(response, status) if status < 400 else response


async def cohost(room: Room, rights: list[str]) -> tuple[str, str]:
    token, member_id = await room.member()
    await room.appoint(member_id, rights)
    return token, member_id


async def test_no_rule_times_out_or_blocks_the_host(client: httpx.AsyncClient) -> None:
    room = await make(client)
    await add_rule(room, room.host, name="t", action="timeout", timeout_s=600)
    mod, _ = await cohost(room, ["automod"])
    await add_rule(room, mod, name="b", patterns=["eggs"])

    expect(await room.send(room.host, "spam and eggs"), 201)
    expect(await room.send(room.host, "still here"), 201)
    members = expect(await client.get(room.path("/members"), headers=auth(room.host)), 200)
    host = next(m for m in members["members"] if m["role"] == "host")
    assert "timed_out_until" not in host


async def test_a_cohost_may_give_a_rule_only_actions_they_may_take(
    client: httpx.AsyncClient,
) -> None:
    room = await make(client)
    mod, _ = await cohost(room, ["automod"])
    for action, extra in (("timeout", {"timeout_s": 600}), ("hide", {})):
        refused = await add_rule(room, mod, status=403, action=action, **extra)
        assert error_code(refused, 403) == "automod_action_not_permitted"
        assert details(refused) == {"action": action}
    rule = await add_rule(room, mod)
    assert rule["author"] is not None
    patched = await client.patch(
        room.path(f"/automod/rules/{rule['id']}"),
        json={"action": "timeout", "timeout_s": 600},
        headers=auth(mod),
    )
    assert error_code(patched, 403) == "automod_action_not_permitted"

    strong, _ = await cohost(room, ["automod", "timeout", "hide"])
    await add_rule(room, strong, name="t", action="timeout", timeout_s=600)


async def test_a_cohosts_rule_never_acts_on_another_cohost(client: httpx.AsyncClient) -> None:
    room = await make(client)
    mod, _ = await cohost(room, ["automod", "timeout"])
    await add_rule(room, mod, name="t", action="timeout", timeout_s=600)
    other, _ = await cohost(room, [])
    guest, _ = await room.member()

    expect(await room.send(other, "spam"), 201)
    expect(await room.send(other, "not timed out"), 201)
    refused = await room.send(guest, "spam")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)


async def test_the_hosts_rule_may_time_out_a_cohost(client: httpx.AsyncClient) -> None:
    room = await make(client)
    await add_rule(room, room.host, name="t", action="timeout", timeout_s=600)
    other, _ = await cohost(room, [])
    refused = await room.send(other, "spam")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)
    assert error_code(await room.send(other, "hi"), 403) == "timed_out"


async def test_a_rule_loses_what_its_author_loses(client: httpx.AsyncClient) -> None:
    room = await make(client)
    mod, mod_id = await cohost(room, ["automod", "timeout"])
    rule = await add_rule(room, mod, name="t", action="timeout", timeout_s=600)
    assert rule["author"] == mod_id
    guest, _ = await room.member()

    # The author keeps automod but loses the timeout right: the rule only blocks.
    await room.appoint(mod_id, ["automod"])
    refused = await room.send(guest, "spam")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" not in details(refused)
    expect(await room.send(guest, "not timed out"), 201)

    # The author is no co-host any more: still only a block, and only of members.
    expect(await client.delete(room.path(f"/cohosts/{mod_id}"), headers=auth(room.host)), 200)
    assert error_code(await room.send(guest, "spam"), 403) == "automod_blocked"
    expect(await room.send(guest, "not timed out"), 201)
    other, _ = await cohost(room, [])
    expect(await room.send(other, "spam"), 201)

    # The host takes the rule over by changing it: it acts with the host's rights again.
    adopted = expect(
        await client.patch(
            room.path(f"/automod/rules/{rule['id']}"),
            json={"name": "adopted"},
            headers=auth(room.host),
        ),
        200,
    )
    assert adopted["author"] == room.host_id
    refused = await room.send(guest, "spam")
    assert "timed_out_until" in details(refused)
