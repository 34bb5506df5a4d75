"""A room's messages: history, send, edit, delete, reactions, read marker."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from openlink.actions import messages
from openlink.domain.messages import MAX_SEQ
from openlink.http.deps import CtxDep, RoomId, UserDep
from openlink.http.schemas import MessageEdit, MessageIn, ReadMarker
from openlink.queries import messages as queries
from openlink.queries.media import signed_message

router = APIRouter(prefix="/api/rooms/{room_id}", tags=["messages"])
Seq = Annotated[int, Path(ge=1, le=MAX_SEQ)]


@router.get("/messages", summary="A page of history by seq")
async def history(
    ctx: CtxDep,
    user: UserDep,
    room_id: RoomId,
    before: Annotated[int | None, Query(ge=1, le=MAX_SEQ)] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    return await queries.history(ctx, user, room_id, before=before, after=after, limit=limit)


@router.post("/messages", summary="Send (idempotent by client_id)")
async def send(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: MessageIn, response: Response
) -> dict[str, Any]:
    sent = await messages.do_send_message(
        ctx,
        user,
        room_id,
        client_id=body.client_id,
        body=body.body,
        reply_to=body.reply_to,
        mentions=body.mentions,
        media_ids=body.media,
    )
    response.status_code = 201 if sent.created else 200
    return await signed_message(ctx, sent.message)


@router.patch("/messages/{seq}", summary="Edit my message")
async def edit(
    ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq, body: MessageEdit
) -> dict[str, Any]:
    edited = await messages.do_edit_message(ctx, user, room_id, seq, body.body, body.media)
    return await signed_message(ctx, edited)


@router.delete("/messages/{seq}", summary="Delete my message (leaves a tombstone)")
async def delete(ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq) -> dict[str, Any]:
    return await signed_message(ctx, await messages.do_delete_message(ctx, user, room_id, seq))


@router.put("/messages/{seq}/reactions/{emoji}", summary="React")
async def react(
    ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq, emoji: str
) -> dict[str, Any]:
    return await signed_message(
        ctx, await messages.do_react(ctx, user, room_id, seq, emoji, add=True)
    )


@router.delete("/messages/{seq}/reactions/{emoji}", summary="Take a reaction back")
async def unreact(
    ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq, emoji: str
) -> dict[str, Any]:
    return await signed_message(
        ctx, await messages.do_react(ctx, user, room_id, seq, emoji, add=False)
    )


@router.post("/read", summary="Move my read marker forward")
async def mark_read(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: ReadMarker
) -> dict[str, Any]:
    return {"read_seq": await messages.do_mark_read(ctx, user, room_id, body.seq)}
