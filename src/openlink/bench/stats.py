"""Latency figures: exact percentiles of a sorted list, and histograms that merge exactly.

A load generator that runs as several processes cannot sort one list of every latency;
each process records into a :class:`Latencies` (an HdrHistogram in microseconds, three
significant digits), sends it encoded, and the parent adds them up. Adding histograms
loses nothing: the merged percentiles are those of one histogram fed every value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from hdrh.histogram import HdrHistogram

#: The largest latency a histogram holds (longer ones are clamped): 10 minutes, in µs.
HIGHEST_US = 600_000_000
SIGNIFICANT_DIGITS = 3


def percentile_ms(sorted_values: Sequence[float], p: float, digits: int = 3) -> float | None:
    """The ``p``-th percentile (nearest rank) of seconds sorted ascending, in ms."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return round(sorted_values[rank - 1] * 1000.0, digits)


class Latencies:
    """Latencies in seconds, kept as a histogram of microseconds."""

    __slots__ = ("hist",)

    def __init__(self, hist: HdrHistogram | None = None) -> None:
        self.hist = hist or HdrHistogram(1, HIGHEST_US, SIGNIFICANT_DIGITS)

    def record(self, seconds: Iterable[float]) -> None:
        # Counted first: recording one value at a time is slow in pure Python, and a run
        # has a few thousand distinct microsecond values among hundreds of thousands.
        counts = Counter(min(HIGHEST_US, max(1, round(s * 1e6))) for s in seconds)
        for us, n in counts.items():
            self.hist.record_value(us, n)

    def add(self, other: Latencies) -> None:
        self.hist.add(other.hist)

    @property
    def count(self) -> int:
        return int(self.hist.get_total_count())

    def encode(self) -> bytes:
        return bytes(self.hist.encode())

    @classmethod
    def decode(cls, data: bytes) -> Latencies:
        return cls(HdrHistogram.decode(data))

    def percentile_ms(self, p: float) -> float | None:
        """As :func:`percentile_ms`, to the histogram's precision (0.1 %)."""
        if not self.count:
            return None
        us = self.hist.get_max_value() if p >= 100 else self.hist.get_value_at_percentile(p)
        return round(us / 1000.0, 3)
