"""The operator: instance-wide reports, suspensions, the verified mark, closing rooms;
and a host closing their own room."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from typer.testing import CliRunner

from openlink.actions.operator import do_set_operator
from openlink.cli import app as cli_app
from openlink.store import audit as audit_store
from tests.conftest import Server
from tests.factories import (
    PASSWORD,
    auth,
    error_code,
    expect,
    history,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.fakes.clock import OffsetClock


async def make_operator(server: Server, client: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    """A new account made an operator by the action behind ``openlink admin operator``."""
    user, token = await make_user(client)
    await do_set_operator(server.app.state.ctx, user["username"], True)
    return user, token


async def room_with_member(client: httpx.AsyncClient) -> dict[str, Any]:
    _, host = await make_user(client)
    user, guest = await make_user(client)
    created = await make_room(client, host)
    room = created["room"]
    me = (await join(client, guest, room["link"], profile={"kind": "open", "nickname": "G"}))["me"]
    return {
        "room": room["id"],
        "host": host,
        "host_member": created["me"]["id"],
        "guest": guest,
        "guest_member": me["id"],
        "guest_username": user["username"],
    }


async def suspend(
    client: httpx.AsyncClient, token: str, member_id: str, duration_s: int | None = None
) -> httpx.Response:
    body = {"member_id": member_id, "duration_s": duration_s, "reason": "spam from many rooms"}
    return await client.post("/api/admin/suspensions", json=body, headers=auth(token))


async def test_the_cli_makes_and_unmakes_an_operator(
    server: Server, client: httpx.AsyncClient
) -> None:
    user, token = await make_user(client)
    assert error_code(await client.get("/api/admin/reports", headers=auth(token)), 403) == (
        "operator_only"
    )
    env = {
        "OPENLINK_DATA_DIR": str(server.settings.data_dir),
        "OPENLINK_DATABASE_URL": server.settings.database_url,
    }
    runner = CliRunner()

    made = await asyncio.to_thread(
        runner.invoke, cli_app, ["admin", "operator", user["username"]], env=env
    )
    assert made.exit_code == 0, made.output
    expect(await client.get("/api/admin/reports", headers=auth(token)), 200)

    revoked = await asyncio.to_thread(
        runner.invoke, cli_app, ["admin", "operator", user["username"], "--revoke"], env=env
    )
    assert revoked.exit_code == 0, revoked.output
    assert error_code(await client.get("/api/admin/reports", headers=auth(token)), 403) == (
        "operator_only"
    )
    unknown = await asyncio.to_thread(
        runner.invoke, cli_app, ["admin", "verify", "nobody_here"], env=env
    )
    assert unknown.exit_code == 1


async def test_admin_routes_refuse_everyone_but_the_operator(client: httpx.AsyncClient) -> None:
    r = await room_with_member(client)
    calls = [
        ("GET", "/api/admin/reports", None),
        ("POST", "/api/admin/reports/somereport/resolve", {"outcome": ""}),
        (
            "POST",
            "/api/admin/suspensions",
            {"member_id": r["guest_member"], "duration_s": None, "reason": "x"},
        ),
        ("DELETE", f"/api/admin/suspensions/{r['guest_member']}", None),
        ("PUT", f"/api/admin/users/{r['guest_username']}/verified", None),
        ("DELETE", f"/api/admin/users/{r['guest_username']}/verified", None),
        ("POST", f"/api/admin/rooms/{r['room']}/close", None),
    ]
    for method, path, body in calls:
        # Not even the room's host.
        response = await client.request(method, path, json=body, headers=auth(r["host"]))
        assert error_code(response, 403) == "operator_only", path
    unauthenticated = await client.get("/api/admin/reports")
    assert error_code(unauthenticated, 401) == "unauthenticated"


async def test_the_operator_sees_and_resolves_every_rooms_reports(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, op = await make_operator(server, client)
    op_socket = await open_socket(server.ws_url, op)
    one, two = await room_with_member(client), await room_with_member(client)
    sent = await send_message(client, one["guest"], one["room"], "scam link")
    path = f"/api/rooms/{one['room']}/reports"
    first = expect(
        await client.post(
            path, json={"seq": sent["seq"], "reason": "scam"}, headers=auth(one["host"])
        ),
        201,
    )
    assert (await op_socket.next_event("report"))["report"] == first
    body = {"member_id": two["host_member"], "reason": "other", "note": "odd"}
    path = f"/api/rooms/{two['room']}/reports"
    second = expect(await client.post(path, json=body, headers=auth(two["guest"])), 201)

    listed = expect(await client.get("/api/admin/reports", headers=auth(op)), 200)["reports"]
    assert [r["id"] for r in listed] == [second["id"], first["id"]]
    resolve = f"/api/admin/reports/{first['id']}/resolve"
    done = expect(await client.post(resolve, json={"outcome": "suspended"}, headers=auth(op)), 200)
    assert (done["status"], done["resolved_by"]) == ("resolved", "operator")
    open_now = await client.get("/api/admin/reports", params={"status": "open"}, headers=auth(op))
    assert [r["id"] for r in expect(open_now, 200)["reports"]] == [second["id"]]
    missing = await client.post(
        "/api/admin/reports/nosuchreport/resolve", json={"outcome": ""}, headers=auth(op)
    )
    assert error_code(missing, 404) == "report_not_found"
    audit_path = f"/api/rooms/{one['room']}/audit"
    audit = expect(await client.get(audit_path, headers=auth(one["host"])), 200)
    entry = next(e for e in audit["entries"] if e["action"] == "resolve_report")
    assert entry["actor_kind"] == "operator"


async def test_a_suspended_account_is_shut_out_at_once_until_lifted(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, op = await make_operator(server, client)
    r = await room_with_member(client)
    guest_socket = await open_socket(server.ws_url, r["guest"])

    response = expect(await suspend(client, op, r["guest_member"]), 200)

    assert response["member_id"] == r["guest_member"]
    assert response["suspended_until"] is None
    assert r["guest_username"] not in json.dumps(response)
    assert (await guest_socket.closed()).rcvd.code == 4001
    refused = await client.get("/api/me", headers=auth(r["guest"]))
    assert error_code(refused, 403) == "account_suspended"
    assert refused.json()["error"]["details"] == {"until": None}
    send = await send_message(client, r["guest"], r["room"], status=403)
    assert send["error"]["code"] == "account_suspended"
    sign_in = await client.post(
        "/api/sessions", json={"username": r["guest_username"], "password": PASSWORD}
    )
    assert error_code(sign_in, 403) == "account_suspended"
    # Without the password, a suspended account looks like any other.
    wrong = await client.post(
        "/api/sessions", json={"username": r["guest_username"], "password": "wrong password"}
    )
    assert error_code(wrong, 401) == "bad_credentials"
    # A new socket is refused too.
    again = await open_socket_refused(server, r["guest"])
    assert again == 4001

    lift = f"/api/admin/suspensions/{r['guest_member']}"
    assert (await client.delete(lift, headers=auth(op))).status_code == 204

    expect(await client.get("/api/me", headers=auth(r["guest"])), 200)
    await send_message(client, r["guest"], r["room"], "back again")
    await open_socket(server.ws_url, r["guest"])
    audit = expect(await client.get(f"/api/rooms/{r['room']}/audit", headers=auth(r["host"])), 200)
    actions = [(e["action"], e["actor_kind"], e["target_member"]) for e in audit["entries"]]
    assert ("suspend", "operator", r["guest_member"]) in actions
    assert ("lift_suspension", "operator", r["guest_member"]) in actions


async def open_socket_refused(server: Server, token: str) -> int:
    """Say hello with ``token``; returns the close code of the refusal."""
    from tests.factories import connect_ws

    ws = await connect_ws(server.ws_url)
    try:
        await ws.send(json.dumps({"op": "hello", "token": token}))
        error = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert error["type"] == "error" and error["code"] == "account_suspended", error
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code is not None
        return ws.close_code
    finally:
        await ws.close()


async def test_a_suspension_ends_by_itself(
    server: Server, client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    _, op = await make_operator(server, client)
    r = await room_with_member(client)

    response = expect(await suspend(client, op, r["guest_member"], duration_s=3600), 200)

    assert response["suspended_until"] is not None
    refused = await client.get("/api/me", headers=auth(r["guest"]))
    assert error_code(refused, 403) == "account_suspended"
    assert refused.json()["error"]["details"]["until"] == response["suspended_until"]
    until = datetime.fromisoformat(response["suspended_until"])
    clock.advance_to(until - timedelta(seconds=5))
    assert error_code(await client.get("/api/me", headers=auth(r["guest"])), 403) == (
        "account_suspended"
    )
    clock.advance_to(until + timedelta(seconds=0.05))
    expect(await client.get("/api/me", headers=auth(r["guest"])), 200)


async def test_suspension_refusals(server: Server, client: httpx.AsyncClient) -> None:
    _, op = await make_operator(server, client)
    r = await room_with_member(client)
    op_member = (await join(client, op, r["room"]))["me"]["id"]

    assert error_code(await suspend(client, op, "nosuchmember"), 404) == "member_not_found"
    assert error_code(await suspend(client, op, op_member), 422) == "cannot_suspend_self"
    no_reason = await client.post(
        "/api/admin/suspensions",
        json={"member_id": r["guest_member"], "duration_s": 60, "reason": " "},
        headers=auth(op),
    )
    assert error_code(no_reason, 422) == "invalid_reason"
    no_duration = await client.post(
        "/api/admin/suspensions",
        json={"member_id": r["guest_member"], "reason": "x"},
        headers=auth(op),
    )
    assert error_code(no_duration, 422) == "invalid_input"
    expect(await client.get("/api/me", headers=auth(r["guest"])), 200)


async def test_the_verified_mark_round_trip(server: Server, client: httpx.AsyncClient) -> None:
    _, op = await make_operator(server, client)
    user, _ = await make_user(client)
    path = f"/api/admin/users/{user['username']}/verified"

    granted = expect(await client.put(path, headers=auth(op)), 200)
    removed = expect(await client.delete(path, headers=auth(op)), 200)
    missing = await client.put("/api/admin/users/nobody_here/verified", headers=auth(op))

    assert granted == {"username": user["username"], "verified": True}
    assert removed == {"username": user["username"], "verified": False}
    assert error_code(missing, 404) == "user_not_found"


async def test_the_operator_closes_any_room(server: Server, client: httpx.AsyncClient) -> None:
    _, op = await make_operator(server, client)
    r = await room_with_member(client)
    guest_socket = await open_socket(server.ws_url, r["guest"])

    room = expect(await client.post(f"/api/admin/rooms/{r['room']}/close", headers=auth(op)), 200)

    assert room["status"] == "closed"
    closed = await guest_socket.next_message(kind="system")
    assert (closed["message"]["system"], closed["message"]["member"]) == (
        {"event": "closed", "by": "operator"},
        None,
    )
    refused = await send_message(client, r["guest"], r["room"], status=403)
    assert refused["error"]["code"] == "room_closed"
    # Still readable.
    assert (await history(client, r["guest"], r["room"]))["messages"][-1]["system"]["by"] == (
        "operator"
    )
    again = expect(await client.post(f"/api/admin/rooms/{r['room']}/close", headers=auth(op)), 200)
    assert again["last_seq"] == room["last_seq"]
    async with server.app.state.ctx.db.read() as conn:
        entries = await audit_store.page(conn, r["room"], before=None, limit=10)
    assert [(e["action"], e["actor_kind"]) for e in entries] == [("close_room", "operator")]
    missing = await client.post("/api/admin/rooms/nosuchroom/close", headers=auth(op))
    assert error_code(missing, 404) == "room_not_found"


async def test_the_host_closes_their_room_and_a_member_cannot(client: httpx.AsyncClient) -> None:
    r = await room_with_member(client)
    path = f"/api/rooms/{r['room']}/close"

    by_member = await client.post(path, headers=auth(r["guest"]))
    assert error_code(by_member, 403) == "not_permitted"
    room = expect(await client.post(path, headers=auth(r["host"])), 200)

    assert room["status"] == "closed"
    last = (await history(client, r["guest"], r["room"]))["messages"][-1]
    assert (last["system"], last["member"]) == ({"event": "closed", "by": "host"}, r["host_member"])
    refused = await send_message(client, r["guest"], r["room"], status=403)
    assert refused["error"]["code"] == "room_closed"
    again = expect(await client.post(path, headers=auth(r["host"])), 200)
    assert again["last_seq"] == room["last_seq"]
    by_member = await client.post(path, headers=auth(r["guest"]))
    assert error_code(by_member, 403) == "not_permitted"
    _, outsider = await make_user(client)
    assert error_code(await client.post(path, headers=auth(outsider)), 404) == "room_not_found"
