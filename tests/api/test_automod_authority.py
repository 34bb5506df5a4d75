"""Automod acts with its rules' authors' rights: never on the host, on a co-host only by
the host's rule, a time-out or hide only if the author may order one directly, and no
more than the author's rights allow now."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import error_code
from tests.factory import InRoom, Member, Room, details, room


def rule(**fields: Any) -> dict[str, Any]:
    """A rule blocking "spam" that exempts nobody, with ``fields`` changed."""
    defaults = {
        "name": "no spam",
        "kind": "keyword",
        "patterns": ["spam"],
        "action": "block",
        "exempt_roles": [],
    }
    return {**defaults, **fields}


async def add_rule(author: InRoom, *, status: int = 201, **fields: Any) -> Any:
    return await author.add_rule(status=status, **rule(**fields))


async def cohost(r: Room, name: str, rights: list[str]) -> Member:
    member = await r.add(name)
    await r.host.appoint(member, rights)
    return member


async def test_no_rule_times_out_or_blocks_the_host(client: httpx.AsyncClient) -> None:
    r = await room(client)
    await add_rule(r.host, name="t", action="timeout", timeout_s=600)
    mod = await cohost(r, "mod", ["automod"])
    await add_rule(mod, name="b", patterns=["eggs"])

    await r.host.send("spam and eggs")
    await r.host.send("still here")
    host = (await r.host.members())[r.host.id]
    assert host["role"] == "host"
    assert "timed_out_until" not in host


async def test_a_cohost_may_give_a_rule_only_actions_they_may_take(
    client: httpx.AsyncClient,
) -> None:
    r = await room(client)
    mod = await cohost(r, "mod", ["automod"])
    for action, extra in (("timeout", {"timeout_s": 600}), ("hide", {})):
        refused = await mod.room_call("POST", "/automod/rules", json=rule(action=action, **extra))
        assert error_code(refused, 403) == "automod_action_not_permitted"
        assert details(refused) == {"action": action}
    made = await add_rule(mod)
    assert made["author"] is not None
    patched = await mod.room_call(
        "PATCH", f"/automod/rules/{made['id']}", json={"action": "timeout", "timeout_s": 600}
    )
    assert error_code(patched, 403) == "automod_action_not_permitted"

    strong = await cohost(r, "strong", ["automod", "timeout", "hide"])
    await add_rule(strong, name="t", action="timeout", timeout_s=600)


async def test_a_cohosts_rule_never_acts_on_another_cohost(client: httpx.AsyncClient) -> None:
    r = await room(client)
    mod = await cohost(r, "mod", ["automod", "timeout"])
    await add_rule(mod, name="t", action="timeout", timeout_s=600)
    other = await cohost(r, "other", [])
    guest = await r.add("guest")

    await other.send("spam")
    await other.send("not timed out")
    refused = await guest.send_call("spam")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)


async def test_the_hosts_rule_may_time_out_a_cohost(client: httpx.AsyncClient) -> None:
    r = await room(client)
    await add_rule(r.host, name="t", action="timeout", timeout_s=600)
    other = await cohost(r, "other", [])
    refused = await other.send_call("spam")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" in details(refused)
    assert await other.send("hi", status=403) == "timed_out"


async def test_a_rule_loses_what_its_author_loses(client: httpx.AsyncClient) -> None:
    r = await room(client)
    mod = await cohost(r, "mod", ["automod", "timeout"])
    made = await add_rule(mod, name="t", action="timeout", timeout_s=600)
    assert made["author"] == mod.id
    guest = await r.add("guest")

    # The author keeps automod but loses the timeout right: the rule only blocks.
    await r.host.appoint(mod, ["automod"])
    refused = await guest.send_call("spam")
    assert error_code(refused, 403) == "automod_blocked"
    assert "timed_out_until" not in details(refused)
    await guest.send("not timed out")

    # The author is no co-host any more: still only a block, and only of members.
    await r.host.dismiss(mod)
    assert await guest.send("spam", status=403) == "automod_blocked"
    await guest.send("not timed out")
    other = await cohost(r, "other", [])
    await other.send("spam")

    # The host takes the rule over by changing it: it acts with the host's rights again.
    adopted = await r.host.change_rule(made["id"], name="adopted")
    assert adopted["author"] == r.host.id
    refused = await guest.send_call("spam")
    assert "timed_out_until" in details(refused)
