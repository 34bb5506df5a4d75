"""A node on the Redis broker keeps every member complete when Redis fails: events the
broker lost come from the database (periodic catch-up, and at once after a reconnect)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server
from tests.factories import Socket, join, make_room, make_user, open_socket, send_message
from tests.fakes.redis_server import REDIS_SERVER, OwnRedis

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


@pytest.fixture(autouse=True)
def redis_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path)
    own.start()
    monkeypatch.setenv("OPENLINK_BROKER", "redis")
    monkeypatch.setenv("OPENLINK_REDIS_URL", own.url)
    monkeypatch.setenv("OPENLINK_CATCHUP_INTERVAL_S", "0.3")
    yield own
    own.kill()


async def test_members_get_every_message_while_redis_is_down_and_after(
    server: Server, client: httpx.AsyncClient, redis_broker: OwnRedis
) -> None:
    _h, host = await make_user(client)
    _m, member = await make_user(client)
    created = await make_room(client, host)
    room_id = created["room"]["id"]
    await join(client, member, created["room"]["link"])
    sock = await open_socket(server.ws_url, member)

    first = await send_message(client, host, room_id, "through redis")
    await sock.next_message(seq=first["seq"])

    redis_broker.kill()
    down = [await send_message(client, host, room_id, f"while down {i}") for i in range(5)]
    # Nothing else is sent: no later event shows the hub a hole to fill. Only reading
    # the database (the periodic catch-up) brings these five.
    assert await texts_received(sock, len(down)) == [m["seq"] for m in down]

    redis_broker.start()
    up = [await send_message(client, host, room_id, f"after {i}") for i in range(3)]
    assert await texts_received(sock, len(up)) == [m["seq"] for m in up]
    assert not [e for e in await sock.barrier() if e["type"] == "message"]


async def texts_received(sock: Socket, n: int) -> list[int]:
    got: list[int] = []
    while len(got) < n:
        event = await sock.next_event("message", timeout=10)
        if event["message"]["kind"] == "text":
            got.append(event["message"]["seq"])
    return got
