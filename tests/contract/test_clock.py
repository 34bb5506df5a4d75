"""The clock contract (``openlink.clock``): the machine's clock and the one tests move."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

import pytest

from openlink.clock import Clock, SystemClock
from tests.fakes.clock import OffsetClock

CLOCKS = [pytest.param(SystemClock, id="system"), pytest.param(OffsetClock, id="offset")]


@pytest.fixture(params=CLOCKS)
def clock(request: pytest.FixtureRequest) -> Clock:
    made: Clock = request.param()
    return made


async def test_now_is_aware_utc_and_time_goes_forward(clock: Clock) -> None:
    first, tick = clock.now(), clock.monotonic()
    assert first.tzinfo is UTC
    await clock.sleep(0.01)
    assert clock.now() > first
    assert clock.monotonic() - tick >= 0.01


async def test_a_timer_runs_once_due_and_not_once_cancelled(clock: Clock) -> None:
    ran: list[str] = []
    clock.call_at(clock.now() + timedelta(seconds=0.01), lambda: ran.append("due"))
    clock.call_at(clock.now() - timedelta(seconds=1), lambda: ran.append("past"))
    clock.call_at(clock.now() + timedelta(seconds=0.01), lambda: ran.append("no")).cancel()
    await clock.sleep_until(clock.now() + timedelta(seconds=0.05))
    assert sorted(ran) == ["due", "past"]


async def test_moving_the_clock_wakes_what_it_passed_and_only_that() -> None:
    clock = OffsetClock()
    before = clock.now()
    ran: list[str] = []
    short = asyncio.create_task(clock.sleep(60))
    long = asyncio.create_task(clock.sleep(3600))
    clock.call_at(before + timedelta(minutes=2), lambda: ran.append("2 min"))
    clock.call_at(before + timedelta(hours=2), lambda: ran.append("2 h"))
    await asyncio.sleep(0)

    clock.advance(120)
    async with asyncio.timeout(1):
        await short
    await asyncio.sleep(0)
    assert ran == ["2 min"] and not long.done()
    assert clock.now() - before >= timedelta(minutes=2)

    clock.advance_to(before + timedelta(hours=2))
    async with asyncio.timeout(1):
        await long
    await asyncio.sleep(0)
    assert ran == ["2 min", "2 h"]


def test_the_clock_only_moves_forward() -> None:
    clock = OffsetClock()
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    clock.advance_to(clock.now() - timedelta(hours=1))  # the past: nothing moves
    assert clock.offset == 0
