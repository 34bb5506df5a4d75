"""Automod rules: the host and co-hosts with the ``automod`` right manage them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from openlink.actions import automod
from openlink.domain.automod import AutomodAction, RuleKind, rule_view
from openlink.domain.text import ID_PATTERN
from openlink.http.deps import CtxDep, RoomId, UserDep
from openlink.http.schemas import Body

router = APIRouter(prefix="/api/rooms/{room_id}/automod", tags=["automod"])

RuleId = Annotated[str, Path(pattern=ID_PATTERN, description="An automod rule id.")]
# Edge caps, above the rules' real limits (checked by the action with their own codes).
Pattern = Annotated[str, Field(max_length=1_000)]
Patterns = Annotated[list[Pattern], Field(max_length=10_000)]
Exempt = list[Literal["host", "cohost"]]


class RuleIn(Body):
    name: str = Field(max_length=200)
    kind: RuleKind
    patterns: Patterns
    action: AutomodAction
    timeout_s: int | None = Field(None, ge=0, le=10**9)
    exempt_roles: Exempt | None = Field(None, max_length=2)
    enabled: bool = True


class RulePatch(Body):
    name: str | None = Field(None, max_length=200)
    patterns: Patterns | None = None
    action: AutomodAction | None = None
    timeout_s: int | None = Field(None, ge=0, le=10**9)
    exempt_roles: Exempt | None = Field(None, max_length=2)
    enabled: bool | None = None


@router.get("/rules", summary="The room's automod rules, oldest first")
async def list_rules(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return {"rules": [rule_view(r) for r in await automod.access_rules(ctx, user, room_id)]}


@router.post("/rules", status_code=201, summary="Add an automod rule")
async def create_rule(ctx: CtxDep, user: UserDep, room_id: RoomId, body: RuleIn) -> dict[str, Any]:
    rule = await automod.do_create_rule(ctx, user, room_id, **body.model_dump())
    return rule_view(rule)


@router.patch("/rules/{rule_id}", summary="Change an automod rule")
async def patch_rule(
    ctx: CtxDep, user: UserDep, room_id: RoomId, rule_id: RuleId, body: RulePatch
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    return rule_view(await automod.do_update_rule(ctx, user, room_id, rule_id, **changes))


@router.delete("/rules/{rule_id}", status_code=204, summary="Remove an automod rule")
async def delete_rule(ctx: CtxDep, user: UserDep, room_id: RoomId, rule_id: RuleId) -> Response:
    await automod.do_delete_rule(ctx, user, room_id, rule_id)
    return Response(status_code=204)
