"""The media service: workers that cannot start show in readiness and are tried again;
stopping it stops the workers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PIL import Image

from openlink.config import Settings
from openlink.media.process import MediaPool, MediaRefused
from openlink.services.media import WORKERS_LOOP, MediaService
from openlink.services.supervisor import Supervisor


async def test_workers_that_cannot_start_show_in_readiness_and_are_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[int] = []
    tried_again = asyncio.Event()

    async def broken(self: MediaPool) -> None:
        tries.append(1)
        if len(tries) >= 2:
            tried_again.set()
        raise MediaRefused("media_processing_failed", "no codecs")

    monkeypatch.setattr(MediaPool, "start", broken)
    supervisor = Supervisor(restart_min_s=0.01, restart_max_s=0.01)
    service = MediaService(Settings(data_dir=tmp_path), supervisor)
    await service.start()
    async with asyncio.timeout(10):
        await tried_again.wait()
    # Between tries, readiness says so.
    for _ in range(1_000):
        if supervisor.status()[WORKERS_LOOP] != "ok":
            break
        await asyncio.sleep(0.01)
    assert supervisor.status()[WORKERS_LOOP].startswith("restarting after")
    assert "MediaRefused" in supervisor.status()[WORKERS_LOOP]
    await service.stop()
    assert WORKERS_LOOP not in supervisor.status()
    await supervisor.stop()


async def test_stopping_the_service_stops_its_workers(tmp_path: Path) -> None:
    supervisor = Supervisor()
    service = MediaService(Settings(data_dir=tmp_path, media_workers=1), supervisor)
    await service._start_workers()  # the body of the loop start() runs
    assert service.pool.pids()
    workers = list(service.pool._idle)
    await service.stop()
    assert all(not w.proc.is_alive() for w in workers)
    png = tmp_path / "dot.png"
    Image.new("RGB", (8, 8)).save(png)
    with pytest.raises(RuntimeError):
        await service.process("image", png, tmp_path / "w")
    await supervisor.stop()
