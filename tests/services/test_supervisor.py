"""The supervisor: named tasks whose failures are logged, loops that come back, and a
shutdown that leaves nothing running."""

from __future__ import annotations

import asyncio

import pytest

from openlink.services.supervisor import Supervisor


async def test_a_failing_task_is_logged_under_its_name(caplog: pytest.LogCaptureFixture) -> None:
    supervisor = Supervisor()

    async def boom() -> None:
        raise ValueError("broken")

    supervisor.spawn(boom(), name="test.boom")
    await supervisor.settle("test.")
    assert supervisor.failures == {"test.boom": 1}
    assert any(r.getMessage() == "task test.boom failed" and r.exc_info for r in caplog.records)
    await supervisor.stop()


async def test_stop_lets_work_under_way_finish_and_cancels_what_outlives_the_grace() -> None:
    supervisor = Supervisor()
    release = asyncio.Event()
    finished: list[str] = []

    async def short() -> None:
        await release.wait()
        finished.append("short")

    async def endless() -> None:
        await asyncio.Event().wait()

    quick = supervisor.spawn(short(), name="test.short")
    stuck = supervisor.spawn(endless(), name="test.endless")
    assert quick is not None and stuck is not None
    # The first task finishes during the grace period; the second never would.
    stopping = asyncio.create_task(supervisor.stop(grace=0.2))
    release.set()
    await stopping
    assert finished == ["short"] and not quick.cancelled()
    assert stuck.cancelled()
    assert supervisor.running() == 0


async def test_nothing_starts_after_stop() -> None:
    supervisor = Supervisor()
    await supervisor.stop()
    ran: list[bool] = []

    async def late() -> None:
        ran.append(True)

    assert supervisor.spawn(late(), name="test.late") is None
    await asyncio.sleep(0)
    assert ran == [] and supervisor.running() == 0


async def test_a_loop_that_raises_starts_again_and_stop_cancels_it() -> None:
    supervisor = Supervisor(restart_min_s=0, restart_max_s=0)
    runs = 0
    second = asyncio.Event()

    async def body() -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("first run fails")
        second.set()
        await asyncio.Event().wait()

    supervisor.run("test.loop", body)
    async with asyncio.timeout(5):
        await second.wait()
    assert supervisor.loops["test.loop"].failures == 1
    assert supervisor.status() == {"test.loop": "ok"}
    await supervisor.stop()
    assert supervisor.status() == {}
