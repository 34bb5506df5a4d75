"""Account events a broker drops (left, signed out, suspended, sessions revoked) still
take effect on every socket: each is also a bump of the account's ``access_rev`` in the
same transaction, and the hub's catch-up rechecks the sockets of an account whose
revision moved. Every test here runs on a broker that loses every account event."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server
from tests.factory import Account, operator, room, user
from tests.fakes.lossy_broker import LossyBroker, use_lossy_broker

NEW_PASSWORD = "a new long passphrase"

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


async def assert_closed_by_server(account: Account, reason: str) -> None:
    assert await account.closed_by_server(timeout=CATCH_UP_S) == (4001, reason)


async def test_a_kicked_members_socket_stops_carrying_the_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"], nicknames={"guest": "G"})
    await r.guest.connect()
    first = await r.host.send("before")
    await r.guest.next_message(seq=first["seq"])

    await r.host.kick(r.guest)
    assert dropped(server)  # the "left" event never went out

    left = await r.guest.next_event("left", timeout=CATCH_UP_S)
    assert left["room"] == r.id
    await r.host.send("after the kick")
    assert not [e for e in await r.guest.barrier() if e.get("room") == r.id]


async def test_leaving_on_another_device_reaches_this_socket(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await room(client, ["host", "guest"], nicknames={"guest": "G"})
    await r.guest.connect()
    await r.guest.leave()
    left = await r.guest.next_event("left", timeout=CATCH_UP_S)
    assert left["room"] == r.id


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
    session = await (await user(client)).sign_in_again()
    await session.connect()
    await session.sign_out()
    assert dropped(server)
    await assert_closed_by_server(session, "signed out")


async def test_a_suspended_accounts_socket_closes(
    server: Server, client: httpx.AsyncClient
) -> None:
    op = await operator(client, server)
    r = await room(client, ["host", "guest"], nicknames={"guest": "G"})
    await r.guest.connect()
    await op.suspend(r.guest)
    await assert_closed_by_server(r.guest, "account_suspended")


async def test_a_recheck_drops_only_the_rooms_that_ended(
    server: Server, client: httpx.AsyncClient
) -> None:
    host = await user(client)
    kept, gone = await host.create_room(), await host.create_room()
    account = await user(client)
    await account.join(kept)
    there = await account.join(gone)
    await account.connect()
    await there.leave()
    left = await account.next_event("left", timeout=CATCH_UP_S)
    assert left["room"] == gone.id
    sent = await kept.host.send("still with us")
    await account.next_message(seq=sent["seq"], room=kept.id)
    assert not [e for e in await account.barrier() if e["type"] == "left"]


async def test_a_password_change_closes_the_other_sessions_sockets(
    server: Server, client: httpx.AsyncClient
) -> None:
    here = await user(client)
    elsewhere = await here.sign_in_again()
    await elsewhere.connect()
    await here.connect()
    await here.change_password(NEW_PASSWORD)
    await assert_closed_by_server(elsewhere, "signed out")
    assert (await here.barrier()) == []
