"""Throttles on the account doors: failed sign-ins, sign-ups per client address, and
password changes. Policy and reasons: decision 0009.

A limit on failures is only a limit if attempts made at the same time cannot all slip
under it, so each attempt *reserves* its hits before the password is verified (the
limiter's hit is atomic) and gives them back (:meth:`RateLimiter.refund`) when the
password was right. A refused attempt costs no argon2 time and counts nothing.

Failed sign-ins are counted per client address, per (address, account) pair, and per
account by the number of *addresses* that failed on it (each address once per window).
The first two throttle whoever guesses from an address. The per-account count stops
guessing spread over many addresses; one address cannot run it up, and since anyone with
enough addresses can, it never applies to a known device (one that signed in to the
account before, see ``domain/devices.py``). Unknown usernames are counted like real
ones, so a refusal does not reveal whether an account exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from openlink.actions.context import Context
from openlink.errors import RateLimited
from openlink.ratelimit import Rate

Count = tuple[str, Rate]


class Refused(Exception):
    """A count of :func:`reserve` was used up: its key, and the seconds until it has room."""

    def __init__(self, key: str, wait: float) -> None:
        self.key, self.wait = key, wait


async def reserve(ctx: Context, counts: Sequence[Count], taken: list[Count]) -> None:
    """Hit each count in turn, adding it to ``taken``. At the first refusal, give back
    everything in ``taken`` and raise :class:`Refused` with that count's key."""
    for key, rate in counts:
        wait = await ctx.limiter.hit(key, rate)
        if wait is not None:
            await give_back(ctx, taken)
            raise Refused(key, wait)
        taken.append((key, rate))


async def give_back(ctx: Context, taken: Sequence[Count]) -> None:
    for key, rate in taken:
        await ctx.limiter.refund(key, rate)


# -- sign-in -------------------------------------------------------------------------


def _pair(ctx: Context, username: str, address: str) -> Count:
    s = ctx.settings
    return f"sign-in:pair:{address}:{username}", Rate(s.login_failures_per_pair, s.login_window_s)


async def begin_sign_in(
    ctx: Context, username: str, address: str | None, *, known_device: bool = False
) -> list[Count]:
    """Reserve one failure on every count that applies to this attempt; 429 while the
    account (unless the device is known), the pair or the address has used up its
    failures. Returns what was reserved, for :func:`sign_in_succeeded`."""
    s = ctx.settings
    window = s.login_window_s
    taken: list[Count] = []
    try:
        if not known_device:
            await _reserve_account(ctx, username, address, taken)
        if address:
            pair = [_pair(ctx, username, address)] if s.login_failures_per_pair else []
            limit = (f"sign-in:address:{address}", Rate(s.login_failures_per_address, window))
            await reserve(ctx, [*pair, limit], taken)
    except Refused as refused:
        raise RateLimited(
            "Too many failed sign-ins. Try again later.",
            retry_after_s=refused.wait,
            code="too_many_sign_in_attempts",
        ) from None
    return taken


async def _reserve_account(
    ctx: Context, username: str, address: str | None, taken: list[Count]
) -> None:
    """The account counts addresses, not guesses: an address already counted in the
    window adds nothing (its pair limit holds it), a new one takes a place."""
    s = ctx.settings
    account = (f"sign-in:account:{username}", Rate(s.login_addresses_per_account, s.login_window_s))
    if not address:
        await reserve(ctx, [account], taken)
        return
    seen = (f"sign-in:seen:{address}:{username}", Rate(1, s.login_window_s))
    if await ctx.limiter.hit(*seen) is None:
        taken.append(seen)
        await reserve(ctx, [account], taken)


async def sign_in_succeeded(
    ctx: Context, username: str, address: str | None, taken: Sequence[Count]
) -> None:
    """The password was right: nothing this attempt reserved was a failure, and the pair
    forgets its earlier failures too. The account's and the address's earlier failures
    stay, or each sign-in of the owner would hand a distributed guesser a fresh
    allowance, and one known account would let an address keep guessing at the others."""
    pair = _pair(ctx, username, address) if address else None
    await give_back(ctx, [count for count in taken if count != pair])
    if pair is not None and ctx.settings.login_failures_per_pair:
        await ctx.limiter.reset(*pair)


# -- sign-up -------------------------------------------------------------------------


async def check_sign_up_allowed(ctx: Context, address: str | None) -> None:
    """Count a sign-up attempt from ``address``; 429 once its limit is used up."""
    s = ctx.settings
    if not address or not s.signups_per_address:
        return
    rate = Rate(s.signups_per_address, s.signup_window_s)
    wait = await ctx.limiter.hit(f"sign-up:address:{address}", rate)
    if wait is not None:
        raise RateLimited(
            "Too many new accounts from this address. Try again later.",
            retry_after_s=wait,
            code="too_many_sign_ups",
        )


# -- password change -----------------------------------------------------------------


def _session_failures(ctx: Context, token_hash: str) -> Count:
    s = ctx.settings
    return f"password:session:{token_hash}", Rate(s.password_change_failures, s.password_window_s)


async def begin_password_change(ctx: Context, user_id: int, token_hash: str) -> None:
    """Reserve a wrong current password for this session (token) and a change for the
    account. Wrong passwords count per session: a stolen token must not become a way to
    guess the password behind it, nor a way to keep the owner's own session from
    changing it. Changes, right or wrong, count per account, each costing argon2."""
    s = ctx.settings
    changes = (
        f"password:account:{user_id}",
        Rate(s.password_changes_per_account, s.password_window_s),
    )
    taken: list[Count] = []
    try:
        await reserve(ctx, [_session_failures(ctx, token_hash)], taken)
        if s.password_changes_per_account:
            await reserve(ctx, [changes], taken)
    except Refused as refused:
        if refused.key == changes[0]:
            raise RateLimited(
                "This account's password has been changed many times lately. Try again later.",
                retry_after_s=refused.wait,
                code="too_many_password_changes",
            ) from None
        raise RateLimited(
            "Too many wrong passwords. Try again later.",
            retry_after_s=refused.wait,
            code="too_many_password_attempts",
        ) from None


async def password_change_succeeded(ctx: Context, token_hash: str) -> None:
    """The current password was right: the session's wrong ones are forgiven."""
    await ctx.limiter.reset(*_session_failures(ctx, token_hash))
