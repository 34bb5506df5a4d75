"""Reading interests: autocomplete over every alias, and one interest."""

from __future__ import annotations

from typing import Any

from openlink.actions.context import Context
from openlink.domain.interests import interest_view, normalize_query
from openlink.errors import NotFound
from openlink.store import interests as store


async def autocomplete(ctx: Context, q: str, *, limit: int) -> list[dict[str, Any]]:
    """Interests with a name or alias containing ``q`` (those starting with it first),
    each with all its aliases; with an empty ``q``, interests by name."""
    async with ctx.db.read() as conn:
        ids = await store.search(conn, normalize_query(q), limit)
        return [interest_view(i) for i in await store.get_interests(conn, ids)]


async def get_interest(ctx: Context, interest_id: str) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        interest = await store.get_interest(conn, interest_id)
    if interest is None:
        raise NotFound("No interest has this id.", code="interest_not_found")
    return interest_view(interest)
