"""Moderation: co-hosts, notices, hiding, kicks, bans, time-outs, the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from openlink.actions import cohosts, moderation, previews
from openlink.domain.events import member_view
from openlink.domain.messages import MAX_SEQ
from openlink.domain.text import ID_PATTERN
from openlink.http.deps import CtxDep, MemberId, RoomId, UserDep
from openlink.http.schemas import Body
from openlink.queries import moderation as queries
from openlink.queries.media import signed_message

router = APIRouter(prefix="/api/rooms/{room_id}", tags=["moderation"])
Seq = Annotated[int, Path(ge=1, le=MAX_SEQ)]
Reason = Annotated[str | None, Field(None, max_length=2_000)]
#: Edge cap only; the rule (60 s to 365 days) is checked by the action.
BanSeconds = Annotated[int | None, Field(None, ge=0, le=10**9)]


class CohostRights(Body):
    rights: list[Annotated[str, Field(max_length=32)]] = Field(max_length=32)


class NoticeIn(Body):
    body: str = Field(max_length=262_144)
    pin: bool = True


class HideIn(Body):
    reason: Reason = None


class KickIn(Body):
    ban: bool = False
    ban_s: BanSeconds = None
    reason: Reason = None


class BanIn(Body):
    member_id: str = Field(pattern=ID_PATTERN)
    ban_s: BanSeconds = None
    reason: Reason = None


class TimeoutIn(Body):
    duration_s: int = Field(ge=0, le=10**9)


# -- co-hosts --------------------------------------------------------------------------


@router.put("/cohosts/{member_id}", summary="Appoint a co-host or change their rights (host)")
async def set_cohost(
    ctx: CtxDep, user: UserDep, room_id: RoomId, member_id: MemberId, body: CohostRights
) -> dict[str, Any]:
    return member_view(await cohosts.do_set_cohost(ctx, user, room_id, member_id, body.rights))


@router.delete("/cohosts/{member_id}", summary="Make a co-host a plain member again (host)")
async def remove_cohost(
    ctx: CtxDep, user: UserDep, room_id: RoomId, member_id: MemberId
) -> dict[str, Any]:
    return member_view(await cohosts.do_remove_cohost(ctx, user, room_id, member_id))


# -- notices ---------------------------------------------------------------------------


@router.post("/notices", status_code=201, summary="Post a notice, pinned by default")
async def post_notice(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: NoticeIn
) -> dict[str, Any]:
    notice = await moderation.do_post_notice(ctx, user, room_id, body.body, pin=body.pin)
    return await signed_message(ctx, notice)


@router.delete("/notice", status_code=204, summary="Unpin the pinned notice")
async def unpin_notice(ctx: CtxDep, user: UserDep, room_id: RoomId) -> Response:
    await moderation.do_unpin_notice(ctx, user, room_id)
    return Response(status_code=204)


# -- hiding ----------------------------------------------------------------------------


@router.post("/messages/{seq}/hide", summary="Hide a message for everyone")
async def hide(
    ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq, body: HideIn | None = None
) -> dict[str, Any]:
    reason = body.reason if body is not None else None
    message = await moderation.do_set_hidden(ctx, user, room_id, seq, hidden=True, reason=reason)
    return await signed_message(ctx, message)


@router.delete("/messages/{seq}/hide", summary="Show a hidden message again")
async def unhide(ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq) -> dict[str, Any]:
    return await signed_message(
        ctx, await moderation.do_set_hidden(ctx, user, room_id, seq, hidden=False)
    )


@router.delete("/messages/{seq}/preview", summary="Remove a message's link preview")
async def remove_preview(ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq) -> dict[str, Any]:
    return await signed_message(ctx, await previews.do_remove_preview(ctx, user, room_id, seq))


@router.get("/messages/{seq}/review", summary="A message with its text, hidden or not")
async def review(ctx: CtxDep, user: UserDep, room_id: RoomId, seq: Seq) -> dict[str, Any]:
    return await queries.review_message(ctx, user, room_id, seq)


# -- kicks, bans, time-outs ------------------------------------------------------------


@router.post(
    "/members/{member_id}/kick", status_code=204, summary="Remove a member, optionally banning"
)
async def kick(
    ctx: CtxDep, user: UserDep, room_id: RoomId, member_id: MemberId, body: KickIn
) -> Response:
    await moderation.do_kick(
        ctx, user, room_id, member_id, ban=body.ban, ban_s=body.ban_s, reason=body.reason
    )
    return Response(status_code=204)


@router.post("/bans", status_code=201, summary="Ban someone who already left")
async def ban(ctx: CtxDep, user: UserDep, room_id: RoomId, body: BanIn) -> dict[str, Any]:
    banned = await moderation.do_ban_former(
        ctx, user, room_id, body.member_id, ban_s=body.ban_s, reason=body.reason
    )
    return queries.ban_view(banned)


@router.get("/bans", summary="Active bans")
async def list_bans(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return {"bans": await queries.bans(ctx, user, room_id)}


@router.delete("/bans/{member_id}", status_code=204, summary="Lift a ban")
async def unban(ctx: CtxDep, user: UserDep, room_id: RoomId, member_id: MemberId) -> Response:
    await moderation.do_unban(ctx, user, room_id, member_id)
    return Response(status_code=204)


@router.post("/members/{member_id}/timeout", summary="Make a member read-only for a while")
async def timeout(
    ctx: CtxDep, user: UserDep, room_id: RoomId, member_id: MemberId, body: TimeoutIn
) -> dict[str, Any]:
    target = await moderation.do_timeout(ctx, user, room_id, member_id, body.duration_s)
    return member_view(target)


@router.delete("/members/{member_id}/timeout", summary="End a member's time-out")
async def lift_timeout(
    ctx: CtxDep, user: UserDep, room_id: RoomId, member_id: MemberId
) -> dict[str, Any]:
    return member_view(await moderation.do_lift_timeout(ctx, user, room_id, member_id))


# -- the audit log ---------------------------------------------------------------------


@router.get("/audit", summary="The room's moderation log, newest first")
async def audit(
    ctx: CtxDep,
    user: UserDep,
    room_id: RoomId,
    # Audit entry ids are 32-bit.
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.AUDIT_MAX_PAGE)] = 50,
) -> dict[str, Any]:
    return await queries.audit_page(ctx, user, room_id, before=before, limit=limit)
