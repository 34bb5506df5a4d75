"""A socket that stops reading is dropped; the server and everyone else carry on."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from openlink.realtime.conn import CLOSE_GRACE_S
from tests.conftest import Server
from tests.factories import (
    StalledSocket,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
)

#: 4,096 four-byte characters: about 16 KiB per event, the most one message can weigh.
HEAVY = "😀" * 4096
#: About 6.5 MiB: the kernel's buffers on both sides of a loopback connection take about
#: 3 MiB (180 such messages here), then the server's own outbound limit fills.
FLOOD_LIMIT = 400


async def connections(client: httpx.AsyncClient) -> int:
    health = expect(await client.get("/healthz"), 200)
    assert health["ok"] is True
    return int(health["connections"])


async def wait_for_connections(client: httpx.AsyncClient, n: int, within: float) -> bool:
    """Poll /healthz until it counts ``n`` sockets; False if it did not within the time."""
    try:
        async with asyncio.timeout(within):
            while await connections(client) != n:  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.02)
    except TimeoutError:
        return False
    return True


async def flood(
    server: Server, client: httpx.AsyncClient, max_outbound: int
) -> tuple[StalledSocket, int, str]:
    """A room with a sender, a healthy watcher and a stalled reader; flood it with more
    than the kernel's buffers and the server's outbound limit together can hold.

    Returns (the stalled socket, messages sent, the room id)."""
    assert server.settings.ws_max_outbound_bytes == max_outbound
    _, host = await make_user(client)
    _, watcher_token = await make_user(client)
    _, stalled_token = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, watcher_token, room["link"])
    await join(client, stalled_token, room["link"])
    sender = await open_socket(server.ws_url, host)
    watcher = await open_socket(server.ws_url, watcher_token)
    stalled = await StalledSocket.open(server.ws_url, stalled_token)
    assert await wait_for_connections(client, 3, within=5)

    sent = 0
    while sent < FLOOD_LIMIT:
        await sender.send_many(room["id"], [HEAVY] * 20)
        sent += 20
    # The room still works for everyone else, and the server got through the flood.
    ack = await sender.send_and_ack(room["id"], "still flowing")
    event = await watcher.next_message(seq=ack["seq"], timeout=10)
    assert event["message"]["body"] == "still flowing"
    return stalled, sent, room["id"]


# The reader must read within the close grace (5 s of real time) after it overflowed;
# through Redis the rest of the flood takes longer than that. The broker is not what this
# tests, so it keeps the in-process one until tests can move the app's clock.
@pytest.mark.settings(ws_max_outbound_bytes=16 * 1024, broker="memory")
async def test_a_reader_that_falls_behind_is_told_to_resume(
    server: Server, client: httpx.AsyncClient
) -> None:
    stalled, sent, _ = await flood(server, client, 16 * 1024)
    try:
        # Reading again at once (within the close grace), it finds what was already on its
        # way and then the close frame telling it to reconnect and resume.
        code, frames = await stalled.read_to_close(timeout=10)
        assert code == 4000
        assert 0 < frames < sent
    finally:
        await stalled.close()
    assert await wait_for_connections(client, 2, within=CLOSE_GRACE_S + 3)


@pytest.mark.settings(ws_max_outbound_bytes=128 * 1024)
async def test_a_stalled_reader_is_dropped_with_a_limit_above_64_kib(
    server: Server, client: httpx.AsyncClient
) -> None:
    stalled, sent, _ = await flood(server, client, 128 * 1024)
    try:
        # A reader that never reads is cut once the close grace is over, freeing its backlog.
        dropped = await wait_for_connections(client, 2, within=CLOSE_GRACE_S + 3)
        assert dropped, f"the stalled socket was still connected after {sent} messages"
    finally:
        await stalled.close()
