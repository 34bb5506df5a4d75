"""A server whose rate-limit Redis hangs (accepts, never answers) keeps taking messages:
the limits fail open within the Redis timeouts instead of holding every write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Server
from tests.factories import join, make_room, make_user, open_socket, send_message
from tests.fakes.hanging import SilentServer


@pytest.fixture(autouse=True)
def hanging_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentServer]:
    silent = SilentServer().start()
    monkeypatch.setenv("OPENLINK_LIMITS_URL", silent.url)
    yield silent
    silent.stop()


@pytest.mark.settings(
    flood_member_messages=5,
    flood_room_messages=50,
    redis_connect_timeout_s=0.2,
    redis_socket_timeout_s=0.2,
)
async def test_messages_are_accepted_while_the_limits_redis_hangs(
    server: Server, client: httpx.AsyncClient
) -> None:
    _h, host = await make_user(client)
    _m, member = await make_user(client)
    created = await make_room(client, host)
    room_id = created["room"]["id"]
    await join(client, member, created["room"]["link"])
    sock = await open_socket(server.ws_url, member)
    # A bound, not a measurement: without timeouts the first send never returns.
    async with asyncio.timeout(10):
        sent = await send_message(client, host, room_id, "still here")
        await sock.next_message(seq=sent["seq"])
        acked = await sock.send_and_ack(room_id, "me too")
    assert acked["seq"] == sent["seq"] + 1
    assert server.app.state.ctx.limiter.errors >= 1
