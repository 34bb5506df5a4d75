"""The host bot: welcome message, keyword answers, scheduled notices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import Field

from openlink.actions import bot
from openlink.domain.text import ID_PATTERN
from openlink.http.deps import CtxDep, RoomId, UserDep
from openlink.http.schemas import Body

router = APIRouter(tags=["bot"])

ScheduleId = Annotated[str, Path(pattern=ID_PATTERN, description="A scheduled notice's id.")]


# Edge caps only: the rules (domain/bot.py) give the real limits their own error codes.
class AnswerIn(Body):
    keywords: list[Annotated[str, Field(max_length=400)]] = Field(max_length=100)
    answer: str = Field(max_length=10_000)


class BotIn(Body):
    welcome: str | None = Field(None, max_length=10_000)
    answers: list[AnswerIn] = Field(default_factory=list, max_length=100)


class ScheduleIn(Body):
    body: str = Field(max_length=10_000)
    interval_s: int = Field(ge=-(2**31), le=2**31)
    first_at: datetime | None = None


@router.get("/api/rooms/{room_id}/bot", summary="The room's host bot (members)")
async def get_bot(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return (await bot.access_bot(ctx, user, room_id)).view()


@router.put("/api/rooms/{room_id}/bot", summary="Set the welcome and keyword answers (host)")
async def put_bot(ctx: CtxDep, user: UserDep, room_id: RoomId, body: BotIn) -> dict[str, Any]:
    config = await bot.do_put_bot(
        ctx,
        user,
        room_id,
        welcome=body.welcome,
        answers=[(a.keywords, a.answer) for a in body.answers],
    )
    return config.view()


@router.get("/api/rooms/{room_id}/bot/schedules", summary="Scheduled notices (members)")
async def list_schedules(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    schedules = await bot.access_schedules(ctx, user, room_id)
    return {"schedules": [s.view() for s in schedules]}


@router.post(
    "/api/rooms/{room_id}/bot/schedules", status_code=201, summary="Add a scheduled notice (host)"
)
async def add_schedule(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: ScheduleIn
) -> dict[str, Any]:
    schedule = await bot.do_add_schedule(
        ctx, user, room_id, body=body.body, interval_s=body.interval_s, first_at=body.first_at
    )
    return schedule.view()


@router.delete(
    "/api/rooms/{room_id}/bot/schedules/{schedule_id}",
    status_code=204,
    summary="Remove a scheduled notice (host)",
)
async def delete_schedule(
    ctx: CtxDep, user: UserDep, room_id: RoomId, schedule_id: ScheduleId
) -> Response:
    await bot.do_delete_schedule(ctx, user, room_id, schedule_id)
    return Response(status_code=204)
