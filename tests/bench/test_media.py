"""``openlink bench media`` ends with one JSON line holding the figures the closing note
reports (here with a small photo, a tiny clip and no pauses to settle: what is checked is
the run and its line, not the speed)."""

from __future__ import annotations

import os

import orjson
import pytest
from typer.testing import CliRunner

from openlink.cli import app


@pytest.mark.timeout(240)
@pytest.mark.long
def test_bench_media_prints_its_figures_as_one_json_line_last() -> None:
    cores = os.sched_getaffinity(0)
    result = CliRunner().invoke(
        app,
        [
            *("bench", "media", "--thumbs", "1", "--photo-width", "400"),
            *("--seconds", "0.5", "--height", "144"),
            *("--members", "20", "--messages", "40", "--senders", "2", "--photos-per-s", "5"),
            *("--rounds", "1", "--settle-s", "0"),
        ],
    )
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    figures = orjson.loads(last)
    assert figures["thumb_p50_ms"] > 0 and figures["thumb_p99_ms"] >= figures["thumb_p50_ms"]
    assert figures["photo_pixels"] == 400 * 300
    assert figures["transcode_x_realtime"] > 0
    assert figures["transcode_output"] == "256x144"
    # Chat fan-out with uploads and a transcode running, over the same without.
    assert figures["fanout_ratio"] > 0 and figures["fanout_cpu_ratio"] > 0
    assert figures["fanout_lost"] == [0, 0]
    # Both runs with the server on a core of its own: the first run's pinning of the load
    # generator is given back, so the next server is not planned onto the load
    # generator's core.
    runs = figures["fanout_runs"]
    assert [r["media"] for r in runs] == [False, True]
    pinned = 1 if len(cores) >= 2 else None
    assert [r["server_cpu_count_pinned"] for r in runs] == [pinned] * 2
    assert os.sched_getaffinity(0) == cores
    load = figures["fanout_media_load"]
    assert load["video_uploads"] == 1
    assert load["photos_sent"] >= load["photo_uploads"] >= 0
