"""Many nodes, one room: every member gets every message once and in order, whichever node
it is on, and nothing acknowledged is lost when a node or Redis dies mid-run.

Members are spread over the three nodes; senders on different nodes send at the same
time. The database history (read over HTTP) is the reference: each member's stream of
``message`` events must be exactly that history, rev by rev.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.cluster.client import Member, until
from tests.cluster.conftest import Cluster
from tests.factories import all_messages, auth, expect, join, make_room, make_user

pytestmark = [pytest.mark.timeout(180), pytest.mark.long]

MEMBERS = 30
SENDERS = 6  # members 0..5: two on each node


@dataclass
class Room:
    id: str
    base: int  # the room's last rev before the test sends anything
    members: list[Member]
    http: list[httpx.AsyncClient]  # one per node
    host_token: str

    async def last_seq(self, node: int = 0) -> int:
        r = await self.http[node].get(f"/api/rooms/{self.id}", headers=auth(self.host_token))
        return int(expect(r, 200)["last_seq"])

    async def history(self, node: int = 0) -> list[dict[str, Any]]:
        """Everything after ``base``, from one node's HTTP API."""
        messages = await all_messages(self.http[node], self.host_token, self.id)
        return [m for m in messages if m["seq"] > self.base]


@pytest.fixture
async def room(cluster: Cluster) -> AsyncIterator[Room]:
    """MEMBERS accounts signed up and joined round-robin over the nodes, each member
    connected to node ``i % 3`` and live in the room."""
    http = [httpx.AsyncClient(base_url=url, timeout=30) for url in cluster.urls()]
    n = len(http)
    members: list[Member] = []
    try:
        users = await asyncio.gather(*(make_user(http[i % n]) for i in range(MEMBERS)))
        tokens = [token for _user, token in users]
        created = await make_room(http[0], tokens[0])
        room_id, link = created["room"]["id"], created["room"]["link"]
        await asyncio.gather(*(join(http[i % n], tokens[i], link) for i in range(1, MEMBERS)))
        r = Room(room_id, 0, members, http, tokens[0])
        r.base = await r.last_seq()
        members.extend(
            Member(f"m{i}", tokens[i], room_id, cluster.ports, home=i % n, since=r.base)
            for i in range(MEMBERS)
        )
        await asyncio.gather(*(m.start() for m in members))
        yield r
    finally:
        await asyncio.gather(*(m.stop() for m in members), return_exceptions=True)
        for client in http:
            await client.aclose()


async def send_all(member: Member, count: int, window: int) -> None:
    """``count`` messages with at most ``window`` unacknowledged at a time."""
    for k in range(count):
        await until(lambda: len(member.outbox) < window, f"{member.name}'s acks", 60)
        member.send(f"{member.name}-{k}", f"{member.name} says {k}")


def acked(members: list[Member]) -> int:
    return sum(len(m.acks) for m in members)


async def settle(room: Room, senders: list[Member], bodies: set[str]) -> list[dict[str, Any]]:
    """Wait until every send is acknowledged and every member holds the room's last rev;
    return the history after ``base``."""
    await until(lambda: not any(s.outbox for s in senders), "every send to be acknowledged")
    last = await room.last_seq()
    await until(
        lambda: all(m.live and m.since >= last for m in room.members),
        f"every member to be live and reach rev {last}",
    )
    history = await room.history()
    assert history and history[-1]["rev"] == last
    assert len(history) >= len(bodies)
    return history


def assert_exactly_once(
    room: Room, senders: list[Member], bodies: set[str], history: list[dict[str, Any]]
) -> None:
    """The history holds every sent body once; every ack names the stored message; every
    member received exactly the history, rev after rev."""
    assert all(m["kind"] == "text" for m in history), "only the test's messages after base"
    stored = Counter(m["body"] for m in history)
    assert {b for b, n in stored.items() if n > 1} == set(), "stored more than once"
    assert set(stored) == bodies, f"missing {bodies - set(stored)}, extra {set(stored) - bodies}"

    by_seq = {m["seq"]: m for m in history}
    for s in senders:
        assert s.errors == [], s.errors
        for client_id, ack in s.acks.items():
            body = f"{s.name} says {client_id.rsplit('-', 1)[1]}"
            assert by_seq[ack["seq"]]["body"] == body, (client_id, ack)

    revs = [m["rev"] for m in history]
    assert revs == sorted(set(revs)), "revs strictly increase"
    for m in room.members:
        got = [a.message["rev"] for a in m.received]
        dupes = sorted(r for r, n in Counter(got).items() if n > 1)
        missing = sorted(set(revs) - set(got))
        assert (dupes, missing) == ([], []), f"{m.name}: duplicates {dupes}, missing {missing}"
        assert got == revs, f"{m.name} received out of order: {got}"
        assert [a.message["body"] for a in m.received] == [h["body"] for h in history]


async def test_members_on_three_nodes_get_every_message_once_in_order(
    cluster: Cluster, room: Room
) -> None:
    senders = room.members[:SENDERS]
    per_sender = 15
    await asyncio.gather(*(send_all(s, per_sender, window=per_sender) for s in senders))
    bodies = {f"{s.name} says {k}" for s in senders for k in range(per_sender)}
    history = await settle(room, senders, bodies)

    # Concurrent sends on different nodes took distinct, gapless, increasing numbers.
    assert [m["seq"] for m in history] == list(range(room.base + 1, room.base + 1 + len(bodies)))
    assert all(m["rev"] == m["seq"] for m in history)
    for s in senders:
        seqs = [s.acks[f"{s.name}-{k}"]["seq"] for k in range(per_sender)]
        assert seqs == sorted(seqs) and not any(a["duplicate"] for a in s.acks.values())
    assert_exactly_once(room, senders, bodies, history)

    # Every node serves the same history.
    for node in range(1, len(cluster.nodes)):
        assert await room.history(node) == history


async def test_presence_converges_to_the_same_count_on_every_node(
    cluster: Cluster, room: Room
) -> None:
    """Presence is shared through Redis: a member on any node is soon told how many
    members are online on all nodes together (10 s: fifty presence intervals, ten times
    the read cache's lifetime, one presence refresh)."""
    await until(
        lambda: all(m.online == MEMBERS for m in room.members),
        lambda: (
            f"online = {MEMBERS} for every member; (connection, online) told so far: "
            + ", ".join(
                f"{m.name}@{m.home}: {m.presence}" for m in room.members if m.online != MEMBERS
            )
        ),
        10,
    )


async def test_redis_killed_and_restarted_mid_run_loses_nothing(
    cluster: Cluster, room: Room
) -> None:
    senders = room.members[:SENDERS]
    per_sender = 40
    sending = [asyncio.create_task(send_all(s, per_sender, window=3)) for s in senders]
    total = per_sender * len(senders)
    await until(lambda: acked(senders) >= total // 3, "a third of the messages acknowledged")
    cluster.redis.kill()
    # Sends go on while Redis is down: the database takes them, the broker loses them.
    await until(lambda: acked(senders) >= 2 * total // 3, "sends acknowledged while Redis is down")
    cluster.redis.start()
    await asyncio.gather(*sending)

    bodies = {f"{s.name} says {k}" for s in senders for k in range(per_sender)}
    history = await settle(room, senders, bodies)
    assert_exactly_once(room, senders, bodies, history)
    # The nodes stayed up: nobody had to reconnect.
    assert all(m.connections == 1 for m in room.members)


async def test_a_node_killed_mid_run_loses_no_acknowledged_message(
    cluster: Cluster, room: Room
) -> None:
    senders = room.members[:SENDERS]
    per_sender, victim = 40, 2
    on_victim = [s for s in senders if s.home == victim]
    sending = [asyncio.create_task(send_all(s, per_sender, window=3)) for s in senders]
    total = per_sender * len(senders)
    await until(
        lambda: acked(senders) >= total // 3 and all(s.outbox for s in on_victim),
        "a third of the messages acknowledged, with sends in flight on the victim",
    )
    cluster.nodes[victim].kill()
    # Sent before its socket has noticed the node is gone: never stored, surely resent.
    for s in on_victim:
        s.send(f"{s.name}-late", f"{s.name} says late")
    await asyncio.gather(*sending)

    bodies = {f"{s.name} says {k}" for s in senders for k in range(per_sender)}
    bodies |= {f"{s.name} says late" for s in on_victim}
    history = await settle(room, senders, bodies)
    assert_exactly_once(room, senders, bodies, history)

    moved = [m for m in room.members if m.home == victim]
    assert all(m.connections == 2 and m.port != cluster.ports[victim] for m in moved)
    assert all(m.connections == 1 for m in room.members if m.home != victim)
    assert all(s.resent >= 1 for s in on_victim)
