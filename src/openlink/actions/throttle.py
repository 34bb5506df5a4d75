"""Throttles on the account doors: failed sign-ins per account and per client address,
sign-ups per client address, and wrong current passwords on a password change.

Failed sign-ins are counted for unknown usernames too, so a refusal does not reveal
whether an account exists. The check runs before the password is verified: once a limit
is reached, further guesses cost the server no argon2 time until the window moves on.
"""

from __future__ import annotations

from openlink.actions.context import Context
from openlink.errors import RateLimited
from openlink.ratelimit import Rate


def _sign_in_limits(ctx: Context, username: str, address: str | None) -> list[tuple[str, Rate]]:
    s = ctx.settings
    limits = [(f"sign-in:account:{username}", Rate(s.login_failures_per_account, s.login_window_s))]
    if address:
        limits.append(
            (f"sign-in:address:{address}", Rate(s.login_failures_per_address, s.login_window_s))
        )
    return limits


async def check_sign_in_allowed(ctx: Context, username: str, address: str | None) -> None:
    """Refuse with 429 while the account or the address has used up its failures."""
    waits = []
    for key, rate in _sign_in_limits(ctx, username, address):
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


async def clear_sign_in_failures(ctx: Context, username: str) -> None:
    """After a successful sign-in: the account's own failures are forgiven (the address's
    are not, or one known account would let an address guess at every other)."""
    key, rate = _sign_in_limits(ctx, username, None)[0]
    await ctx.limiter.reset(key, rate)


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
