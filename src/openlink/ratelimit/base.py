"""The rate-limit contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``amount`` hits in any window of ``per_s`` seconds (a moving window)."""

    amount: int
    per_s: int


class RateLimiter(Protocol):
    name: str

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> float | None:
        """Count ``cost`` hits for ``key`` under ``rate`` if they fit.

        Returns ``None`` when they were counted, or the seconds until they would fit
        (nothing is counted then). Counters are shared by every process that uses the
        same storage, and expire on their own.
        """
        ...

    async def peek(self, key: str, rate: Rate) -> float | None:
        """What :meth:`hit` would answer for one hit, without counting it."""
        ...

    async def refund(self, key: str, rate: Rate, cost: int = 1) -> None:
        """Take back ``cost`` of the hits counted for ``key`` under ``rate``, the latest
        ones: for a hit that reserved room for an attempt before its outcome was known
        (a password or code being verified) when the outcome is not what is limited.
        Hit first and refund after is what makes a limit on failures hold for attempts
        made at the same time. Taking the latest hits back frees the window at most as
        much earlier as the attempts were apart; refunding nothing is a no-op."""
        ...

    async def reset(self, key: str, rate: Rate) -> None:
        """Forget the hits counted for ``key`` under ``rate``."""
        ...

    async def stop(self) -> None:
        """Release connections."""
        ...
