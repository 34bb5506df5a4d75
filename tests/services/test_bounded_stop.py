"""A shutdown step that hangs is left behind: the process still stops."""

from __future__ import annotations

import asyncio

import pytest

from openlink import app


async def test_a_stop_step_that_never_ends_is_left_behind_with_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app, "STOP_STEP_S", 0.01)
    never = asyncio.Event()

    async def hangs() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:  # ignores the first cancel, as a stuck close may
            await never.wait()

    await app._bounded("the broker", hangs())
    assert "stopping the broker took over" in caplog.text
    assert "hangs" in caplog.text  # where it was stuck


async def test_a_stop_step_that_fails_is_logged_and_the_next_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fails() -> None:
        raise RuntimeError("gone")

    await app._bounded("presence", fails())
    assert "stopping presence failed" in caplog.text
