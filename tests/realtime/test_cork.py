"""A socket's frames held while it connects (or while a presence tick covers several of
its rooms) leave in one write, in order, and never past a close."""

from __future__ import annotations

import asyncio

from openlink.realtime.conn import CLOSE_AUTH, CORK_BYTES, TransportConn, close_frame
from openlink.realtime.frames import Frame


class FakeTransport(asyncio.WriteTransport):
    """Records every write; its buffer never fills."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def abort(self) -> None:
        self.closing = True


def conn_on(transport: FakeTransport) -> TransportConn:
    return TransportConn(1, lambda _code, _reason: None, transport, None, 1 << 20)


def frame(n: int) -> Frame:
    return Frame.of({"type": "presence", "room": f"r{n}", "online": n})


async def test_corked_frames_leave_in_one_write_at_the_last_uncork() -> None:
    transport = FakeTransport()
    conn = conn_on(transport)
    conn.cork()
    conn.send(frame(1))
    conn.cork()  # a presence tick while the socket is still connecting
    conn.send(frame(2))
    conn.uncork()
    assert transport.writes == []  # the outer cork still holds
    conn.send(frame(3))
    conn.uncork()
    assert transport.writes == [frame(1).wire + frame(2).wire + frame(3).wire]
    conn.send(frame(4))  # uncorked: written as sent
    assert transport.writes[1:] == [frame(4).wire]


async def test_a_close_goes_out_after_what_was_held() -> None:
    transport = FakeTransport()
    conn = conn_on(transport)
    conn.cork()
    conn.send(frame(1))
    conn.kill(CLOSE_AUTH, "signed out")
    conn.send(frame(2))  # after the close: never written
    conn.uncork()
    assert transport.writes == [frame(1).wire, close_frame(CLOSE_AUTH, "signed out")]


async def test_a_cork_holds_at_most_its_limit() -> None:
    transport = FakeTransport()
    conn = conn_on(transport)
    big = Frame(b'"' + b"x" * (CORK_BYTES // 2) + b'"')
    conn.cork()
    conn.send(big)
    assert transport.writes == []
    conn.send(big)  # past the limit: written, still corked
    assert transport.writes == [big.wire + big.wire]
    conn.send(frame(1))
    assert len(transport.writes) == 1
    conn.uncork()
    assert transport.writes[1:] == [frame(1).wire]
