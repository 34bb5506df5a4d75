"""Account events a broker drops (left, signed out, suspended, sessions revoked) still
take effect on every socket: each is also a bump of the account's ``access_rev`` in the
same transaction, and the hub's catch-up rechecks the sockets of an account whose
revision moved. Every test here runs on a broker that loses every account event."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api.test_operator import make_operator, room_with_member, suspend
from tests.api.test_sessions import change_password, closed_with, second_session
from tests.conftest import Server
from tests.factories import (
    PASSWORD,
    Socket,
    auth,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.fakes.lossy_broker import LossyBroker, use_lossy_broker

pytestmark = pytest.mark.settings(
    broker="lossy", catchup_interval_s=0.05, account_recheck_interval_s=0.05
)
#: Waits for what the catch-up brings: a bound, never a sleep.
CATCH_UP_S = 5.0


@pytest.fixture(autouse=True)
def lossy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from use_lossy_broker(monkeypatch)


def dropped(server: Server) -> list[str]:
    lossy = server.app.state.ctx.broker
    assert isinstance(lossy, LossyBroker)
    return lossy.dropped


async def assert_closed_by_server(sock: Socket, reason: str) -> None:
    assert await closed_with(sock, timeout=CATCH_UP_S) == (4001, reason)


async def test_a_kicked_members_socket_stops_carrying_the_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room_with_member(client)
    sock = await open_socket(server.ws_url, r["guest"])
    first = await send_message(client, r["host"], r["room"], "before")
    await sock.next_message(seq=first["seq"])

    kick = f"/api/rooms/{r['room']}/members/{r['guest_member']}/kick"
    expect(await client.post(kick, json={}, headers=auth(r["host"])), 204)
    assert dropped(server)  # the "left" event never went out

    left = await sock.next_event("left", timeout=CATCH_UP_S)
    assert left["room"] == r["room"]
    await send_message(client, r["host"], r["room"], "after the kick")
    assert not [e for e in await sock.barrier() if e.get("room") == r["room"]]


async def test_leaving_on_another_device_reaches_this_socket(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room_with_member(client)
    sock = await open_socket(server.ws_url, r["guest"])
    expect(await client.post(f"/api/rooms/{r['room']}/leave", headers=auth(r["guest"])), 204)
    left = await sock.next_event("left", timeout=CATCH_UP_S)
    assert left["room"] == r["room"]


ROOM_CATCH_UP_OFF = pytest.mark.settings(
    broker="lossy", catchup_interval_s=0, account_recheck_interval_s=0.05
)


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param("default", id="with-the-room-catch-up"),
        # Giving up the rooms' safety net must not give up revocations with it.
        pytest.param("off", id="room-catch-up-off", marks=ROOM_CATCH_UP_OFF),
    ],
)
async def test_a_signed_out_tokens_socket_closes(
    server: Server, client: httpx.AsyncClient, settings: str
) -> None:
    assert (server.settings.catchup_interval_s == 0) == (settings == "off")
    user, _ = await make_user(client)
    token = await second_session(client, user["username"])
    sock = await open_socket(server.ws_url, token)
    expect(await client.delete("/api/sessions/current", headers=auth(token)), 204)
    assert dropped(server)
    await assert_closed_by_server(sock, "signed out")


async def test_a_suspended_accounts_socket_closes(
    server: Server, client: httpx.AsyncClient
) -> None:
    _op, op = await make_operator(server, client)
    r = await room_with_member(client)
    sock = await open_socket(server.ws_url, r["guest"])
    expect(await suspend(client, op, r["guest_member"]), 200)
    await assert_closed_by_server(sock, "account_suspended")


async def test_a_recheck_drops_only_the_rooms_that_ended(
    server: Server, client: httpx.AsyncClient
) -> None:
    _h, host = await make_user(client)
    _m, member = await make_user(client)
    kept, gone = (await make_room(client, host))["room"], (await make_room(client, host))["room"]
    for room in (kept, gone):
        await join(client, member, room["link"])
    sock = await open_socket(server.ws_url, member)
    expect(await client.post(f"/api/rooms/{gone['id']}/leave", headers=auth(member)), 204)
    left = await sock.next_event("left", timeout=CATCH_UP_S)
    assert left["room"] == gone["id"]
    sent = await send_message(client, host, kept["id"], "still with us")
    await sock.next_message(seq=sent["seq"], room=kept["id"])
    assert not [e for e in await sock.barrier() if e["type"] == "left"]


async def test_a_password_change_closes_the_other_sessions_sockets(
    server: Server, client: httpx.AsyncClient
) -> None:
    user, this = await make_user(client)
    elsewhere = await open_socket(server.ws_url, await second_session(client, user["username"]))
    here = await open_socket(server.ws_url, this)
    expect(await change_password(client, this, PASSWORD), 200)
    await assert_closed_by_server(elsewhere, "signed out")
    assert (await here.barrier()) == []
