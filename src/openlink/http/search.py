"""Room search: keywords and multilingual meaning."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from openlink.http.deps import AddressDep, CtxDep, MaybeUserDep
from openlink.queries import search as queries

router = APIRouter(tags=["search"])


@router.get("/api/search", summary="Search public rooms by keyword and meaning")
async def search_rooms(
    ctx: CtxDep,
    user: MaybeUserDep,
    address: AddressDep,
    q: Annotated[str, Query(description="Words in any language; empty lists rooms by size.")] = "",
    tag: Annotated[str | None, Query(description="Only rooms with this tag.")] = None,
    language: Annotated[str | None, Query(description="Only rooms in this language.")] = None,
    min_members: Annotated[int | None, Query()] = None,
    max_members: Annotated[int | None, Query()] = None,
    limit: Annotated[int, Query(description="1 to 50.")] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> dict[str, Any]:
    return await queries.search(
        ctx,
        user,
        q=q,
        tag=tag,
        language=language,
        min_members=min_members,
        max_members=max_members,
        limit=limit,
        cursor=cursor,
        address=address,
    )
