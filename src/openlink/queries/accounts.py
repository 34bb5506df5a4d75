"""Reading an account's own things, and what its open sockets may still carry."""

from __future__ import annotations

from dataclasses import dataclass

from openlink.actions.context import Context
from openlink.domain.accounts import OpenProfile, User, is_suspended
from openlink.store import accounts as store
from openlink.store import members as members_store


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """An account's standing, read for its open sockets after its ``access_rev`` moved."""

    #: Of the token hashes asked about, those still valid (not revoked, not expired).
    live_tokens: frozenset[str]
    suspended: bool
    #: The rooms the account is a member of, with its member id in each.
    rooms: dict[str, str]


async def my_open_profiles(ctx: Context, user: User) -> list[OpenProfile]:
    async with ctx.db.read() as conn:
        return await store.list_open_profiles(conn, user.id)


async def access_revs(ctx: Context, user_ids: list[int]) -> dict[int, int]:
    async with ctx.db.read() as conn:
        return await store.access_revs(conn, user_ids)


async def account_access(
    ctx: Context, user_id: int, token_hashes: list[str]
) -> AccountAccess | None:
    """None when the account is gone."""
    now = ctx.now()
    async with ctx.db.read() as conn:
        user = await store.get_user(conn, user_id)
        if user is None:
            return None
        live = await store.live_token_hashes(conn, user_id, token_hashes, now)
        rooms = await members_store.memberships(conn, user_id)
    return AccountAccess(
        live_tokens=frozenset(live),
        suspended=is_suspended(user, now),
        rooms={room_id: m.id for room_id, m in rooms.items()},
    )
