"""History pages in both directions, unread counts and the read marker."""

from __future__ import annotations

import itertools

import httpx
import pytest

from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    history,
    join,
    make_room,
    make_user,
    my_rooms,
    open_socket,
    send_message,
)

N = 120


@pytest.fixture
async def busy_room(server: Server, client: httpx.AsyncClient) -> tuple[str, str, list[int]]:
    """A room with the 'created' message and N text messages: (room id, token, text seqs)."""
    _, token = await make_user(client)
    rid = (await make_room(client, token))["room"]["id"]
    sock = await open_socket(server.ws_url, token)
    seqs = await sock.send_many(rid, [f"message {i}" for i in range(N)])
    await sock.close()
    return rid, token, seqs


async def test_seqs_are_strictly_increasing(busy_room: tuple[str, str, list[int]]) -> None:
    _, _, seqs = busy_room
    assert len(seqs) == N
    assert all(a < b for a, b in itertools.pairwise(seqs))


async def test_paging_backwards_reads_everything_once(
    client: httpx.AsyncClient, busy_room: tuple[str, str, list[int]]
) -> None:
    rid, token, seqs = busy_room
    pages = []
    page = await history(client, token, rid, limit=50)
    pages.append(page)
    while page["has_more"]:
        page = await history(client, token, rid, before=page["messages"][0]["seq"], limit=50)
        pages.append(page)
    assert [len(p["messages"]) for p in pages] == [50, 50, 21]
    read = [m["seq"] for p in reversed(pages) for m in p["messages"]]
    assert read == [1, *seqs]
    assert [m["body"] for p in pages[:1] for m in p["messages"]][-1] == f"message {N - 1}"
    for p in pages:
        assert p["last_seq"] == seqs[-1]
        got = [m["seq"] for m in p["messages"]]
        assert got == sorted(got)


async def test_paging_forwards_reads_everything_once(
    client: httpx.AsyncClient, busy_room: tuple[str, str, list[int]]
) -> None:
    rid, token, seqs = busy_room
    read: list[int] = []
    has_more = [True]
    after = 0
    while has_more[-1]:
        page = await history(client, token, rid, after=after, limit=50)
        read.extend(m["seq"] for m in page["messages"])
        has_more.append(page["has_more"])
        after = page["messages"][-1]["seq"]
    assert read == [1, *seqs]
    assert has_more[1:] == [True, True, False]
    tail = await history(client, token, rid, after=seqs[-1])
    assert tail["messages"] == []
    assert tail["has_more"] is False


async def test_a_page_in_the_middle(
    client: httpx.AsyncClient, busy_room: tuple[str, str, list[int]]
) -> None:
    rid, token, seqs = busy_room
    page = await history(client, token, rid, before=seqs[60], limit=10)
    assert [m["seq"] for m in page["messages"]] == seqs[50:60]
    assert page["has_more"] is True
    page = await history(client, token, rid, after=seqs[60], limit=10)
    assert [m["seq"] for m in page["messages"]] == seqs[61:71]
    assert page["has_more"] is True


async def test_before_and_after_together_are_refused(
    client: httpx.AsyncClient, busy_room: tuple[str, str, list[int]]
) -> None:
    rid, token, _ = busy_room
    response = await client.get(
        f"/api/rooms/{rid}/messages", params={"before": 50, "after": 10}, headers=auth(token)
    )
    assert error_code(response, 422) == "invalid_page"
    for params in ({"limit": 0}, {"limit": 201}, {"before": 0}, {"after": -1}):
        response = await client.get(
            f"/api/rooms/{rid}/messages", params=params, headers=auth(token)
        )
        assert error_code(response, 422) == "invalid_input", params


async def test_unread_counts_and_the_read_marker(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, reader = await make_user(client)
    room = (await make_room(client, host))["room"]
    rid = room["id"]
    before = [await send_message(client, host, rid, f"old {i}") for i in range(3)]
    await join(client, reader, room["link"])
    sent = [await send_message(client, host, rid, f"news {i}") for i in range(5)]
    own = await send_message(client, reader, rid, "my own words are not unread")
    await client.delete(f"/api/rooms/{rid}/messages/{sent[4]['seq']}", headers=auth(host))

    item = (await my_rooms(client, reader))[rid]
    # What was said before joining is history, not unread: the marker starts at the join.
    assert item["unread"] == 4
    assert before[-1]["seq"] < item["read_seq"] < sent[0]["seq"]
    assert item["last_message"]["seq"] == own["seq"]
    one = expect(await client.get(f"/api/rooms/{rid}", headers=auth(reader)), 200)
    assert one["unread"] == 4

    marker = expect(
        await client.post(
            f"/api/rooms/{rid}/read", json={"seq": sent[1]["seq"]}, headers=auth(reader)
        ),
        200,
    )
    assert marker["read_seq"] == sent[1]["seq"]
    assert (await my_rooms(client, reader))[rid]["unread"] == 2

    # Never backwards.
    back = expect(
        await client.post(f"/api/rooms/{rid}/read", json={"seq": 1}, headers=auth(reader)), 200
    )
    assert back["read_seq"] == sent[1]["seq"]
    # Never past the end.
    last_seq = (await history(client, reader, rid))["last_seq"]
    end = expect(
        await client.post(f"/api/rooms/{rid}/read", json={"seq": 10**12}, headers=auth(reader)),
        200,
    )
    assert end["read_seq"] == last_seq
    item = (await my_rooms(client, reader))[rid]
    assert item["unread"] == 0
    assert item["read_seq"] == last_seq
    assert (await history(client, reader, rid))["read_seq"] == last_seq
    await send_message(client, host, rid, "one more")
    assert (await my_rooms(client, reader))[rid]["unread"] == 1
    # The host's own messages are never unread for the host.
    assert (await my_rooms(client, host))[rid]["unread"] == 1  # the reader's message
