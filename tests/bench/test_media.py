"""``openlink bench media`` ends with one JSON line holding the figures the closing note
reports (here with a tiny clip: what is checked is the run and its line, not the speed)."""

from __future__ import annotations

import orjson
import pytest
from typer.testing import CliRunner

from openlink.cli import app


@pytest.mark.long
def test_bench_media_prints_its_figures_as_one_json_line_last() -> None:
    result = CliRunner().invoke(
        app,
        [
            *("bench", "media", "--thumbs", "1", "--seconds", "0.5", "--height", "144"),
            *("--members", "20", "--messages", "40", "--senders", "2", "--photos-per-s", "5"),
        ],
    )
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    figures = orjson.loads(last)
    assert figures["thumb_p50_ms"] > 0 and figures["thumb_p99_ms"] >= figures["thumb_p50_ms"]
    assert figures["transcode_x_realtime"] > 0
    assert figures["transcode_output"] == "256x144"
    # Chat fan-out with uploads and a transcode running, over the same without.
    assert figures["fanout_ratio"] > 0
    assert figures["fanout_lost"] == [0, 0]
    load = figures["fanout_media_load"]
    assert load["video_uploads"] == 1 and load["photo_uploads"] >= 0
