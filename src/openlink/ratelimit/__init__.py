"""Rate limits: counters that must hold across every server process.

One contract (:class:`~openlink.ratelimit.base.RateLimiter`) over the ``limits`` library's
storage: in memory for one process, Redis when several processes share the limits.
"""

from __future__ import annotations

from openlink.clock import Clock
from openlink.ratelimit.base import Rate, RateLimiter
from openlink.ratelimit.limits_backend import LimitsRateLimiter


def create(
    url: str,
    *,
    connect_timeout_s: float = 1.0,
    socket_timeout_s: float = 0.5,
    retry_after_s: float = 2.0,
    prefix: str = "",
    clock: Clock | None = None,
) -> RateLimiter:
    """The limiter for ``url``: ``memory://`` or ``redis://host:port/db``; the timeouts
    bound each Redis call (see :class:`LimitsRateLimiter`); ``prefix`` namespaces the
    Redis keys; windows are measured on ``clock`` (the machine's by default)."""
    return LimitsRateLimiter(
        url,
        connect_timeout_s=connect_timeout_s,
        socket_timeout_s=socket_timeout_s,
        retry_after_s=retry_after_s,
        prefix=prefix,
        clock=clock,
    )


__all__ = ["LimitsRateLimiter", "Rate", "RateLimiter", "create"]
