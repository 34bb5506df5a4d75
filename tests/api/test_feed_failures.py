"""A room's feed that cannot be opened (the broker refuses the subscription) does not
strand the room on this node: the socket is told to resume, the failure is logged and
counted, and the next connection carries the room live."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server
from tests.factories import closed_with, join, make_room, make_user, open_socket, send_message
from tests.fakes.flaky_broker import FlakyBroker, use_flaky_broker

pytestmark = pytest.mark.settings(broker="flaky")


@pytest.fixture(autouse=True)
def flaky(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from use_flaky_broker(monkeypatch)


def flaky_broker(server: Server) -> FlakyBroker:
    found = server.app.state.ctx.broker
    assert isinstance(found, FlakyBroker)
    return found


async def test_a_feed_that_fails_to_open_closes_the_socket_for_resume_then_works(
    server: Server, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    created = await make_room(client, host)
    room = created["room"]["id"]
    await join(client, guest, created["room"]["link"])
    broker = flaky_broker(server)
    broker.fail_room_subscribes = 1

    first = await open_socket(server.ws_url, guest)
    assert await closed_with(first) == (4000, "room unavailable: reconnect and resume")
    assert broker.failed == [f"room:{room}"]
    # Surfaced, not swallowed: in the log and in the metrics.
    assert any(f"opening the feed of room {room} failed" in r.getMessage() for r in caplog.records)
    metrics = (await client.get("/metrics")).text
    assert "openlink_feed_open_failures_total 1.0" in metrics

    again = await open_socket(server.ws_url, guest)
    sent = await send_message(client, host, room, "live after the failure")
    assert (await again.next_message(seq=sent["seq"]))["message"]["body"] == sent["body"]


async def test_sockets_waiting_on_a_failed_feed_are_told_to_resume_too(
    server: Server, client: httpx.AsyncClient
) -> None:
    """A room joined while connected opens its feed from the ``joined`` event, in a task
    of its own: a failure there must not vanish either."""
    _, host = await make_user(client)
    _, guest = await make_user(client)
    created = await make_room(client, host)
    sock = await open_socket(server.ws_url, guest)
    flaky_broker(server).fail_room_subscribes = 1
    await join(client, guest, created["room"]["link"])
    assert await closed_with(sock) == (4000, "room unavailable: reconnect and resume")

    again = await open_socket(server.ws_url, guest)
    sent = await send_message(client, host, created["room"]["id"], "hello again")
    await again.next_message(seq=sent["seq"])
