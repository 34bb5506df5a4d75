"""Rooms, links and membership."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from openlink.actions import join_requests, joining, participation, rooms
from openlink.actions.join_requests import request_view
from openlink.domain.events import member_view, room_view
from openlink.domain.rooms import RoomKind
from openlink.domain.text import ID_PATTERN
from openlink.http import pages
from openlink.http.deps import AddressDep, CtxDep, LinkCode, MaybeUserDep, RoomId, UserDep
from openlink.http.schemas import (
    HostTransfer,
    JoinIn,
    LinkOptions,
    RoomCreate,
    RoomPatch,
    RoomRules,
)
from openlink.queries import rooms as queries

router = APIRouter(tags=["rooms"])
RequestId = Annotated[str, Path(pattern=ID_PATTERN, description="A join request id.")]


def _joined(room: Any, member: Any) -> dict[str, Any]:
    return {"room": room_view(room), "me": member_view(member)}


def _join_result(result: joining.Joined | joining.Pending) -> Any:
    """200 with the membership, or 202 with the request when the room asks for approval."""
    if isinstance(result, joining.Pending):
        return JSONResponse(
            {"room": room_view(result.room), "request": request_view(result.request)},
            status_code=202,
        )
    return _joined(result.room, result.member)


_JOIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "The room asks for approval: the join request is pending."}
}


@router.post("/api/rooms", status_code=201, summary="Create a room; you become its host")
async def create_room(ctx: CtxDep, user: UserDep, body: RoomCreate) -> dict[str, Any]:
    room, host = await rooms.do_create_room(
        ctx,
        user,
        name=body.name,
        description=body.description,
        kind=RoomKind(body.kind),
        visibility=body.visibility,
        profile_policy=body.profile_policy,
        tags=[(t.name, t.category) for t in body.tags],
        cover_url=body.cover_url,
        member_cap=body.member_cap,
        code=body.code,
        host_profile=body.profile.model_dump(),
        room_rules=body.model_dump(include=set(RoomRules.model_fields), exclude_none=True),
    )
    return _joined(room, host)


@router.get("/api/rooms", summary="My rooms, with unread counts")
async def list_my_rooms(ctx: CtxDep, user: UserDep) -> dict[str, Any]:
    return {"rooms": await queries.my_rooms(ctx, user)}


@router.get("/api/rooms/{room_id}", summary="A room I am in, or a public room's preview")
async def get_room(ctx: CtxDep, user: MaybeUserDep, room_id: RoomId) -> dict[str, Any]:
    return await queries.room_for(ctx, user, room_id)


@router.get("/api/rooms/{room_id}/preview", summary="Read a public room before joining it")
async def room_preview(
    ctx: CtxDep, user: MaybeUserDep, room_id: RoomId, address: AddressDep
) -> dict[str, Any]:
    return await queries.preview(ctx, user, room_id, address=address)


@router.patch("/api/rooms/{room_id}", summary="Change a room's settings (host)")
async def patch_room(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: RoomPatch
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if body.tags is not None:
        changes["tags"] = [(t.name, t.category) for t in body.tags]
    return room_view(await rooms.do_update_room(ctx, user, room_id, **changes))


@router.post("/api/rooms/{room_id}/link", summary="Regenerate the room's link")
async def regenerate_link(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: LinkOptions | None = None
) -> dict[str, Any]:
    options = body.model_dump(exclude_unset=True) if body is not None else None
    return room_view(await rooms.do_regenerate_link(ctx, user, room_id, options))


@router.patch("/api/rooms/{room_id}/link", summary="Set the link's expiry and use limit")
async def set_link_options(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: LinkOptions
) -> dict[str, Any]:
    options = body.model_dump(exclude_unset=True)
    return room_view(await rooms.do_set_link_options(ctx, user, room_id, options))


@router.get("/api/rooms/{room_id}/members", summary="Members of a room I am in")
async def list_members(
    ctx: CtxDep,
    user: UserDep,
    room_id: RoomId,
    after: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    members = await queries.members_of(ctx, user, room_id, after=after, limit=limit)
    return {"members": members, "next": members[-1]["id"] if len(members) == limit else None}


@router.post("/api/rooms/{room_id}/join", summary="Join a public room", responses=_JOIN_RESPONSES)
async def join_public(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: JoinIn, address: AddressDep
) -> Any:
    result = await joining.do_join_public(
        ctx, user, room_id, profile=body.profile.model_dump(), code=body.code, address=address
    )
    return _join_result(result)


@router.get("/api/rooms/{room_id}/code", summary="The participation code's state (settings)")
async def code_status(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    return await participation.code_status(ctx, user, room_id)


@router.post("/api/rooms/{room_id}/leave", status_code=204, summary="Leave a room")
async def leave(ctx: CtxDep, user: UserDep, room_id: RoomId) -> Response:
    await rooms.do_leave(ctx, user, room_id)
    return Response(status_code=204)


@router.post("/api/rooms/{room_id}/host", summary="Hand hosting over to another member")
async def transfer_host(
    ctx: CtxDep, user: UserDep, room_id: RoomId, body: HostTransfer
) -> dict[str, Any]:
    return member_view(await rooms.do_transfer_host(ctx, user, room_id, body.member_id))


@router.get("/api/links/{code}", summary="What a link leads to")
async def link_preview(ctx: CtxDep, code: LinkCode) -> dict[str, Any]:
    return await queries.link_preview(ctx, code)


@router.get(
    "/l/{code}",
    summary="The short link: the room preview (an HTML card for browsers and unfurlers)",
    responses={200: {"content": {"text/html": {}}}},
)
async def short_link(ctx: CtxDep, request: Request, response: Response, code: LinkCode) -> Any:
    # One URL, two representations: caches must key on what decided between them.
    if pages.wants_html(request):
        page = await pages.link_page(ctx, request, code)
        page.headers["Vary"] = "Accept, User-Agent"
        return page
    response.headers["Vary"] = "Accept, User-Agent"
    return await queries.link_preview(ctx, code)


@router.post("/api/links/{code}/join", summary="Join through a link", responses=_JOIN_RESPONSES)
async def join_by_link(
    ctx: CtxDep, user: UserDep, code: LinkCode, body: JoinIn, address: AddressDep
) -> Any:
    result = await joining.do_join_by_link(
        ctx, user, code, profile=body.profile.model_dump(), code=body.code, address=address
    )
    return _join_result(result)


@router.get("/api/rooms/{room_id}/join-requests", summary="Pending join requests (approvers)")
async def list_join_requests(
    ctx: CtxDep,
    user: UserDep,
    room_id: RoomId,
    after: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    found = await join_requests.list_requests(ctx, user, room_id, after=after, limit=limit)
    return {"requests": found, "next": found[-1]["id"] if len(found) == limit else None}


@router.post(
    "/api/rooms/{room_id}/join-requests/{request_id}/approve",
    summary="Approve: the applicant may come in",
)
async def approve_join_request(
    ctx: CtxDep, user: UserDep, room_id: RoomId, request_id: RequestId
) -> dict[str, Any]:
    return await join_requests.do_decide(ctx, user, room_id, request_id, approve=True)


@router.post("/api/rooms/{room_id}/join-requests/{request_id}/reject", summary="Turn it down")
async def reject_join_request(
    ctx: CtxDep, user: UserDep, room_id: RoomId, request_id: RequestId
) -> dict[str, Any]:
    return await join_requests.do_decide(ctx, user, room_id, request_id, approve=False)


@router.post(
    "/api/rooms/{room_id}/join-request/accept",
    summary="Come in on my approved join request",
)
async def accept_join_request(ctx: CtxDep, user: UserDep, room_id: RoomId) -> dict[str, Any]:
    room, member = await join_requests.do_accept(ctx, user, room_id)
    return _joined(room, member)


@router.delete(
    "/api/rooms/{room_id}/join-request",
    status_code=204,
    summary="Withdraw my join request, or decline its approval",
)
async def withdraw_join_request(ctx: CtxDep, user: UserDep, room_id: RoomId) -> Response:
    await join_requests.do_withdraw(ctx, user, room_id)
    return Response(status_code=204)
