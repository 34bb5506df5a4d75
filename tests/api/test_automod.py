"""Automod end to end: rules through the API, and what they do to messages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.factories import error_code, texts
from tests.factory import InRoom, room


async def add_rule(actor: InRoom, *, status: int = 201, **fields: Any) -> Any:
    """A rule called "no spam" blocking the keyword "spam", unless ``fields`` say else."""
    fields.setdefault("name", "no spam")
    fields.setdefault("kind", "keyword")
    fields.setdefault("patterns", ["spam"])
    fields.setdefault("action", "block")
    return await actor.add_rule(status=status, **fields)


async def test_rules_crud(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    host = r.host
    assert await host.rules() == []

    created = await add_rule(host, patterns=[" spam ", "spam", "eggs*"])
    assert created["patterns"] == ["spam", "eggs*"]
    assert created["exempt_roles"] == ["cohost", "host"]
    assert created["enabled"] is True and created["timeout_s"] is None
    regex = await add_rule(host, name="links", kind="regex", patterns=[r"(?i)bit\.ly/\w+"])

    patched = await host.change_rule(
        created["id"], action="timeout", timeout_s=600, exempt_roles=["host"]
    )
    assert (patched["action"], patched["timeout_s"], patched["exempt_roles"]) == (
        "timeout",
        600,
        ["host"],
    )
    assert (
        patched["patterns"] == ["spam", "eggs*"] and patched["created_at"] == created["created_at"]
    )
    # Back to block: the time-out goes with it.
    patched = await host.change_rule(created["id"], action="block")
    assert patched["timeout_s"] is None

    assert [rule["id"] for rule in await host.rules()] == [created["id"], regex["id"]]

    await host.delete_rule(created["id"])
    assert await host.delete_rule(created["id"], status=404) == "automod_rule_not_found"
    assert [rule["id"] for rule in await host.rules()] == [regex["id"]]
    actions = [e["action"] for e in await host.audit()]
    assert actions[:4] == [
        "automod_rule_delete",
        "automod_rule_update",
        "automod_rule_update",
        "automod_rule_create",
    ]


async def test_who_may_manage_rules(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    stranger = await r.outsider()
    rule = await add_rule(r.host)

    for actor, status, code in [(stranger, 404, "room_not_found"), (r.guest, 403, "not_permitted")]:
        codes = [
            await actor.rules(status=status),
            await add_rule(actor, status=status),
            await actor.change_rule(rule["id"], enabled=False, status=status),
            await actor.delete_rule(rule["id"], status=status),
        ]
        assert codes == [code] * 4

    # A co-host needs the automod right.
    await r.host.appoint(r.guest, ["hide"])
    assert await r.guest.rules(status=403) == "not_permitted"
    await r.host.appoint(r.guest, ["automod"])
    await r.guest.rules()
    await add_rule(r.guest, name="by a co-host")


@pytest.mark.settings(automod_max_rules=2, automod_max_keywords=3, automod_max_regexes=2)
async def test_limits_and_validation(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    host = r.host
    cases = [
        ({"patterns": ["a", "b", "c", "d"]}, 422, "invalid_patterns"),
        ({"patterns": []}, 422, "invalid_patterns"),
        ({"patterns": ["x" * 61]}, 422, "invalid_keyword"),
        ({"kind": "regex", "patterns": ["a", "b", "c"]}, 422, "invalid_patterns"),
        ({"kind": "regex", "patterns": [r"(\w)\1"]}, 422, "invalid_regex"),
        ({"kind": "regex", "patterns": ["x" * 501]}, 422, "invalid_regex"),
        ({"action": "timeout"}, 422, "invalid_timeout"),
        ({"action": "timeout", "timeout_s": 5}, 422, "invalid_timeout"),
        ({"action": "timeout", "timeout_s": 28 * 86_400 + 1}, 422, "invalid_timeout"),
        ({"action": "block", "timeout_s": 60}, 422, "invalid_timeout"),
        ({"name": " "}, 422, "invalid_rule_name"),
        ({"exempt_roles": ["member"]}, 422, "invalid_input"),
        ({"action": "ban"}, 422, "invalid_input"),
        ({"kind": "regex", "surprise": True}, 422, "invalid_input"),
    ]
    for fields, status, code in cases:
        assert await add_rule(host, status=status, **fields) == code, fields
    body = {"name": "no spam", "kind": "regex", "patterns": ["(?=x)"], "action": "block"}
    refused = await host.room_call("POST", "/automod/rules", json=body)
    assert error_code(refused, 422) == "invalid_regex"
    assert refused.json()["error"]["details"] == {"pattern": "(?=x)"}

    await add_rule(host, patterns=["a", "b", "c"])
    await add_rule(host, action="timeout", timeout_s=10)
    assert await add_rule(host, status=409) == "automod_rule_limit"


async def test_a_blocked_message_is_refused_and_not_stored(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        r = await room(client, ["host", "guest"])
        rule = await add_rule(r.host, name="no spam", patterns=["spam"])
        watcher = await r.host.connect()

        response = await r.guest.send_call("Buy SPAM today")
        assert error_code(response, 403) == "automod_blocked"
        assert response.json()["error"]["details"] == {"rule": "no spam"}
        assert [e for e in await watcher.barrier() if e["type"] == "message"] == []
        assert texts(await r.host.messages()) == []

        # A word that merely contains the keyword passes.
        await r.guest.send("I am a spammer-hunter? no: antispam")
        entry = (await r.host.audit())[0]
        assert entry["action"] == "automod_block" and entry["actor_kind"] == "automod"
        assert entry["actor"] is None and entry["target_member"] == r.guest.id
        assert entry["details"] == {"rule_id": rule["id"], "rule": "no spam"}


async def test_a_hidden_message_is_stored_but_shows_nothing(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        r = await room(client, ["host", "guest"])
        await add_rule(r.host, name="links", kind="regex", patterns=[r"bit\.ly/\w+"], action="hide")
        watcher = await r.host.connect()
        sent = await r.guest.send("free stuff at bit.ly/abc")

        live = await watcher.next_message(seq=sent["seq"])
        assert live["message"]["hidden"] is True and "body" not in live["message"]
        stored = texts(await r.guest.messages())
        assert [(m["seq"], m.get("hidden"), "body" in m) for m in stored] == [
            (sent["seq"], True, False)
        ]
        entry = (await r.host.audit())[0]
        assert (entry["action"], entry["target_seq"], entry["target_member"]) == (
            "automod_hide",
            sent["seq"],
            r.guest.id,
        )
        assert entry["details"]["rule"] == "links"


async def test_a_timeout_rule_makes_the_sender_read_only(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r.host, name="slurs", patterns=["slur"], action="timeout", timeout_s=600)
    response = await r.guest.send_call("a slur")
    assert error_code(response, 403) == "automod_blocked"
    details = response.json()["error"]["details"]
    assert details["rule"] == "slurs" and details["timed_out_until"].endswith("Z")

    assert await r.guest.send("something harmless", status=403) == "timed_out"
    assert texts(await r.host.messages()) == []
    entry = (await r.host.audit())[0]
    assert (entry["action"], entry["target_member"]) == ("automod_timeout", r.guest.id)
    assert entry["details"]["duration_s"] == 600
    assert entry["details"]["until"] == details["timed_out_until"]


async def test_exempt_roles_are_not_screened(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    await add_rule(r.host, patterns=["spam"])
    await r.host.send("spam is fine from the host")

    rule = await add_rule(r.host, name="everyone", patterns=["eggs"], exempt_roles=[])
    # The host is never screened, even by a rule that exempts nobody.
    await r.host.send("eggs from the host")
    await r.host.appoint(r.guest, [])
    assert await r.guest.send("eggs", status=403) == "automod_blocked"
    await r.host.change_rule(rule["id"], exempt_roles=["cohost"])
    await r.guest.send("eggs from a co-host")


async def test_rule_changes_apply_to_the_next_message(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    guest = r.guest
    await guest.send("ham and spam")  # no rules yet
    rule = await add_rule(r.host, patterns=["spam"])
    await guest.send("ham", status=201)
    await guest.send("spam", status=403)

    await r.host.change_rule(rule["id"], patterns=["ham"])
    await guest.send("spam", status=201)
    await guest.send("ham", status=403)

    await r.host.change_rule(rule["id"], enabled=False)
    await guest.send("ham", status=201)
    await r.host.change_rule(rule["id"], enabled=True)
    await guest.send("ham", status=403)
    await r.host.delete_rule(rule["id"])
    await guest.send("ham", status=201)
