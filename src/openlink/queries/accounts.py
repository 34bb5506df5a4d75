"""Reading an account's own things."""

from __future__ import annotations

from openlink.actions.context import Context
from openlink.domain.accounts import OpenProfile, User
from openlink.store import accounts as store


async def my_open_profiles(ctx: Context, user: User) -> list[OpenProfile]:
    async with ctx.db.read() as conn:
        return await store.list_open_profiles(conn, user.id)
