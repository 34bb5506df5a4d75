"""Flow control on the send path: time-outs, probation, slow mode and flood limits.

Counters live in the shared rate limiter (``ctx.limiter``), so that they hold across
every server process once it is backed by Redis. Every limit is checked before any is
counted: a message refused by one limit does not use up another's allowance.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from openlink.actions.context import Context
from openlink.domain.events import iso
from openlink.domain.governance import RoomPolicy, has_link, on_probation
from openlink.domain.members import Member
from openlink.domain.permissions import Role
from openlink.errors import Forbidden, InvalidInput, RateLimited
from openlink.ratelimit import Rate


def check_not_timed_out(member: Member, now: datetime) -> None:
    if member.timed_out(now):
        assert member.timed_out_until is not None
        raise Forbidden(
            "You are timed out in this room: you can read, not write, until it ends.",
            code="timed_out",
            until=iso(member.timed_out_until),
            retry_after_s=round((member.timed_out_until - now).total_seconds(), 3),
        )


def check_content(
    ctx: Context, member: Member, policy: RoomPolicy, body: str, mentions: list[str], now: datetime
) -> bool:
    """Refuse what the member may not say now; returns whether they are on probation."""
    check_not_timed_out(member, now)
    if len(mentions) > ctx.settings.max_mentions:
        raise InvalidInput(
            f"At most {ctx.settings.max_mentions} mentions per message.",
            code="too_many_mentions",
            max_mentions=ctx.settings.max_mentions,
        )
    probation = member.role is Role.MEMBER and on_probation(
        member.joined_at, policy.probation_s, now
    )
    if probation and has_link(body):
        allowed_at = member.joined_at + timedelta(seconds=policy.probation_s)
        wait_s = (allowed_at - now).total_seconds()
        raise Forbidden(
            f"New members can post links {in_words(wait_s)}.",
            code="probation_no_links",
            probation_s=policy.probation_s,
            allowed_at=iso(allowed_at),
            retry_after_s=round(wait_s, 3),
        )
    return probation


def check_may_share(member: Member, policy: RoomPolicy, now: datetime) -> None:
    """Refuse a file shared in the room (an upload to it, a clip posted in it) by a
    member timed out or still on probation."""
    check_not_timed_out(member, now)
    if member.role is Role.MEMBER and on_probation(member.joined_at, policy.probation_s, now):
        wait_s = (member.joined_at + timedelta(seconds=policy.probation_s) - now).total_seconds()
        raise Forbidden(
            f"New members can share files {in_words(wait_s)}.",
            code="probation_no_media",
            retry_after_s=round(wait_s, 3),
        )


def in_words(seconds: float) -> str:
    """``in 9 minutes``: the wait a person reads, rounded up so it is never too short."""
    for unit, size, up_to in _UNITS:
        if seconds <= up_to:
            n = max(1, math.ceil(seconds / size))
            return f"in {n} {unit}{'' if n == 1 else 's'}"
    raise AssertionError("unreachable")


_UNITS = (
    ("second", 1, 60),
    ("minute", 60, 3_600),
    ("hour", 3_600, 2 * 86_400),
    ("day", 86_400, math.inf),
)


def _limits(
    ctx: Context, room_id: str, member: Member, policy: RoomPolicy, probation: bool, edit: bool
) -> list[tuple[str, Rate, str, str]]:
    """(key, rate, error code, message) for every limit this send or edit counts against.

    Edits share the flood limits with sends. Slow mode counts them apart, one per interval,
    so that fixing a typo right after sending is never refused, while a conversation held
    by editing one message goes no faster than slow mode allows."""
    s = ctx.settings
    out: list[tuple[str, Rate, str, str]] = []
    if policy.slow_mode_s and member.role is Role.MEMBER:
        what = "edit" if edit else "message"
        out.append(
            (
                f"slow{'edit' if edit else ''}:{room_id}:{member.id}",
                Rate(1, policy.slow_mode_s),
                "slow_mode",
                f"Slow mode: one {what} every {policy.slow_mode_s} seconds.",
            )
        )
    per_member = s.flood_probation_messages if probation else s.flood_member_messages
    if per_member:
        out.append(
            (
                f"flood:{room_id}:{member.id}",
                Rate(per_member, s.flood_member_window_s),
                "rate_limited",
                "You are sending messages too fast.",
            )
        )
    if s.flood_room_messages:
        out.append(
            (
                f"room:{room_id}",
                Rate(s.flood_room_messages, s.flood_room_window_s),
                "room_rate_limited",
                "This room is getting too many messages right now.",
            )
        )
    return out


async def check_and_count(
    ctx: Context,
    room_id: str,
    member: Member,
    policy: RoomPolicy,
    probation: bool,
    *,
    edit: bool = False,
) -> None:
    """Refuse with 429 (and when to retry) if any limit is spent; otherwise count the send
    (or the edit)."""
    limits = _limits(ctx, room_id, member, policy, probation, edit)
    for key, rate, code, message in limits:
        wait = await ctx.limiter.peek(key, rate)
        if wait is not None:
            raise RateLimited(message, code=code, retry_after_s=wait)
    for key, rate, code, message in limits:
        wait = await ctx.limiter.hit(key, rate)
        if wait is not None:  # another process took the last slot in between
            raise RateLimited(message, code=code, retry_after_s=wait)
