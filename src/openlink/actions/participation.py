"""Participation codes: a joiner's code checked against the room's, with guessing throttled.

Each wrong code counts, in the room, against the account, the client address and the
room's code itself. Every attempt reserves its place on the three counts before the code
is verified and gives it back when the code was right (``throttle.reserve``), so guesses
sent at once cannot overshoot a limit, and a refused guess costs no argon2 time. Once
the room's own count is used up the code is locked for every newcomer, by whatever door:
a link is no proof of an invitation (a public room shows it to anyone), so exempting
link holders would exempt the guesser. Members coming back never need the code and are
not affected.

Counter keys carry a fingerprint of the code's hash, which is salted anew whenever the host
sets a code: a new code starts every count afresh, which is how a host lifts a lock.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from openlink.actions import throttle
from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.events import iso
from openlink.domain.permissions import Action
from openlink.errors import Forbidden, RateLimited
from openlink.queries.access import access_room_for
from openlink.ratelimit import Rate
from openlink.store import rooms as rooms_store


def _prefix(room_id: str, code_hash: str) -> str:
    return f"code:{room_id}:{hashlib.sha256(code_hash.encode()).hexdigest()[:16]}"


def _room_limit(ctx: Context, prefix: str) -> tuple[str, Rate, str, str] | None:
    s = ctx.settings
    if not s.code_failures_per_room:
        return None
    return (
        f"{prefix}:room",
        Rate(s.code_failures_per_room, s.code_window_s),
        "code_locked",
        "This room's participation code is locked after many wrong guesses; try again later.",
    )


def _limits(
    ctx: Context, room_id: str, code_hash: str, user_id: int, address: str | None
) -> list[tuple[str, Rate, str, str]]:
    """(key, rate, error code, message) for every count a wrong code adds to."""
    s = ctx.settings
    prefix = _prefix(room_id, code_hash)
    message = "Too many wrong participation codes; try again later."
    out = []
    if s.code_failures_per_account:
        rate = Rate(s.code_failures_per_account, s.code_window_s)
        out.append((f"{prefix}:account:{user_id}", rate, "too_many_code_attempts", message))
    if s.code_failures_per_address and address:
        rate = Rate(s.code_failures_per_address, s.code_window_s)
        out.append((f"{prefix}:address:{address}", rate, "too_many_code_attempts", message))
    room = _room_limit(ctx, prefix)
    return [*out, room] if room else out


async def check_participation_code(
    ctx: Context,
    room_id: str,
    code_hash: str,
    code: str | None,
    *,
    user_id: int,
    address: str | None,
) -> None:
    if not code:
        raise Forbidden("This room asks for a participation code.", code="code_required")
    limits = _limits(ctx, room_id, code_hash, user_id, address)
    taken: list[throttle.Count] = []
    try:
        await throttle.reserve(ctx, [(key, rate) for key, rate, _, _ in limits], taken)
    except throttle.Refused as refused:
        _key, _rate, error, message = next(x for x in limits if x[0] == refused.key)
        raise RateLimited(message, code=error, retry_after_s=refused.wait) from None
    try:
        await asyncio.to_thread(ctx.passwords.verify, code_hash, code.strip())
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Forbidden("Wrong participation code.", code="wrong_code") from None
    await throttle.give_back(ctx, taken)


async def code_status(ctx: Context, user: User, room_id: str) -> dict[str, Any]:
    """For moderators with the settings right: whether the room has a code and, when
    guessing locked it, until when."""
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.EDIT_ROOM)
        code_hash = await rooms_store.get_code_hash(conn, room.id)
    locked_until = None
    limit = None if code_hash is None else _room_limit(ctx, _prefix(room.id, code_hash))
    if limit is not None:
        wait = await ctx.limiter.peek(limit[0], limit[1])
        if wait is not None:
            locked_until = iso(ctx.now() + timedelta(seconds=wait))
    return {"room": room.id, "has_code": code_hash is not None, "locked_until": locked_until}
