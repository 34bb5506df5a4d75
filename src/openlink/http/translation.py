"""Translation: what the server can translate, a message on demand, a room's glossary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import Field

from openlink.actions import translation
from openlink.domain.accounts import require_operator
from openlink.domain.glossary import Glossary
from openlink.domain.messages import MAX_SEQ
from openlink.http.deps import CtxDep, RoomId, UserDep
from openlink.http.schemas import Body

router = APIRouter(tags=["translation"])

Seq = Annotated[int, Path(ge=1, le=MAX_SEQ, description="The message's seq.")]


class TermIn(Body):
    term: str = Field(max_length=400)
    #: Target language -> fixed rendering; languages not listed keep the term as it is.
    translations: dict[
        Annotated[str, Field(max_length=35)], Annotated[str, Field(max_length=400)]
    ] = Field(default_factory=dict, max_length=100)


class GlossaryIn(Body):
    terms: list[TermIn] = Field(max_length=1_000)


def _glossary_view(g: Glossary) -> dict[str, Any]:
    return {"terms": [{"term": e.term, "translations": dict(e.translations)} for e in g.entries]}


@router.get("/api/translation", summary="The translation engine and its languages")
async def engine_info(ctx: CtxDep) -> dict[str, Any]:
    return translation.info(ctx)


@router.get(
    "/api/rooms/{room_id}/messages/{seq}/translation",
    summary="A message in my reading language (?lang= may only name it), translated once "
    "and stored",
)
async def translate_message(
    ctx: CtxDep,
    user: UserDep,
    room_id: RoomId,
    seq: Seq,
    lang: Annotated[str | None, Query(max_length=35)] = None,
) -> dict[str, Any]:
    return await translation.do_translate(ctx, user, room_id, seq, lang)


@router.get("/api/rooms/{room_id}/glossary", summary="The room's glossary (members)")
async def get_glossary(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return _glossary_view(await translation.get_glossary(ctx, user, room_id))


@router.put("/api/rooms/{room_id}/glossary", summary="Replace the room's glossary (host)")
async def put_glossary(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: GlossaryIn
) -> dict[str, Any]:
    entries = [t.model_dump() for t in body.terms]
    return _glossary_view(await translation.do_set_glossary(ctx, user, room_id, entries))


@router.get("/api/admin/translation", summary="Translation counters and queues (operator)")
async def stats(ctx: CtxDep, user: UserDep) -> dict[str, Any]:
    require_operator(user)
    return translation.stats(ctx)
