"""Reports: a member flags a message or a member; the room's moderators review them."""

from __future__ import annotations

import json
from typing import Any

import httpx

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


async def report(
    client: httpx.AsyncClient, token: str, room_id: str, **body: Any
) -> httpx.Response:
    body.setdefault("reason", "spam")
    return await client.post(f"/api/rooms/{room_id}/reports", json=body, headers=auth(token))


async def reports_of(
    client: httpx.AsyncClient, token: str, room_id: str, **params: Any
) -> list[dict[str, Any]]:
    path = f"/api/rooms/{room_id}/reports"
    return expect(await client.get(path, params=params, headers=auth(token)), 200)["reports"]


async def resolve(
    client: httpx.AsyncClient, token: str, room_id: str, report_id: str, outcome: str = ""
) -> httpx.Response:
    path = f"/api/rooms/{room_id}/reports/{report_id}/resolve"
    return await client.post(path, json={"outcome": outcome}, headers=auth(token))


async def room_of_three(client: httpx.AsyncClient) -> dict[str, Any]:
    """A host and two members; tokens and member ids by role name."""
    _, host = await make_user(client)
    _, alice = await make_user(client)
    _, bob = await make_user(client)
    created = await make_room(client, host)
    room = created["room"]
    a = (await join(client, alice, room["link"], profile={"kind": "open", "nickname": "A"}))["me"]
    b = (await join(client, bob, room["link"], profile={"kind": "open", "nickname": "B"}))["me"]
    return {
        "room": room["id"],
        "host": host,
        "host_member": created["me"]["id"],
        "alice": alice,
        "alice_member": a["id"],
        "bob": bob,
        "bob_member": b["id"],
    }


async def test_a_reported_message_reaches_the_host_at_once(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room_of_three(client)
    sent = await send_message(client, r["bob"], r["room"], "buy cheap watches here")
    host_socket = await open_socket(server.ws_url, r["host"])

    response = await report(
        client, r["alice"], r["room"], seq=sent["seq"], reason="spam", note="again"
    )
    created = expect(response, 201)

    assert created["room"] == r["room"]
    assert created["reporter"] == r["alice_member"]
    assert created["target_member"] == r["bob_member"]
    assert created["target_seq"] == sent["seq"]
    assert created["excerpt"] == "buy cheap watches here"
    assert (created["reason"], created["note"], created["status"]) == ("spam", "again", "open")
    assert created["resolved_at"] is None
    event = await host_socket.next_event("report")
    assert event == {"type": "report", "room": r["room"], "report": created}


async def test_a_report_never_names_an_account(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    alice_me = expect(await client.get("/api/me", headers=auth(r["alice"])), 200)
    created = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)

    listed = await reports_of(client, r["host"], r["room"])
    text = json.dumps(listed)
    assert listed == [created]
    assert alice_me["username"] not in text
    assert all(v != alice_me["id"] for v in created.values())
    assert (created["target_member"], created["target_seq"], created["excerpt"]) == (
        r["bob_member"],
        None,
        None,
    )


async def test_a_second_open_report_returns_the_first(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    sent = await send_message(client, r["bob"], r["room"])
    first = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 201)

    again = expect(await report(client, r["alice"], r["room"], seq=sent["seq"], reason="hate"), 200)

    assert again == first
    # Someone else's report about the same message is a report of its own.
    other = expect(await report(client, r["host"], r["room"], seq=sent["seq"]), 201)
    assert other["id"] != first["id"]
    # So is one about the member rather than that message.
    member = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)
    assert member["id"] != first["id"]
    assert len(await reports_of(client, r["host"], r["room"])) == 3


async def test_a_resolved_report_no_longer_absorbs_a_new_one(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    first = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)
    expect(await resolve(client, r["host"], r["room"], first["id"], "talked to them"), 200)

    second = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)

    assert second["id"] != first["id"]


async def test_nobody_reports_themselves(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    mine = await send_message(client, r["alice"], r["room"])

    by_message = await report(client, r["alice"], r["room"], seq=mine["seq"])
    by_member = await report(client, r["alice"], r["room"], member_id=r["alice_member"])

    assert error_code(by_message, 422) == "cannot_report_self"
    assert error_code(by_member, 422) == "cannot_report_self"
    assert await reports_of(client, r["host"], r["room"]) == []


async def test_a_report_names_exactly_one_target_that_exists(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    sent = await send_message(client, r["bob"], r["room"])
    room = r["room"]

    both = await report(client, r["alice"], room, seq=sent["seq"], member_id=r["bob_member"])
    neither = await report(client, r["alice"], room)
    no_message = await report(client, r["alice"], room, seq=sent["seq"] + 100)
    no_member = await report(client, r["alice"], room, member_id="nosuchmember")
    system = await report(client, r["alice"], room, seq=1)  # "created"
    bad_reason = await report(client, r["alice"], room, member_id=r["bob_member"], reason="meh")
    long_note = await report(client, r["alice"], room, member_id=r["bob_member"], note="x" * 501)

    assert error_code(both, 422) == "invalid_report_target"
    assert error_code(neither, 422) == "invalid_report_target"
    assert error_code(no_message, 404) == "message_not_found"
    assert error_code(no_member, 404) == "member_not_found"
    assert error_code(system, 422) == "message_not_reportable"
    assert error_code(bad_reason, 422) == "invalid_input"
    assert error_code(long_note, 422) == "invalid_note"


async def test_an_outsider_cannot_report_or_see_reports(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    _, outsider = await make_user(client)
    filed = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)

    attempt = await report(client, outsider, r["room"], member_id=r["bob_member"])
    listing = await client.get(f"/api/rooms/{r['room']}/reports", headers=auth(outsider))
    resolving = await resolve(client, outsider, r["room"], filed["id"])

    assert error_code(attempt, 404) == "room_not_found"
    assert error_code(listing, 404) == "room_not_found"
    assert error_code(resolving, 404) == "room_not_found"


async def test_a_plain_member_cannot_list_or_resolve(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    filed = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)

    listing = await client.get(f"/api/rooms/{r['room']}/reports", headers=auth(r["alice"]))
    resolving = await resolve(client, r["alice"], r["room"], filed["id"])

    assert error_code(listing, 403) == "not_permitted"
    assert error_code(resolving, 403) == "not_permitted"


async def test_a_cohost_hears_of_lists_and_resolves_reports(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room_of_three(client)
    path = f"/api/rooms/{r['room']}/cohosts/{r['bob_member']}"
    expect(await client.put(path, json={"rights": ["hide"]}, headers=auth(r["host"])), 200)
    _, carol = await make_user(client)
    link = expect(await client.get(f"/api/rooms/{r['room']}", headers=auth(r["host"])), 200)
    carol_member = (await join(client, carol, link["link"]))["me"]["id"]
    cohost_socket = await open_socket(server.ws_url, r["bob"])
    sent = await send_message(client, carol, r["room"], "rude words")

    filed = expect(
        await report(client, r["alice"], r["room"], seq=sent["seq"], reason="harassment"), 201
    )
    assert (await cohost_socket.next_event("report"))["report"] == filed
    assert filed["target_member"] == carol_member

    assert await reports_of(client, r["bob"], r["room"], status="open") == [filed]
    done = expect(await resolve(client, r["bob"], r["room"], filed["id"], "hid it"), 200)
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    assert done["resolved_by"] == r["bob_member"]
    assert await reports_of(client, r["bob"], r["room"], status="open") == []
    assert await reports_of(client, r["host"], r["room"], status="resolved") == [done]
    # Resolving again changes nothing.
    assert expect(await resolve(client, r["host"], r["room"], filed["id"], "x"), 200) == done
    audit = expect(await client.get(f"/api/rooms/{r['room']}/audit", headers=auth(r["host"])), 200)
    entry = next(e for e in audit["entries"] if e["action"] == "resolve_report")
    assert entry["target_member"] == carol_member


async def test_the_excerpt_of_a_hidden_message_stays_for_review(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    sent = await send_message(client, r["bob"], r["room"], "something nasty")
    filed = expect(await report(client, r["alice"], r["room"], seq=sent["seq"]), 201)
    hide = f"/api/rooms/{r['room']}/messages/{sent['seq']}/hide"
    expect(await client.post(hide, json={}, headers=auth(r["host"])), 200)

    (listed,) = await reports_of(client, r["host"], r["room"])

    assert listed["id"] == filed["id"]
    assert listed["excerpt"] == "something nasty"


async def test_a_report_from_another_room_is_not_found(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    filed = expect(await report(client, r["alice"], r["room"], member_id=r["bob_member"]), 201)
    other_room = (await make_room(client, r["host"]))["room"]["id"]

    response = await resolve(client, r["host"], other_room, filed["id"])

    assert error_code(response, 404) == "report_not_found"


async def test_reporting_is_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    r = await room_of_three(client)
    for _ in range(10):
        await report(client, r["alice"], r["room"], member_id=r["bob_member"])

    response = await report(client, r["alice"], r["room"], member_id=r["bob_member"])

    assert error_code(response, 429) == "report_rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    # Another account is not held back.
    expect(await report(client, r["bob"], r["room"], member_id=r["alice_member"]), 201)
