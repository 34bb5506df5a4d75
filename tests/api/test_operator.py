"""The operator: instance-wide reports, suspensions, the verified mark, closing rooms;
and a host closing their own room."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import httpx
from typer.testing import CliRunner

from openlink.cli import app as cli_app
from openlink.store import audit as audit_store
from tests.conftest import Server
from tests.factories import PASSWORD, error_code
from tests.factory import Room, operator, room, user
from tests.fakes.clock import OffsetClock


async def room_with_guest(client: httpx.AsyncClient) -> Room:
    return await room(client, ["host", "guest"], nicknames={"guest": "G"})


async def test_the_cli_makes_and_unmakes_an_operator(
    server: Server, client: httpx.AsyncClient
) -> None:
    account = await user(client)
    assert await account.admin_reports(status=403) == "operator_only"
    env = {
        "OPENLINK_DATA_DIR": str(server.settings.data_dir),
        "OPENLINK_DATABASE_URL": server.settings.database_url,
    }
    runner = CliRunner()

    made = await asyncio.to_thread(
        runner.invoke, cli_app, ["admin", "operator", account.user["username"]], env=env
    )
    assert made.exit_code == 0, made.output
    await account.admin_reports()

    revoked = await asyncio.to_thread(
        runner.invoke, cli_app, ["admin", "operator", account.user["username"], "--revoke"], env=env
    )
    assert revoked.exit_code == 0, revoked.output
    assert await account.admin_reports(status=403) == "operator_only"
    unknown = await asyncio.to_thread(
        runner.invoke, cli_app, ["admin", "verify", "nobody_here"], env=env
    )
    assert unknown.exit_code == 1


async def test_admin_routes_refuse_everyone_but_the_operator(client: httpx.AsyncClient) -> None:
    r = await room_with_guest(client)
    guest_username = r.guest.user["username"]
    calls = [
        ("GET", "/api/admin/reports", None),
        ("POST", "/api/admin/reports/somereport/resolve", {"outcome": ""}),
        (
            "POST",
            "/api/admin/suspensions",
            {"member_id": r.guest.id, "duration_s": None, "reason": "x"},
        ),
        ("DELETE", f"/api/admin/suspensions/{r.guest.id}", None),
        ("PUT", f"/api/admin/users/{guest_username}/verified", None),
        ("DELETE", f"/api/admin/users/{guest_username}/verified", None),
        ("POST", f"/api/admin/rooms/{r.id}/close", None),
    ]
    for method, path, body in calls:
        # Not even the room's host.
        response = await r.host.call(method, path, json=body)
        assert error_code(response, 403) == "operator_only", path
    unauthenticated = await client.get("/api/admin/reports")
    assert error_code(unauthenticated, 401) == "unauthenticated"


async def test_the_operator_sees_and_resolves_every_rooms_reports(
    server: Server, client: httpx.AsyncClient
) -> None:
    op = await operator(client, server)
    op_socket = await op.connect()
    one, two = await room_with_guest(client), await room_with_guest(client)
    sent = await one.guest.send("scam link")
    first = await one.host.report(seq=sent["seq"], reason="scam")
    assert (await op_socket.next_event("report"))["report"] == first
    second = await two.guest.report(member_id=two.host.id, reason="other", note="odd")

    listed = await op.admin_reports()
    assert [report["id"] for report in listed] == [second["id"], first["id"]]
    done = await op.resolve_any_report(first["id"], "suspended")
    assert (done["status"], done["resolved_by"]) == ("resolved", "operator")
    open_now = await op.admin_reports("open")
    assert [report["id"] for report in open_now] == [second["id"]]
    assert await op.resolve_any_report("nosuchreport", status=404) == "report_not_found"
    entry = next(e for e in await one.host.audit() if e["action"] == "resolve_report")
    assert entry["actor_kind"] == "operator"


async def test_a_suspended_account_is_shut_out_at_once_until_lifted(
    server: Server, client: httpx.AsyncClient
) -> None:
    op = await operator(client, server)
    r = await room_with_guest(client)
    guest = r.guest
    guest_socket = await guest.connect()

    response = await op.suspend(guest)

    assert response["member_id"] == guest.id
    assert response["suspended_until"] is None
    assert guest.user["username"] not in json.dumps(response)
    assert (await guest_socket.closed()).rcvd.code == 4001
    refused = await guest.call("GET", "/api/me")
    assert error_code(refused, 403) == "account_suspended"
    assert refused.json()["error"]["details"] == {"until": None}
    assert await guest.send(status=403) == "account_suspended"
    sign_in = await client.post(
        "/api/sessions", json={"username": guest.user["username"], "password": PASSWORD}
    )
    assert error_code(sign_in, 403) == "account_suspended"
    # Without the password, a suspended account looks like any other.
    wrong = await client.post(
        "/api/sessions", json={"username": guest.user["username"], "password": "wrong password"}
    )
    assert error_code(wrong, 401) == "bad_credentials"
    # A new socket is refused too.
    again = await open_socket_refused(server, guest.token)
    assert again == 4001

    await op.lift_suspension(guest)

    await guest.me()
    await guest.send("back again")
    await guest.connect()
    actions = [(e["action"], e["actor_kind"], e["target_member"]) for e in await r.host.audit()]
    assert ("suspend", "operator", guest.id) in actions
    assert ("lift_suspension", "operator", guest.id) in actions


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
    op = await operator(client, server)
    r = await room_with_guest(client)

    response = await op.suspend(r.guest, duration_s=3600)

    assert response["suspended_until"] is not None
    refused = await r.guest.call("GET", "/api/me")
    assert error_code(refused, 403) == "account_suspended"
    assert refused.json()["error"]["details"]["until"] == response["suspended_until"]
    until = datetime.fromisoformat(response["suspended_until"])
    clock.advance_to(until - timedelta(seconds=5))
    assert error_code(await r.guest.call("GET", "/api/me"), 403) == "account_suspended"
    clock.advance_to(until + timedelta(seconds=0.05))
    await r.guest.me()


async def test_suspension_refusals(server: Server, client: httpx.AsyncClient) -> None:
    op = await operator(client, server)
    r = await room_with_guest(client)
    op_member = (await op.join(r.id))["me"]["id"]

    assert await op.suspend("nosuchmember", status=404) == "member_not_found"
    assert await op.suspend(op_member, status=422) == "cannot_suspend_self"
    assert await op.suspend(r.guest, 60, " ", status=422) == "invalid_reason"
    no_duration = {"member_id": r.guest.id, "reason": "x"}
    assert await op.api("POST", "/api/admin/suspensions", json=no_duration, status=422) == (
        "invalid_input"
    )
    await r.guest.me()


async def test_the_verified_mark_round_trip(server: Server, client: httpx.AsyncClient) -> None:
    op = await operator(client, server)
    username = (await user(client)).user["username"]

    granted = await op.set_verified(username)
    removed = await op.set_verified(username, False)
    missing = await op.set_verified("nobody_here", status=404)

    assert granted == {"username": username, "verified": True}
    assert removed == {"username": username, "verified": False}
    assert missing == "user_not_found"


async def test_the_operator_closes_any_room(server: Server, client: httpx.AsyncClient) -> None:
    op = await operator(client, server)
    r = await room_with_guest(client)
    guest_socket = await r.guest.connect()

    closed_room = await op.close_any_room(r.id)

    assert closed_room["status"] == "closed"
    closed = await guest_socket.next_message(kind="system")
    assert (closed["message"]["system"], closed["message"]["member"]) == (
        {"event": "closed", "by": "operator"},
        None,
    )
    assert await r.guest.send(status=403) == "room_closed"
    # Still readable.
    assert (await r.guest.history())["messages"][-1]["system"]["by"] == "operator"
    again = await op.close_any_room(r.id)
    assert again["last_seq"] == closed_room["last_seq"]
    async with server.app.state.ctx.db.read() as conn:
        entries = await audit_store.page(conn, r.id, before=None, limit=10)
    assert [(e["action"], e["actor_kind"]) for e in entries] == [("close_room", "operator")]
    assert await op.close_any_room("nosuchroom", status=404) == "room_not_found"


async def test_the_host_closes_their_room_and_a_member_cannot(client: httpx.AsyncClient) -> None:
    r = await room_with_guest(client)

    assert await r.guest.close(status=403) == "not_permitted"
    closed_room = await r.host.close()

    assert closed_room["status"] == "closed"
    last = (await r.guest.history())["messages"][-1]
    assert (last["system"], last["member"]) == ({"event": "closed", "by": "host"}, r.host.id)
    assert await r.guest.send(status=403) == "room_closed"
    again = await r.host.close()
    assert again["last_seq"] == closed_room["last_seq"]
    assert await r.guest.close(status=403) == "not_permitted"
    outsider = await r.outsider()
    assert await outsider.close(status=404) == "room_not_found"
