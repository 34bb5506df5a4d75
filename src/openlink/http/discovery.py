"""Interests, trending rooms and recommendations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from openlink.actions import interests
from openlink.domain.interests import interest_view
from openlink.domain.rooms import TagCategory
from openlink.domain.text import ID_PATTERN
from openlink.http.deps import AddressDep, CtxDep, MaybeUserDep, UserDep
from openlink.http.schemas import Body
from openlink.queries import discovery
from openlink.queries import interests as queries

router = APIRouter(tags=["discovery"])

InterestId = Annotated[str, Path(pattern=ID_PATTERN, description="An interest id.")]
Limit = Annotated[int, Query(ge=1, le=50)]


class AliasIn(Body):
    alias: str = Field(max_length=80)
    language: str | None = Field(None, max_length=35)


class InterestIn(Body):
    name: str = Field(max_length=80)
    category: TagCategory
    aliases: list[AliasIn] = Field(default_factory=list, max_length=100)


@router.get("/api/interests", summary="Interests whose name or an alias contains q")
async def list_interests(
    ctx: CtxDep, q: Annotated[str, Query(max_length=80)] = "", limit: Limit = 10
) -> dict[str, Any]:
    return {"interests": await queries.autocomplete(ctx, q, limit=limit)}


@router.get("/api/interests/{interest_id}", summary="One interest with all its aliases")
async def get_interest(ctx: CtxDep, interest_id: InterestId) -> dict[str, Any]:
    return await queries.get_interest(ctx, interest_id)


@router.post("/api/admin/interests", status_code=201, summary="Create an interest (operator)")
async def create_interest(ctx: CtxDep, user: UserDep, body: InterestIn) -> dict[str, Any]:
    interest = await interests.do_create_interest(
        ctx,
        user,
        name=body.name,
        category=body.category,
        aliases=[(a.alias, a.language) for a in body.aliases],
    )
    return interest_view(interest)


@router.post(
    "/api/admin/interests/{interest_id}/aliases",
    status_code=201,
    summary="Add an alias to an interest (operator); 200 if it already had it",
)
async def add_alias(
    ctx: CtxDep, user: UserDep, interest_id: InterestId, body: AliasIn, response: Response
) -> dict[str, Any]:
    interest, new = await interests.do_add_alias(
        ctx, user, interest_id, alias=body.alias, language=body.language
    )
    if not new:
        response.status_code = 200
    return interest_view(interest)


@router.get("/api/discover/trending", summary="Rooms with the most people active lately")
async def trending(
    ctx: CtxDep,
    user: MaybeUserDep,
    address: AddressDep,
    language: Annotated[str | None, Query(max_length=35)] = None,
    limit: Limit = 20,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    return await discovery.trending(
        ctx, user, language=language, limit=limit, cursor=cursor, address=address
    )


@router.get(
    "/api/discover/recommended",
    summary="Rooms for you, with the reasons (for visitors: the popular rooms)",
)
async def recommended(
    ctx: CtxDep,
    user: MaybeUserDep,
    address: AddressDep,
    language: Annotated[
        str | None, Query(max_length=35, description="Visitors only: rooms in it first.")
    ] = None,
    limit: Limit = 20,
) -> dict[str, Any]:
    return await discovery.recommended(ctx, user, language=language, limit=limit, address=address)
