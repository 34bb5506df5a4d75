"""The test server runs the configuration CI asks for: on PostgreSQL with
``OPENLINK_TEST_REDIS_URL`` set, the backends of several nodes (Redis broker, presence and
limits, under a prefix of the test's own); otherwise the in-process ones."""

from __future__ import annotations

import httpx

from tests.conftest import SERVER_REDIS, Server
from tests.factories import make_room, make_user, open_socket, send_message


async def test_the_server_runs_the_configured_backends(
    server: Server, client: httpx.AsyncClient
) -> None:
    ctx = server.app.state.ctx
    expected = "redis" if SERVER_REDIS else "memory"
    assert (ctx.broker.name, ctx.presence.name, ctx.limiter.name) == (expected,) * 3
    assert server.settings.redis_prefix.startswith("test-") == SERVER_REDIS
    # A message reaches a socket through that broker.
    _, token = await make_user(client)
    room_id = (await make_room(client, token))["room"]["id"]
    sock = await open_socket(server.ws_url, token)
    sent = await send_message(client, token, room_id, "through the broker")
    assert (await sock.next_message(seq=sent["seq"]))["message"]["body"] == "through the broker"
