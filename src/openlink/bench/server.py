"""Run the ``openlink`` command in a subprocess: ``python -m openlink.bench.server serve ...``.

The benchmark starts the server this way (with ``sys.executable``) so that it measures the
exact interpreter and package it runs in, whatever is on ``PATH``.

With ``OPENLINK_BENCH_CPROFILE=out.prof`` the main thread (the event loop) is profiled
with cProfile on thread CPU time between ``SIGUSR1`` (start) and ``SIGUSR2`` (stop and
write ``out.prof``): ``openlink bench fanout`` sends them around its send phase. Expect it
to run a few times slower; compare two runs' profiles rather than read one's totals.
"""

from __future__ import annotations

import os
import sys

from openlink.cli import main


def _profiled(path: str) -> None:
    import cProfile
    import signal
    import time

    profiler = cProfile.Profile(time.thread_time)

    def stop(_signum: int, _frame: object) -> None:
        profiler.disable()
        profiler.dump_stats(path)

    signal.signal(signal.SIGUSR1, lambda _signum, _frame: profiler.enable())
    signal.signal(signal.SIGUSR2, stop)
    main()


if __name__ == "__main__":
    sys.argv[0] = "openlink"
    out = os.environ.get("OPENLINK_BENCH_CPROFILE")
    if out and sys.argv[1:2] == ["serve"]:
        _profiled(out)
    else:
        main()
