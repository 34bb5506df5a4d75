"""The broker contract (``openlink.broker.base``), run against every broker reachable.

To add a broker, add a :class:`BrokerCase` to ``CASES`` (skipped when its server is not
configured); every test below then runs against it too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from openlink.broker.base import Broker
from openlink.broker.memory import MemoryBroker
from tests.contract.helpers import Inbox


@dataclass(frozen=True)
class BrokerCase:
    name: str
    make: Callable[[], Broker]
    #: Whether two instances share channels (a network broker) or each is its own world.
    shared: bool


REDIS_URL = os.environ.get("OPENLINK_TEST_REDIS_URL", "")
#: Channels of this process's brokers: another worker, or another run, on the same Redis
#: publishes to the same channel names (``user:7``) and would land in these inboxes.
PREFIX = f"contract-{uuid.uuid4().hex[:12]}:"


def _redis() -> Broker:
    from openlink.broker.redis import RedisBroker

    return RedisBroker(REDIS_URL, prefix=PREFIX)


def _redis_sharded() -> Broker:
    from openlink.broker.redis import RedisBroker

    return RedisBroker(REDIS_URL, sharded=True, prefix=PREFIX)


CASES = [
    BrokerCase("memory", MemoryBroker, shared=False),
    pytest.param(
        BrokerCase("redis", _redis, shared=True),
        marks=pytest.mark.skipif(not REDIS_URL, reason="OPENLINK_TEST_REDIS_URL is not set"),
    ),
    pytest.param(
        BrokerCase("redis-sharded", _redis_sharded, shared=True),
        marks=pytest.mark.skipif(not REDIS_URL, reason="OPENLINK_TEST_REDIS_URL is not set"),
    ),
]


@dataclass
class Node:
    broker: Broker
    inbox: Inbox


@pytest.fixture(params=CASES, ids=["memory", "redis", "redis-sharded"])
def case(request: pytest.FixtureRequest) -> BrokerCase:
    return request.param


@pytest.fixture
async def node(case: BrokerCase) -> AsyncIterator[Node]:
    started = Node(case.make(), Inbox())
    await started.broker.start(started.inbox.handler)
    yield started
    await started.broker.stop()


async def test_a_subscribed_channel_gets_what_is_published_in_order(node: Node) -> None:
    await node.broker.subscribe("room:a")
    sent = [f'{{"n": {i}}}'.encode() for i in range(200)]
    for data in sent:
        await node.broker.publish("room:a", data)
    await node.inbox.wait_for("room:a", sent[-1])
    assert node.inbox.on("room:a") == sent


async def test_an_unsubscribed_channel_gets_nothing(node: Node) -> None:
    await node.broker.subscribe("room:a")
    await node.broker.publish("room:b", b"not for us")
    await node.broker.publish("room:ab", b"a longer name is another channel")
    await node.broker.publish("room:a", b"sentinel")
    await node.inbox.wait_for("room:a", b"sentinel")
    assert node.inbox.received == [("room:a", b"sentinel")]


async def test_unsubscribing_stops_delivery(node: Node) -> None:
    await node.broker.subscribe("room:a")
    await node.broker.subscribe("room:z")
    await node.broker.publish("room:a", b"before")
    await node.inbox.wait_for("room:a", b"before")
    await node.broker.unsubscribe("room:a")
    await node.broker.unsubscribe("room:a")  # idempotent
    await node.broker.unsubscribe("room:never")  # never subscribed: fine too
    await node.broker.publish("room:a", b"after")
    await node.broker.publish("room:z", b"sentinel")
    await node.inbox.wait_for("room:z", b"sentinel")
    assert node.inbox.on("room:a") == [b"before"]


async def test_subscribing_twice_delivers_once(node: Node) -> None:
    await node.broker.subscribe("room:a")
    await node.broker.subscribe("room:a")
    await node.broker.publish("room:a", b"one")
    await node.broker.publish("room:a", b"two")
    await node.inbox.wait_for("room:a", b"two")
    assert node.inbox.on("room:a") == [b"one", b"two"]
    # Idempotent: the second subscribe added nothing a single unsubscribe leaves behind.
    await node.broker.unsubscribe("room:a")
    await node.broker.subscribe("room:z")
    await node.broker.publish("room:a", b"three")
    await node.broker.publish("room:z", b"sentinel")
    await node.inbox.wait_for("room:z", b"sentinel")
    assert node.inbox.on("room:a") == [b"one", b"two"]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b'{"type": "message", "body": "\xec\x95\x88\xeb\x85\x95 \xf0\x9f\x91\x8d"}',
        bytes(range(256)),
        b"\x00" * 10 + b"\xff" * 10,
        b"x" * (1 << 20),
    ],
    ids=["empty", "utf8-json", "all-bytes", "nul-ff", "1mib"],
)
async def test_payload_bytes_arrive_unchanged(node: Node, payload: bytes) -> None:
    await node.broker.subscribe("user:7")
    await node.broker.publish("user:7", payload)
    await node.broker.publish("user:7", b"sentinel")
    await node.inbox.wait_for("user:7", b"sentinel")
    [(channel, data), _] = node.inbox.received
    assert channel == "user:7"
    assert type(data) is bytes
    assert data == payload


async def test_the_handler_never_runs_inside_publish(node: Node) -> None:
    await node.broker.subscribe("room:a")
    node.inbox.inside_publish = True
    await node.broker.publish("room:a", b"x")
    node.inbox.inside_publish = False
    await node.inbox.wait_for("room:a", b"x")
    assert node.inbox.called_inside_publish is False


async def test_stop_drops_every_subscription(case: BrokerCase) -> None:
    broker, inbox = case.make(), Inbox()
    await broker.start(inbox.handler)
    try:
        await broker.subscribe("room:a")
        await broker.stop()
        await broker.start(inbox.handler)
        await broker.subscribe("room:z")
        await broker.publish("room:a", b"after restart")
        await broker.publish("room:z", b"sentinel")
        await inbox.wait_for("room:z", b"sentinel")
        assert inbox.on("room:a") == []
    finally:
        await broker.stop()


async def test_events_cross_nodes(case: BrokerCase) -> None:
    if not case.shared:
        pytest.skip(f"{case.name}: each instance is its own node")
    one, two = Node(case.make(), Inbox()), Node(case.make(), Inbox())
    await one.broker.start(one.inbox.handler)
    await two.broker.start(two.inbox.handler)
    try:
        await two.broker.subscribe("room:a")
        await one.broker.publish("room:a", b"from node one")
        await two.inbox.wait_for("room:a", b"from node one")
        assert one.inbox.received == []
    finally:
        await one.broker.stop()
        await two.broker.stop()
