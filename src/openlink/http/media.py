"""Media: upload (raw body or multipart), read an upload's state, serve its bytes.

Bytes are served only through the checked route: by range, with a strong ETag, cached
privately, and as a download with a sandboxing policy unless the type is one a browser
shows without running anything (pictures, video, audio). See docs/protocol.md#media."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from openlink.actions import media
from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.media import (
    DOWNLOAD_TYPE,
    MEDIA_ID_PATTERN,
    SIGNATURE_PATTERN,
    VARIANT_PATTERN,
    MediaKind,
    media_view,
    parse_range,
)
from openlink.errors import Unauthenticated
from openlink.http.deps import CtxDep, MaybeUserDep, UserDep
from openlink.http.multipart import file_of
from openlink.queries import media as queries

UPLOAD_PATH = "/api/media"
router = APIRouter(prefix=UPLOAD_PATH, tags=["media"])

MediaId = Annotated[str, Path(pattern=MEDIA_ID_PATTERN, description="A media id.")]
Expiry = Annotated[int | None, Query(ge=0, le=2**40, description="A signed URL's expiry.")]
Signature = Annotated[
    str | None, Query(pattern=SIGNATURE_PATTERN, description="A signed URL's signature.")
]
VariantName = Annotated[str, Path(pattern=VARIANT_PATTERN, description="original, thumb…")]
#: Opened on its own, media runs nothing and loads nothing.
MEDIA_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
#: Types a browser may show inline: none of them runs script. Anything else (HTML, SVG,
#: XML, PDF…) is a download whatever the upload says.
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/avif",
        "video/mp4",
        "video/webm",
        "audio/ogg",
        "audio/webm",
        "audio/mp4",
        "audio/mpeg",
    }
)


#: The body the route reads itself, as it streams (so FastAPI does not parse it).
_BINARY = dict(type="string", format="binary")
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {"schema": _BINARY},
            "multipart/form-data": {
                "schema": dict(type="object", required=["file"], properties={"file": _BINARY})
            },
        },
    }
}


@router.post(
    "",
    status_code=201,
    summary="Upload a file to a room: the raw bytes, or multipart/form-data with a 'file' "
    "field. Attach it to a message with the send's 'media' list.",
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    ctx: CtxDep,
    user: UserDep,
    request: Request,
    room: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9]{1,24}$",
            description="The room it is for; none for a clip's video posted to an interest.",
        ),
    ] = None,
    kind: Annotated[MediaKind, Query(description="What the client means it to be.")] = (
        MediaKind.FILE
    ),
    name: Annotated[str | None, Query(max_length=1_000, description="The file's name.")] = None,
) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    multipart = content_type.lower().startswith("multipart/form-data")
    length = request.headers.get("content-length")
    declared = int(length) if length and length.isdigit() and not multipart else None

    async def open_body() -> tuple[str | None, AsyncIterator[bytes]]:
        if multipart:
            return await file_of(content_type, request.stream())
        return None, request.stream()

    item = await media.do_upload(
        ctx, user, room, open_body, filename=name, kind=kind, declared=declared
    )
    return dict(await queries.signed(ctx, media_view(item)))


@router.get("/{media_id}", summary="An upload's state and variants")
async def get_media(ctx: CtxDep, user: UserDep, media_id: MediaId) -> dict[str, Any]:
    return dict(
        await queries.signed(ctx, media_view(await queries.access_media(ctx, user, media_id)))
    )


@router.get(
    "/{media_id}/{variant}",
    summary="The bytes of one variant (byte ranges, strong ETag)",
    response_class=Response,
)
async def read_variant(
    ctx: CtxDep,
    user: MaybeUserDep,
    request: Request,
    media_id: MediaId,
    variant: VariantName,
    e: Expiry = None,
    s: Signature = None,
) -> Response:
    readable = await _readable(ctx, user, media_id, variant, e, s)
    etag = variant_etag(readable)
    headers = variant_headers(readable, etag, ctx.settings.media_cache_max_age_s)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    url = await queries.presigned_url(ctx, readable)
    if url is not None:
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    return await send_bytes(ctx, request, readable, etag, headers)


def variant_etag(readable: queries.Readable) -> str:
    """A variant's strong ETag: its blob's content hash (its bytes never change)."""
    return f'"{readable.variant.blob_key.rsplit("/", 1)[-1]}"'


async def send_bytes(
    ctx: Context, request: Request, readable: queries.Readable, etag: str, headers: dict[str, str]
) -> Response:
    """The variant's bytes, or the one range the request asks (``If-Range`` honoured);
    every read of media bytes answers through here."""
    v = readable.variant
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None
    span = parse_range(wanted, v.size)
    start, end = span or (0, v.size)
    body = await queries.open_bytes(ctx, readable, start, end)
    headers["Content-Length"] = str(end - start)
    if span is None:
        return StreamingResponse(body, headers=headers, media_type=headers["Content-Type"])
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{v.size}"
    return StreamingResponse(
        body, status_code=206, headers=headers, media_type=headers["Content-Type"]
    )


@router.head(
    "/{media_id}/{variant}",
    summary="The headers a read of one variant would have, without the bytes",
    response_class=Response,
)
async def head_variant(
    ctx: CtxDep,
    user: MaybeUserDep,
    request: Request,
    media_id: MediaId,
    variant: VariantName,
    e: Expiry = None,
    s: Signature = None,
) -> Response:
    """As the read, from the database alone: no bytes are opened, and no redirect to a
    presigned URL (those are signed for GET)."""
    readable = await _readable(ctx, user, media_id, variant, e, s)
    v = readable.variant
    etag = variant_etag(readable)
    headers = variant_headers(readable, etag, ctx.settings.media_cache_max_age_s)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None
    span = parse_range(wanted, v.size)
    start, end = span or (0, v.size)
    headers["Content-Length"] = str(end - start)
    if span is None:
        return Response(status_code=200, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{v.size}"
    return Response(status_code=206, headers=headers)


async def _readable(
    ctx: Context, user: User | None, media_id: str, variant: str, e: int | None, s: str | None
) -> queries.Readable:
    """A signed URL's variant (no token needed), else the bearer-checked one."""
    if e is not None and s is not None:
        return await queries.access_signed_variant(ctx, media_id, variant, e, s)
    if user is None:
        raise Unauthenticated("Sign in, or use the media's signed URL.")
    return await queries.access_variant(ctx, user, media_id, variant)


def variant_headers(readable: queries.Readable, etag: str, max_age: int) -> dict[str, str]:
    v = readable.variant
    inline = not readable.download and v.mime in INLINE_TYPES
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": f"private, max-age={max_age}, immutable",
        "Content-Security-Policy": MEDIA_CSP,
        "X-Content-Type-Options": "nosniff",
        "Content-Type": v.mime if inline else DOWNLOAD_TYPE,
    }
    if inline:
        headers["Content-Disposition"] = "inline"
    else:
        name = readable.item.name
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
        headers["Content-Disposition"] = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        )
    return headers


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    return header.strip() == "*" or etag in {t.strip() for t in header.split(",")}
