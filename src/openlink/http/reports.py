"""Reports, closing a room, and the operator's instance-wide tools (``/api/admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from openlink.actions import closing, media_bans, operator, reports
from openlink.domain.events import room_view
from openlink.domain.reports import MAX_SUSPENSION_REASON, Reason, ReportStatus, report_view
from openlink.domain.text import ID_PATTERN
from openlink.http.deps import CtxDep, RoomId, UserDep
from openlink.http.schemas import Body
from openlink.queries import media as media_queries
from openlink.queries import reports as queries

router = APIRouter(tags=["reports"])

ReportId = Annotated[str, Path(pattern=ID_PATTERN, description="A report id.")]
MemberId = Annotated[str, Path(pattern=ID_PATTERN, description="A member id.")]
MediaIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="A media or ban id.")]
Username = Annotated[str, Path(max_length=64, description="An account's username.")]
StatusQuery = Annotated[ReportStatus | None, Query(description="open or resolved; all if absent")]
LimitQuery = Annotated[int, Query(ge=1, le=500)]
#: Ten years: longer than that is "until lifted" (null).
MAX_SUSPENSION_S = 10 * 365 * 86_400


class ReportIn(Body):
    member_id: str | None = Field(None, pattern=ID_PATTERN)
    seq: int | None = Field(None, ge=1, le=2**62)
    reason: Reason
    note: str = Field("", max_length=2_000)


class ResolveIn(Body):
    outcome: str = Field("", max_length=1_000)


class SuspensionIn(Body):
    member_id: str = Field(pattern=ID_PATTERN)
    duration_s: int | None = Field(ge=1, le=MAX_SUSPENSION_S)
    reason: str = Field(max_length=MAX_SUSPENSION_REASON * 4)


@router.post(
    "/api/rooms/{room_id}/reports",
    status_code=201,
    summary="Report a message or a member to the room's moderators and the operator",
)
async def create_report(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: ReportIn, response: Response
) -> dict[str, Any]:
    report, new = await reports.do_report(
        ctx,
        user,
        room_id,
        member_id=body.member_id,
        seq=body.seq,
        reason=body.reason,
        note=body.note,
    )
    if not new:
        response.status_code = 200
    return report_view(report)


@router.get("/api/rooms/{room_id}/reports", summary="The room's reports, newest first (co-hosts)")
async def list_room_reports(
    ctx: CtxDep, user: UserDep, room_id: RoomId, status: StatusQuery = None, limit: LimitQuery = 100
) -> dict[str, Any]:
    found = await queries.room_reports(ctx, user, room_id, status=status, limit=limit)
    return {"reports": found}


@router.post("/api/rooms/{room_id}/reports/{report_id}/resolve", summary="Resolve a report")
async def resolve_room_report(
    ctx: CtxDep, user: UserDep, room_id: RoomId, report_id: ReportId, body: ResolveIn
) -> dict[str, Any]:
    report = await reports.do_resolve_report(ctx, user, room_id, report_id, outcome=body.outcome)
    return report_view(report)


@router.post("/api/rooms/{room_id}/close", summary="Close the room for good (host)")
async def close_room(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return room_view(await closing.do_close_room(ctx, user, room_id, as_operator=False))


# -- the operator ---------------------------------------------------------------------


@router.get("/api/admin/reports", summary="Every room's reports, newest first (operator)")
async def list_all_reports(
    ctx: CtxDep, user: UserDep, status: StatusQuery = None, limit: LimitQuery = 100
) -> dict[str, Any]:
    return {"reports": await queries.all_reports(ctx, user, status=status, limit=limit)}


@router.post("/api/admin/reports/{report_id}/resolve", summary="Resolve any report (operator)")
async def resolve_any_report(
    ctx: CtxDep, user: UserDep, report_id: ReportId, body: ResolveIn
) -> dict[str, Any]:
    report = await reports.do_resolve_report_as_operator(ctx, user, report_id, outcome=body.outcome)
    return report_view(report)


@router.post("/api/admin/suspensions", summary="Suspend the account behind a member (operator)")
async def suspend(ctx: CtxDep, user: UserDep, body: SuspensionIn) -> dict[str, Any]:
    return await operator.do_suspend(
        ctx, user, body.member_id, duration_s=body.duration_s, reason=body.reason
    )


@router.delete(
    "/api/admin/suspensions/{member_id}",
    status_code=204,
    summary="Lift the suspension of the account behind a member (operator)",
)
async def lift_suspension(ctx: CtxDep, user: UserDep, member_id: MemberId) -> Response:
    await operator.do_lift_suspension(ctx, user, member_id)
    return Response(status_code=204)


@router.put("/api/admin/users/{username}/verified", summary="Mark an account verified (operator)")
async def grant_verified(ctx: CtxDep, user: UserDep, username: Username) -> dict[str, Any]:
    found = await operator.do_set_verified_as_operator(ctx, user, username, True)
    return {"username": found.username, "verified": found.verified}


@router.delete(
    "/api/admin/users/{username}/verified", summary="Remove the verified mark (operator)"
)
async def remove_verified(ctx: CtxDep, user: UserDep, username: Username) -> dict[str, Any]:
    found = await operator.do_set_verified_as_operator(ctx, user, username, False)
    return {"username": found.username, "verified": found.verified}


@router.post("/api/admin/rooms/{room_id}/close", summary="Close any room (operator)")
async def close_any_room(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return room_view(await closing.do_close_room(ctx, user, room_id, as_operator=True))


class MediaBanIn(Body):
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/api/admin/media/{media_id}/ban",
    status_code=201,
    summary="Ban an upload's bytes everywhere and remove every upload that matches (operator)",
)
async def ban_media(
    ctx: CtxDep, user: UserDep, media_id: MediaIdPath, body: MediaBanIn
) -> dict[str, Any]:
    return await media_bans.do_ban_media(ctx, user, media_id, body.reason)


@router.get("/api/admin/media-bans", summary="Every media ban, newest first (operator)")
async def list_media_bans(ctx: CtxDep, user: UserDep) -> dict[str, Any]:
    return {"bans": await media_queries.media_bans(ctx, user)}


@router.delete(
    "/api/admin/media-bans/{ban_id}",
    status_code=204,
    summary="Lift a media ban: those bytes may be uploaded again (operator)",
)
async def lift_media_ban(ctx: CtxDep, user: UserDep, ban_id: MediaIdPath) -> Response:
    await media_bans.do_lift_media_ban(ctx, user, ban_id)
    return Response(status_code=204)
