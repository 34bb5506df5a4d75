"""``openlink bench fanout`` end to end on a small run, and its figures merging exactly."""

from __future__ import annotations

import random

import pytest

from openlink.bench.fanout import FanoutOptions, run_fanout
from openlink.bench.stats import Latencies


def test_histograms_merged_from_several_processes_equal_one_fed_everything() -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(-3.5, 1.0) for _ in range(20_000)]
    whole = Latencies()
    whole.record(values)
    merged = Latencies()
    for k in range(3):  # three processes' shares, each sent encoded
        part = Latencies()
        part.record(values[k::3])
        merged.add(Latencies.decode(part.encode()))
    assert merged.count == whole.count == len(values)
    for p in (50, 90, 99, 99.9, 100):
        assert merged.percentile_ms(p) == whole.percentile_ms(p)
    exact_p99 = sorted(values)[int(0.99 * len(values)) - 1] * 1000
    assert merged.percentile_ms(99) == pytest.approx(exact_p99, rel=2e-3)


@pytest.mark.timeout(240)
@pytest.mark.long
def test_members_over_two_processes_in_several_rooms_get_every_message_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    opts = FanoutOptions(
        members=12,
        senders=3,
        messages=9,
        pin=False,
        settle_s=0.0,
        rooms_per_member=3,
        client_procs=2,
        setup_concurrency=4,
        connect_concurrency=4,
    )
    result = run_fanout(opts)
    assert result["client_procs"] == 2 and result["side_rooms"] == 2
    assert result["deliveries"] == result["expected"] == 12 * 9
    assert result["lost"] == 0 and result["duplicates"] == 0 and not result["timed_out"]
    assert result["send_errors"] == 0 and "foreign_deliveries" not in result
    assert result["p99_ms"] is not None and result["ack_p99_ms"] is not None
    # Every member connected once and resumed once, the server measured each time (the
    # process's CPU counts in 10 ms ticks: nine quick resumes can read as 0.0).
    assert result["connect_server_cpu_s"] > 0 and result["resume_server_cpu_s"] >= 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("{")
