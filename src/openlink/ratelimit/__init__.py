"""Rate limits: counters that must hold across every server process.

One contract (:class:`~openlink.ratelimit.base.RateLimiter`) over the ``limits`` library's
storage: in memory for one process, Redis when several processes share the limits.
"""

from __future__ import annotations

from openlink.ratelimit.base import Rate, RateLimiter
from openlink.ratelimit.limits_backend import LimitsRateLimiter


def create(url: str) -> RateLimiter:
    """The limiter for ``url``: ``memory://`` or ``redis://host:port/db``."""
    return LimitsRateLimiter(url)


__all__ = ["LimitsRateLimiter", "Rate", "RateLimiter", "create"]
