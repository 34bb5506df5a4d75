"""Partners and content links: one room per work, embeddable anywhere.

The operator's partner routes (``/api/admin/partners``), the partner's content endpoint
(``PUT /api/partner/content/{content_id}``, authenticated with the partner's API key), and
what other sites use: the widget (``/embed/{code}``), oEmbed and QR codes.
"""

from __future__ import annotations

import io
import re
from typing import Annotated, Any
from urllib.parse import urlsplit

import segno
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from starlette.responses import HTMLResponse

from openlink.actions import content, partners
from openlink.domain.events import room_view
from openlink.domain.partners import Partner, partner_view
from openlink.domain.rooms import Room
from openlink.domain.text import ID_PATTERN
from openlink.errors import NotFound, OpenLinkError, Unauthenticated
from openlink.http import pages
from openlink.http.deps import CtxDep, LinkCode, UserDep
from openlink.http.schemas import Body
from openlink.queries import partners as queries

router = APIRouter(tags=["partners"])

_key = HTTPBearer(auto_error=False, description="A partner API key from the operator.")
PartnerId = Annotated[str, Path(pattern=ID_PATTERN, description="A partner id.")]
ContentId = Annotated[
    str, Path(max_length=400, description="The partner's own id: 1-200 of A-Z a-z 0-9 . _ : -")
]
Scale = Annotated[int, Query(ge=1, le=40, description="Pixels per QR module.")]
_LINK_PATH = re.compile(r"/(?:l|embed)/([a-z0-9]{1,24})/?")
#: A QR code for a link code never changes (a regenerated link has a new code).
QR_CACHE = "public, max-age=31536000, immutable"


class FormatNotSupported(OpenLinkError):
    status = 501
    code = "format_not_supported"


class PartnerIn(Body):
    name: str = Field(max_length=400)
    allowed_origins: list[Annotated[str, Field(max_length=400)]] = Field(max_length=100)


class WorkIn(Body):
    isbn: str | None = Field(None, max_length=40)
    work_id: str | None = Field(None, max_length=400)
    url: str | None = Field(None, max_length=2_048)


class ContentIn(Body):
    work: WorkIn
    title: str = Field(max_length=1_000)
    language: str = Field(max_length=35)
    description: str | None = Field(None, max_length=8_000)
    tags: list[Annotated[str, Field(max_length=80)]] | None = Field(None, max_length=50)


async def current_partner(
    ctx: CtxDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_key)]
) -> Partner:
    if creds is None:
        raise Unauthenticated("Send 'Authorization: Bearer <partner key>'.")
    return await partners.access_partner_by_key(ctx, creds.credentials)


PartnerDep = Annotated[Partner, Depends(current_partner)]


def _with_key(partner: Partner, key: str) -> dict[str, Any]:
    return {"partner": partner_view(partner), "key": key}


# -- the operator ---------------------------------------------------------------------


@router.post("/api/admin/partners", status_code=201, summary="Add a partner; its key is shown once")
async def add_partner(ctx: CtxDep, user: UserDep, body: PartnerIn) -> dict[str, Any]:
    partner, key = await partners.do_add_partner_as_operator(
        ctx, user, body.name, body.allowed_origins
    )
    return _with_key(partner, key)


@router.get("/api/admin/partners", summary="Every partner (operator)")
async def list_partners(ctx: CtxDep, user: UserDep) -> dict[str, Any]:
    found = await queries.all_partners_as_operator(ctx, user)
    return {"partners": [partner_view(p) for p in found]}


@router.post("/api/admin/partners/{partner_id}/key", summary="Rotate a partner's API key")
async def rotate_key(ctx: CtxDep, user: UserDep, partner_id: PartnerId) -> dict[str, Any]:
    return _with_key(*await partners.do_rotate_key_as_operator(ctx, user, partner_id))


@router.delete("/api/admin/partners/{partner_id}", summary="Disable a partner")
async def disable_partner(ctx: CtxDep, user: UserDep, partner_id: PartnerId) -> dict[str, Any]:
    return partner_view(await partners.do_disable_as_operator(ctx, user, partner_id))


# -- the partner ----------------------------------------------------------------------


@router.put(
    "/api/partner/content/{content_id}",
    summary="The room of a partner's content (201 when linked now, 200 when it already was)",
)
async def put_content(
    ctx: CtxDep,
    request: Request,
    response: Response,
    partner: PartnerDep,
    content_id: ContentId,
    body: ContentIn,
) -> dict[str, Any]:
    req = content.check_content(
        content_id,
        work=body.work.model_dump(),
        title=body.title,
        language=body.language,
        description=body.description,
        tags=body.tags,
    )
    base = pages.public_base(ctx, request)  # before the write: a refused Host links nothing
    room, linked = await content.do_link_content(ctx, partner, req)
    response.status_code = 201 if linked else 200
    return {"work": req.canonical, **_links(base, room)}


def _links(base: str, room: Room) -> dict[str, Any]:
    link = f"/l/{room.link_code}"
    embed_url = f"{base}/embed/{room.link_code}"
    return {
        "room": room_view(room),
        "link": link,
        "url": base + link,
        "embed_url": embed_url,
        "embed_snippet": pages.embed_snippet(
            embed_url, room.name, pages.EMBED_WIDTH, pages.EMBED_HEIGHT
        ),
        "qr_url": f"{base}{link}/qr.svg",
    }


# -- other sites ----------------------------------------------------------------------


@router.get("/embed/{code}", response_class=HTMLResponse, summary="The embeddable room widget")
async def embed(ctx: CtxDep, request: Request, code: LinkCode) -> HTMLResponse:
    return await pages.embed_page(ctx, request, code)


@router.get("/oembed", summary="oEmbed for /l/{code} and /embed/{code} URLs of this server")
async def oembed(
    ctx: CtxDep,
    request: Request,
    response: Response,
    url: Annotated[str, Query(max_length=2_048)],
    format: Annotated[str, Query(max_length=20)] = "json",
    maxwidth: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    maxheight: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    if format != "json":
        raise FormatNotSupported("Only format=json is supported.")
    base = pages.public_base(ctx, request)
    code = _code_of(base, url)
    room, _ = await queries.room_behind_link(ctx, code)
    width = min(pages.EMBED_WIDTH, maxwidth or pages.EMBED_WIDTH)
    height = min(pages.EMBED_HEIGHT, maxheight or pages.EMBED_HEIGHT)
    response.headers["Cache-Control"] = "public, max-age=300"
    return {
        "version": "1.0",
        "type": "rich",
        "provider_name": pages.SITE_NAME,
        "provider_url": base + "/",
        "title": room.name,
        "html": pages.embed_snippet(f"{base}/embed/{code}", room.name, width, height),
        "width": width,
        "height": height,
        "cache_age": 300,
    }


def _code_of(base: str, url: str) -> str:
    """The link code in an absolute ``/l/{code}`` or ``/embed/{code}`` URL of this server."""
    unknown = NotFound("That URL is not a room link of this server.", code="unknown_url")
    try:
        parts, ours = urlsplit(url.strip()), urlsplit(base)
    except ValueError:
        raise unknown from None
    same_site = (parts.scheme.lower(), parts.netloc.lower()) == (ours.scheme, ours.netloc.lower())
    path = parts.path.removeprefix(ours.path.rstrip("/")) if same_site else ""
    found = _LINK_PATH.fullmatch(path)
    if found is None:
        raise unknown
    return found.group(1)


@router.get("/l/{code}/qr.svg", summary="The link as a QR code (SVG)")
async def qr_svg(ctx: CtxDep, request: Request, code: LinkCode, scale: Scale = 4) -> Response:
    return await _qr(ctx, request, code, scale, "svg", "image/svg+xml")


@router.get("/l/{code}/qr.png", summary="The link as a QR code (PNG)")
async def qr_png(ctx: CtxDep, request: Request, code: LinkCode, scale: Scale = 8) -> Response:
    return await _qr(ctx, request, code, scale, "png", "image/png")


async def _qr(
    ctx: CtxDep, request: Request, code: str, scale: int, kind: str, media_type: str
) -> Response:
    room, _ = await queries.room_behind_link(ctx, code)
    url = f"{pages.public_base(ctx, request)}/l/{room.link_code}"
    out = io.BytesIO()
    options: dict[str, Any] = {"title": url, "desc": url} if kind == "svg" else {}
    segno.make(url, error="m").save(out, kind=kind, scale=scale, border=4, **options)
    headers = {"Cache-Control": QR_CACHE, "Cross-Origin-Resource-Policy": "cross-origin"}
    return Response(out.getvalue(), media_type=media_type, headers=headers)
