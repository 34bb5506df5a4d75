"""Automod end to end: rules through the API, and what they do to messages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.factories import (
    all_messages,
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
    texts,
)


def rules_path(room_id: str, rule_id: str | None = None) -> str:
    path = f"/api/rooms/{room_id}/automod/rules"
    return path if rule_id is None else f"{path}/{rule_id}"


async def add_rule(
    client: httpx.AsyncClient, token: str, room_id: str, *, status: int = 201, **fields: Any
) -> Any:
    fields.setdefault("name", "no spam")
    fields.setdefault("kind", "keyword")
    fields.setdefault("patterns", ["spam"])
    fields.setdefault("action", "block")
    response = await client.post(rules_path(room_id), json=fields, headers=auth(token))
    return expect(response, status) if status < 400 else response


async def room_with_member(client: httpx.AsyncClient) -> tuple[str, str, str, dict[str, Any]]:
    """(room id, host token, member token, the member)."""
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    member = (await join(client, guest, room["link"]))["me"]
    return room["id"], host, guest, member


async def audit(client: httpx.AsyncClient, token: str, room_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/rooms/{room_id}/audit", headers=auth(token))
    return list(expect(response, 200)["entries"])


async def test_rules_crud(client: httpx.AsyncClient) -> None:
    room_id, host, _, _ = await room_with_member(client)
    assert expect(await client.get(rules_path(room_id), headers=auth(host)), 200) == {"rules": []}

    created = await add_rule(client, host, room_id, patterns=[" spam ", "spam", "eggs*"])
    assert created["patterns"] == ["spam", "eggs*"]
    assert created["exempt_roles"] == ["cohost", "host"]
    assert created["enabled"] is True and created["timeout_s"] is None
    regex = await add_rule(
        client, host, room_id, name="links", kind="regex", patterns=[r"(?i)bit\.ly/\w+"]
    )

    patched = expect(
        await client.patch(
            rules_path(room_id, created["id"]),
            json={"action": "timeout", "timeout_s": 600, "exempt_roles": ["host"]},
            headers=auth(host),
        ),
        200,
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
    patched = expect(
        await client.patch(
            rules_path(room_id, created["id"]), json={"action": "block"}, headers=auth(host)
        ),
        200,
    )
    assert patched["timeout_s"] is None

    listed = expect(await client.get(rules_path(room_id), headers=auth(host)), 200)["rules"]
    assert [r["id"] for r in listed] == [created["id"], regex["id"]]

    response = await client.delete(rules_path(room_id, created["id"]), headers=auth(host))
    assert response.status_code == 204
    response = await client.delete(rules_path(room_id, created["id"]), headers=auth(host))
    assert error_code(response, 404) == "automod_rule_not_found"
    listed = expect(await client.get(rules_path(room_id), headers=auth(host)), 200)["rules"]
    assert [r["id"] for r in listed] == [regex["id"]]
    actions = [e["action"] for e in await audit(client, host, room_id)]
    assert actions[:4] == [
        "automod_rule_delete",
        "automod_rule_update",
        "automod_rule_update",
        "automod_rule_create",
    ]


async def test_who_may_manage_rules(client: httpx.AsyncClient) -> None:
    room_id, host, guest, member = await room_with_member(client)
    _, stranger = await make_user(client)
    rule = await add_rule(client, host, room_id)

    for token, status, code in [(stranger, 404, "room_not_found"), (guest, 403, "not_permitted")]:
        responses = [
            await client.get(rules_path(room_id), headers=auth(token)),
            await add_rule(client, token, room_id, status=status),
            await client.patch(
                rules_path(room_id, rule["id"]), json={"enabled": False}, headers=auth(token)
            ),
            await client.delete(rules_path(room_id, rule["id"]), headers=auth(token)),
        ]
        assert [error_code(r, status) for r in responses] == [code] * 4

    # A co-host needs the automod right.
    path = f"/api/rooms/{room_id}/cohosts/{member['id']}"
    expect(await client.put(path, json={"rights": ["hide"]}, headers=auth(host)), 200)
    assert error_code(await client.get(rules_path(room_id), headers=auth(guest)), 403) == (
        "not_permitted"
    )
    expect(await client.put(path, json={"rights": ["automod"]}, headers=auth(host)), 200)
    expect(await client.get(rules_path(room_id), headers=auth(guest)), 200)
    await add_rule(client, guest, room_id, name="by a co-host")


@pytest.mark.settings(automod_max_rules=2, automod_max_keywords=3, automod_max_regexes=2)
async def test_limits_and_validation(client: httpx.AsyncClient) -> None:
    room_id, host, _, _ = await room_with_member(client)
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
        response = await add_rule(client, host, room_id, status=status, **fields)
        assert error_code(response, status) == code, fields
    refused = await add_rule(client, host, room_id, status=422, kind="regex", patterns=["(?=x)"])
    assert refused.json()["error"]["details"] == {"pattern": "(?=x)"}

    await add_rule(client, host, room_id, patterns=["a", "b", "c"])
    await add_rule(client, host, room_id, action="timeout", timeout_s=10)
    response = await add_rule(client, host, room_id, status=409)
    assert error_code(response, 409) == "automod_rule_limit"


async def test_a_blocked_message_is_refused_and_not_stored(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        room_id, host, guest, member = await room_with_member(client)
        rule = await add_rule(client, host, room_id, name="no spam", patterns=["spam"])
        watcher = await open_socket(server.ws_url, host)

        response = await client.post(
            f"/api/rooms/{room_id}/messages",
            json={"client_id": uuid.uuid4().hex, "body": "Buy SPAM today"},
            headers=auth(guest),
        )
        assert error_code(response, 403) == "automod_blocked"
        assert response.json()["error"]["details"] == {"rule": "no spam"}
        assert [e for e in await watcher.barrier() if e["type"] == "message"] == []
        assert texts(await all_messages(client, host, room_id)) == []

        # A word that merely contains the keyword passes.
        await send_message(client, guest, room_id, "I am a spammer-hunter? no: antispam")
        entry = (await audit(client, host, room_id))[0]
        assert entry["action"] == "automod_block" and entry["actor_kind"] == "automod"
        assert entry["actor"] is None and entry["target_member"] == member["id"]
        assert entry["details"] == {"rule_id": rule["id"], "rule": "no spam"}


async def test_a_hidden_message_is_stored_but_shows_nothing(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        room_id, host, guest, member = await room_with_member(client)
        await add_rule(
            client,
            host,
            room_id,
            name="links",
            kind="regex",
            patterns=[r"bit\.ly/\w+"],
            action="hide",
        )
        watcher = await open_socket(server.ws_url, host)
        sent = await send_message(client, guest, room_id, "free stuff at bit.ly/abc")

        live = await watcher.next_message(seq=sent["seq"])
        assert live["message"]["hidden"] is True and "body" not in live["message"]
        stored = texts(await all_messages(client, guest, room_id))
        assert [(m["seq"], m.get("hidden"), "body" in m) for m in stored] == [
            (sent["seq"], True, False)
        ]
        entry = (await audit(client, host, room_id))[0]
        assert (entry["action"], entry["target_seq"], entry["target_member"]) == (
            "automod_hide",
            sent["seq"],
            member["id"],
        )
        assert entry["details"]["rule"] == "links"


async def test_a_timeout_rule_makes_the_sender_read_only(client: httpx.AsyncClient) -> None:
    room_id, host, guest, member = await room_with_member(client)
    await add_rule(
        client, host, room_id, name="slurs", patterns=["slur"], action="timeout", timeout_s=600
    )
    response = await client.post(
        f"/api/rooms/{room_id}/messages",
        json={"client_id": uuid.uuid4().hex, "body": "a slur"},
        headers=auth(guest),
    )
    assert error_code(response, 403) == "automod_blocked"
    details = response.json()["error"]["details"]
    assert details["rule"] == "slurs" and details["timed_out_until"].endswith("Z")

    response = await client.post(
        f"/api/rooms/{room_id}/messages",
        json={"client_id": uuid.uuid4().hex, "body": "something harmless"},
        headers=auth(guest),
    )
    assert error_code(response, 403) == "timed_out"
    assert texts(await all_messages(client, host, room_id)) == []
    entry = (await audit(client, host, room_id))[0]
    assert (entry["action"], entry["target_member"]) == ("automod_timeout", member["id"])
    assert entry["details"]["duration_s"] == 600
    assert entry["details"]["until"] == details["timed_out_until"]


async def test_exempt_roles_are_not_screened(client: httpx.AsyncClient) -> None:
    room_id, host, guest, member = await room_with_member(client)
    await add_rule(client, host, room_id, patterns=["spam"])
    await send_message(client, host, room_id, "spam is fine from the host")

    rule = await add_rule(
        client, host, room_id, name="everyone", patterns=["eggs"], exempt_roles=[]
    )
    # The host is never screened, even by a rule that exempts nobody.
    await send_message(client, host, room_id, "eggs from the host")
    path = f"/api/rooms/{room_id}/cohosts/{member['id']}"
    expect(await client.put(path, json={"rights": []}, headers=auth(host)), 200)
    response = await client.post(
        f"/api/rooms/{room_id}/messages",
        json={"client_id": uuid.uuid4().hex, "body": "eggs"},
        headers=auth(guest),
    )
    assert error_code(response, 403) == "automod_blocked"
    expect(
        await client.patch(
            rules_path(room_id, rule["id"]), json={"exempt_roles": ["cohost"]}, headers=auth(host)
        ),
        200,
    )
    await send_message(client, guest, room_id, "eggs from a co-host")


async def test_rule_changes_apply_to_the_next_message(client: httpx.AsyncClient) -> None:
    room_id, host, guest, _ = await room_with_member(client)
    await send_message(client, guest, room_id, "ham and spam")  # no rules yet
    rule = await add_rule(client, host, room_id, patterns=["spam"])
    await send_message(client, guest, room_id, "ham", status=201)
    await send_message(client, guest, room_id, "spam", status=403)

    expect(
        await client.patch(
            rules_path(room_id, rule["id"]), json={"patterns": ["ham"]}, headers=auth(host)
        ),
        200,
    )
    await send_message(client, guest, room_id, "spam", status=201)
    await send_message(client, guest, room_id, "ham", status=403)

    expect(
        await client.patch(
            rules_path(room_id, rule["id"]), json={"enabled": False}, headers=auth(host)
        ),
        200,
    )
    await send_message(client, guest, room_id, "ham", status=201)
    expect(
        await client.patch(
            rules_path(room_id, rule["id"]), json={"enabled": True}, headers=auth(host)
        ),
        200,
    )
    await send_message(client, guest, room_id, "ham", status=403)
    response = await client.delete(rules_path(room_id, rule["id"]), headers=auth(host))
    assert response.status_code == 204
    await send_message(client, guest, room_id, "ham", status=201)
