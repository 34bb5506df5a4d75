"""Clips: post, feeds, like, view, comment, hide, report, delete; the share page
``/c/{id}`` and its public video. See docs/protocol.md#clips."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field
from starlette.responses import HTMLResponse, Response

from openlink.actions import caption
from openlink.actions import clips as actions
from openlink.domain.clips import MAX_CAPTION, MAX_COMMENT, Order
from openlink.domain.reports import Reason
from openlink.domain.text import ID_PATTERN
from openlink.errors import OpenLinkError
from openlink.http import pages
from openlink.http.deps import AddressDep, CtxDep, MaybeUserDep, UserDep
from openlink.http.media import etag_matches, send_bytes, variant_etag, variant_headers
from openlink.http.schemas import Body, ProfileChoice
from openlink.queries import clips as queries
from openlink.queries import media as media_queries

router = APIRouter(tags=["clips"])

ClipId = Annotated[str, Path(pattern=ID_PATTERN, description="A clip id.")]
Cursor = Annotated[str | None, Query(max_length=60, description="`next` of the page before.")]
Limit = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]
#: The share page plays the clip and shows nothing else from elsewhere.
CLIP_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


async def _signed(ctx: Any, view: dict[str, Any]) -> dict[str, Any]:
    """Clip views leave with their video's URLs signed, as Media views do: a <video>
    element loads them without a bearer header."""
    return dict(await media_queries.signed(ctx, view))


class ClipIn(Body):
    media: str = Field(pattern=ID_PATTERN)
    caption: str = Field("", max_length=MAX_CAPTION * 4)
    room: str | None = Field(None, pattern=ID_PATTERN)
    interest: str | None = Field(None, pattern=ID_PATTERN)
    #: For an interest clip: the profile to show (main, or an open one).
    profile: ProfileChoice = Field(default_factory=ProfileChoice)


class LikeIn(Body):
    liked: bool


class HideIn(Body):
    hidden: bool


class CommentIn(Body):
    body: str = Field(max_length=MAX_COMMENT * 4)
    profile: ProfileChoice = Field(default_factory=ProfileChoice)


class ClipReportIn(Body):
    reason: Reason
    note: str = Field("", max_length=2_000)


@router.post("/api/clips", status_code=201, summary="Post a clip to a room or an interest")
async def post_clip(ctx: CtxDep, user: UserDep, body: ClipIn) -> dict[str, Any]:
    posted = await actions.do_post_clip(
        ctx,
        user,
        media_id=body.media,
        caption=body.caption,
        room_id=body.room,
        interest_id=body.interest,
        profile=body.profile.model_dump(),
    )
    return await _signed(ctx, posted)


@router.get("/api/clips", summary="An interest's clips, newest or top")
async def interest_feed(
    ctx: CtxDep,
    user: MaybeUserDep,
    address: AddressDep,
    interest: Annotated[str, Query(pattern=ID_PATTERN, description="An interest id.")],
    order: Order = Order.NEW,
    cursor: Cursor = None,
    limit: Limit = 10,
) -> dict[str, Any]:
    page = await queries.interest_feed(
        ctx, user, interest, order=order, cursor=cursor, limit=limit, address=address
    )
    return await _signed(ctx, page)


@router.get("/api/clips/for-you", summary="Clips ranked for the caller")
async def for_you(
    ctx: CtxDep, user: UserDep, cursor: Cursor = None, limit: Limit = 10
) -> dict[str, Any]:
    return await _signed(ctx, await queries.for_you(ctx, user, cursor=cursor, limit=limit))


@router.get("/api/rooms/{room_id}/clips", summary="A room's clips, newest first (members)")
async def room_clips(
    ctx: CtxDep,
    user: UserDep,
    room_id: Annotated[str, Path(pattern=ID_PATTERN)],
    cursor: Cursor = None,
    limit: Limit = 10,
) -> dict[str, Any]:
    page = await queries.room_feed(ctx, user, room_id, cursor=cursor, limit=limit)
    return await _signed(ctx, page)


@router.get("/api/clips/{clip_id}", summary="One clip")
async def get_clip(ctx: CtxDep, user: MaybeUserDep, clip_id: ClipId) -> dict[str, Any]:
    return await _signed(ctx, await queries.get_clip(ctx, user, clip_id))


@router.delete("/api/clips/{clip_id}", status_code=204, summary="Delete one's own clip")
async def delete_clip(ctx: CtxDep, user: UserDep, clip_id: ClipId) -> Response:
    await actions.do_delete_clip(ctx, user, clip_id)
    return Response(status_code=204)


@router.put("/api/clips/{clip_id}/like", summary="Like or unlike a clip")
async def like(ctx: CtxDep, user: UserDep, clip_id: ClipId, body: LikeIn) -> dict[str, Any]:
    return await actions.do_like(ctx, user, clip_id, body.liked)


@router.post("/api/clips/{clip_id}/views", summary="Count a view (once per account)")
async def view(ctx: CtxDep, user: UserDep, clip_id: ClipId) -> dict[str, Any]:
    return await actions.do_view(ctx, user, clip_id)


@router.get(
    "/api/clips/{clip_id}/translation",
    summary="The caption in the caller's own reading language (on demand)",
)
async def caption_translation(
    ctx: CtxDep,
    user: UserDep,
    clip_id: ClipId,
    lang: Annotated[str | None, Query(max_length=35)] = None,
) -> dict[str, Any]:
    return await caption.do_translate_caption(ctx, user, clip_id, lang)


@router.get("/api/clips/{clip_id}/comments", summary="An interest clip's comments")
async def comments(
    ctx: CtxDep, user: MaybeUserDep, clip_id: ClipId, cursor: Cursor = None, limit: Limit = 20
) -> dict[str, Any]:
    return await queries.comments(ctx, user, clip_id, cursor=cursor, limit=limit)


@router.post("/api/clips/{clip_id}/comments", status_code=201, summary="Comment on a clip")
async def comment(ctx: CtxDep, user: UserDep, clip_id: ClipId, body: CommentIn) -> dict[str, Any]:
    return await actions.do_comment(ctx, user, clip_id, body.body, body.profile.model_dump())


@router.put("/api/clips/{clip_id}/hidden", summary="Hide or show a clip (moderators)")
async def hide(ctx: CtxDep, user: UserDep, clip_id: ClipId, body: HideIn) -> dict[str, Any]:
    return await actions.do_hide(ctx, user, clip_id, body.hidden)


@router.post("/api/clips/{clip_id}/reports", status_code=201, summary="Report a clip")
async def report(ctx: CtxDep, user: UserDep, clip_id: ClipId, body: ClipReportIn) -> dict[str, Any]:
    return await actions.do_report_clip(ctx, user, clip_id, body.reason, body.note)


@router.get("/api/admin/clip-reports", summary="Reported clips, most reported first (operator)")
async def reported_clips(ctx: CtxDep, user: UserDep, limit: Limit = 50) -> dict[str, Any]:
    return await _signed(ctx, await queries.reported(ctx, user, limit=limit))


@router.get(
    "/api/rooms/{room_id}/clip-reports",
    summary="Reports of the room's clips, newest first (host, co-hosts)",
)
async def room_clip_reports(
    ctx: CtxDep,
    user: UserDep,
    room_id: Annotated[str, Path(pattern=ID_PATTERN)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    return await _signed(ctx, await queries.room_reports(ctx, user, room_id, limit=limit))


@router.get(
    "/c/{clip_id}",
    summary="The share page: the clip with OpenGraph video tags (public clips only)",
    response_class=HTMLResponse,
)
async def share_page(ctx: CtxDep, request: Request, clip_id: ClipId) -> HTMLResponse:
    try:
        base = pages.public_base(ctx, request)
        clip = await queries.get_clip(ctx, None, clip_id)
    except OpenLinkError as exc:
        return pages.error_page(exc, CLIP_CSP)
    url = f"{base}/c/{clip_id}"
    video = f"{base}/c/{clip_id}/video"
    variants = clip["video"]["variants"]
    poster_image = f"{base}/c/{clip_id}/poster" if "poster" in variants else None
    title = f"{clip['poster']['nickname']} on {pages.SITE_NAME}"
    description = clip["caption"] or "A short video"
    og = [
        ("og:title", title),
        ("og:description", description),
        ("og:url", url),
        ("og:type", "video.other"),
        ("og:site_name", pages.SITE_NAME),
        ("og:video", video),
        ("og:video:secure_url", video),
        ("og:video:type", "video/mp4"),
    ]
    for key in ("width", "height"):
        if clip["video"][key]:
            og.append((f"og:video:{key}", str(clip["video"][key])))
    if poster_image:
        og.append(("og:image", poster_image))
    twitter = [("twitter:card", "player" if poster_image else "summary")]
    twitter += [("twitter:title", title), ("twitter:description", description)]
    page = pages.render(
        "clip.html",
        title=title,
        url=url,
        description=description,
        og=og,
        twitter=twitter,
        poster=clip["poster"]["nickname"],
        caption=clip["caption"],
        video=f"/c/{clip_id}/video",
        poster_image=f"/c/{clip_id}/poster" if poster_image else None,
        clip_id=clip_id,
    )
    response = HTMLResponse(page)
    response.headers["Content-Security-Policy"] = CLIP_CSP
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@router.get(
    "/c/{clip_id}/{part}",
    summary="A public clip's video or poster image (byte ranges), for the share page",
    response_class=Response,
)
async def share_media(
    ctx: CtxDep,
    user: MaybeUserDep,
    request: Request,
    clip_id: ClipId,
    part: Literal["video", "poster"],
) -> Response:
    readable = await media_queries.clip_variant(ctx, user, clip_id, part)
    etag = variant_etag(readable)
    headers = variant_headers(readable, etag, 60)
    # Anyone may see a public clip; a cache may keep it a minute (hiding takes that long).
    headers["Cache-Control"] = "public, max-age=60"
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return await send_bytes(ctx, request, readable, etag, headers)
