"""Throttles on the account doors: failed sign-ins, sign-ups per client address, and
wrong current passwords on a password change.

Failed sign-ins are counted per client address, per (address, account) pair and per
account. The first two throttle whoever is guessing from an address. The per-account
count stops guessing spread over many addresses, but anyone can run it up for any
account, so it never applies to a known device (one that signed in to the account
before, see ``domain/devices.py``): the owner keeps signing in from their own browser
while somebody else hammers the account. Unknown usernames are counted like real ones,
so a refusal does not reveal whether an account exists. The counts are peeked before the
password is verified: once a limit is reached, further guesses cost the server no argon2
time until the window moves on. Policy and reasons: decision 0009.
"""

from __future__ import annotations

from openlink.actions.context import Context
from openlink.errors import RateLimited
from openlink.ratelimit import Rate


def _sign_in_limits(
    ctx: Context, username: str, address: str | None, *, known_device: bool = False
) -> list[tuple[str, Rate]]:
    s = ctx.settings
    window = s.login_window_s
    limits = []
    if not known_device:
        limits.append((f"sign-in:account:{username}", Rate(s.login_failures_per_account, window)))
    if address:
        limits.append((f"sign-in:address:{address}", Rate(s.login_failures_per_address, window)))
        if s.login_failures_per_pair:
            limits.append(_pair_limit(ctx, username, address))
    return limits


def _pair_limit(ctx: Context, username: str, address: str) -> tuple[str, Rate]:
    s = ctx.settings
    return f"sign-in:pair:{address}:{username}", Rate(s.login_failures_per_pair, s.login_window_s)


async def check_sign_in_allowed(
    ctx: Context, username: str, address: str | None, *, known_device: bool = False
) -> None:
    """Refuse with 429 while the address, the pair or (unless the device is known) the
    account has used up its failures."""
    waits = []
    for key, rate in _sign_in_limits(ctx, username, address, known_device=known_device):
        wait = await ctx.limiter.peek(key, rate)
        if wait is not None:
            waits.append(wait)
    if waits:
        raise RateLimited(
            "Too many failed sign-ins. Try again later.",
            retry_after_s=max(waits),
            code="too_many_sign_in_attempts",
        )


async def count_sign_in_failure(ctx: Context, username: str, address: str | None) -> None:
    for key, rate in _sign_in_limits(ctx, username, address):
        await ctx.limiter.hit(key, rate)


async def clear_sign_in_failures(ctx: Context, username: str, address: str | None) -> None:
    """After a successful sign-in: the pair's failures are forgiven. The account's are
    not, or every sign-in of the owner would hand a distributed guesser a fresh
    allowance; the address's are not, or one known account would let an address guess at
    every other."""
    if address and ctx.settings.login_failures_per_pair:
        await ctx.limiter.reset(*_pair_limit(ctx, username, address))


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


def _password_limit(ctx: Context, user_id: int) -> tuple[str, Rate]:
    s = ctx.settings
    return f"password:account:{user_id}", Rate(s.password_change_failures, s.password_window_s)


async def check_password_change_allowed(ctx: Context, user_id: int) -> None:
    """Refuse with 429 while the account has used up its wrong current passwords: a
    stolen token must not become a way to guess the password behind it."""
    wait = await ctx.limiter.peek(*_password_limit(ctx, user_id))
    if wait is not None:
        raise RateLimited(
            "Too many wrong passwords. Try again later.",
            retry_after_s=wait,
            code="too_many_password_attempts",
        )


async def count_password_change_failure(ctx: Context, user_id: int) -> None:
    await ctx.limiter.hit(*_password_limit(ctx, user_id))


async def clear_password_change_failures(ctx: Context, user_id: int) -> None:
    await ctx.limiter.reset(*_password_limit(ctx, user_id))
