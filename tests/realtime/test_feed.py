"""The hub's per-room ordering: in rev order, exactly once, gaps filled from the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from openlink.actions import accounts, messages, rooms
from openlink.actions.context import Context
from openlink.app import build_context
from openlink.config import Settings
from openlink.domain.events import message_event
from openlink.domain.rooms import ProfilePolicy, RoomKind, Visibility
from openlink.realtime.conn import Conn
from openlink.realtime.feed import GAP_GRACE_S, Feed
from openlink.realtime.frames import Frame
from openlink.realtime.hub import Hub
from openlink.services.supervisor import Supervisor
from openlink.store.migrate import upgrade_async
from tests.fakes.clock import OffsetClock, until


async def settle() -> None:
    """Let the loop turn: the feed writes to live sockets at the end of an iteration."""
    await asyncio.sleep(0)


class Recorder(Conn):
    """A socket that records the revs it was sent."""

    def __init__(self, user_id: int = 1) -> None:
        def closer(_code: int, _reason: str) -> None:
            return None

        super().__init__(user_id, closer)
        self.revs: list[int] = []

    def send(self, frame: Frame) -> None:
        event = orjson.loads(frame.payload)
        if event["type"] == "message":
            self.revs.append(event["message"]["rev"])


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
async def ctx(tmp_path: Path, clock: OffsetClock) -> AsyncIterator[Context]:
    settings = Settings(data_dir=tmp_path, argon2_time_cost=1, argon2_memory_kib=64)
    context = build_context(settings, clock=clock)
    await upgrade_async(settings.effective_database_url())
    yield context
    await context.db.dispose()


async def _room_with_messages(ctx: Context, n: int) -> tuple[str, list[bytes]]:
    """A room holding ``n`` text messages after its 'created' message; returns each event."""
    user, _, _ = await accounts.do_sign_up(
        ctx,
        username="host",
        password="password123",
        display_name="Host",
        language="en",
        interests=[],
    )
    room, _ = await rooms.do_create_room(
        ctx,
        user,
        name="r",
        kind=RoomKind.GROUP,
        visibility=Visibility.PUBLIC,
        profile_policy=ProfilePolicy.OPEN_ALLOWED,
        tags=[],
        cover_url=None,
        member_cap=None,
        code=None,
        host_profile={"kind": "main"},
    )
    events = []
    for i in range(n):
        sent = await messages.do_send_message(
            ctx, user, room.id, client_id=str(uuid.uuid4()), body=f"m{i}"
        )
        events.append(orjson.dumps(message_event(sent.message, "new")))
    return room.id, events


async def test_out_of_order_events_are_delivered_in_rev_order(ctx: Context) -> None:
    room_id, events = await _room_with_messages(ctx, 3)  # revs 2, 3, 4
    feed = Feed(Hub(ctx, Supervisor()), room_id)
    feed.set_baseline(1)
    conn = Recorder()
    feed.live[conn] = None
    feed.on_durable(4, events[2])
    feed.on_durable(2, events[0])
    feed.on_durable(3, events[1])
    await settle()
    assert conn.revs == [2, 3, 4]
    feed.on_durable(3, events[1])  # a duplicate from the broker
    await settle()
    assert conn.revs == [2, 3, 4]


async def test_a_lost_event_is_filled_from_the_database(ctx: Context, clock: OffsetClock) -> None:
    room_id, events = await _room_with_messages(ctx, 3)  # revs 2, 3, 4
    feed = Feed(Hub(ctx, Supervisor()), room_id)
    feed.set_baseline(1)
    conn = Recorder()
    feed.live[conn] = None
    feed.on_durable(2, events[0])
    feed.on_durable(4, events[2])  # rev 3 never arrives
    await settle()
    assert conn.revs == [2]
    # The late event may still come: the feed waits GAP_GRACE_S, then reads.
    clock.advance(GAP_GRACE_S)
    await until(lambda: conn.revs == [2, 3, 4])


async def test_a_joining_socket_gets_held_events_past_its_catch_up_once(ctx: Context) -> None:
    room_id, events = await _room_with_messages(ctx, 4)  # revs 2..5
    feed = Feed(Hub(ctx, Supervisor()), room_id)
    feed.set_baseline(1)
    conn = Recorder()
    feed.add(conn)
    for rev, data in zip((2, 3, 4), events, strict=False):
        feed.on_durable(rev, data)  # held: the socket is still catching up
    assert conn.revs == []
    conn.revs.extend([2, 3])  # what its database catch-up sent
    feed.finish_catch_up(conn, 3)
    assert conn.revs == [2, 3, 4]
    feed.on_durable(5, events[3])
    await settle()
    assert conn.revs == [2, 3, 4, 5]
    assert conn in feed.live


async def test_a_socket_ahead_of_the_feed_gets_no_repeats(ctx: Context) -> None:
    """The database catch-up saw revs the broker has not delivered yet: they must not
    reach the socket a second time when they do arrive."""
    room_id, events = await _room_with_messages(ctx, 3)  # revs 2..4
    feed = Feed(Hub(ctx, Supervisor()), room_id)
    feed.set_baseline(1)
    conn = Recorder()
    feed.add(conn)
    conn.revs.extend([2, 3])  # the catch-up read both; the feed has delivered neither
    feed.finish_catch_up(conn, 3)
    for rev, data in zip((2, 3, 4), events, strict=True):
        feed.on_durable(rev, data)
    await settle()
    assert conn.revs == [2, 3, 4]


async def test_events_arriving_together_leave_in_one_write_in_order(ctx: Context) -> None:
    room_id, events = await _room_with_messages(ctx, 3)  # revs 2..4
    feed = Feed(Hub(ctx, Supervisor()), room_id)
    feed.set_baseline(1)
    writes: list[list[int]] = []

    class Writer(Recorder):
        def send_batch(self, frames: list[Frame], wire: bytes) -> None:
            assert wire == b"".join(f.wire for f in frames)
            writes.append([orjson.loads(f.payload)["message"]["rev"] for f in frames])

    feed.live[Writer()] = None
    for rev, data in zip((2, 3, 4), events, strict=True):
        feed.on_durable(rev, data)
    assert writes == []  # nothing written mid-iteration
    await settle()
    assert writes == [[2, 3, 4]]
