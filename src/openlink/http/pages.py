"""The few HTML pages the server renders itself: the link card (``/l/{code}`` for browsers
and link unfurlers) and the embeddable widget (``/embed/{code}``).

Pages are small, self-contained and script-free: inline CSS, no external resources. They
are Jinja2 templates (``http/templates/``) rendered with autoescape always on, so every
value is escaped unless a template says ``|safe`` (none does; decisions/0018). Each page
sets its own ``Content-Security-Policy``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from openlink.actions.context import Context
from openlink.domain.partners import frame_ancestors
from openlink.domain.rooms import Room
from openlink.errors import OpenLinkError
from openlink.queries import partners as queries

SITE_NAME = "OpenLink"
EMBED_WIDTH = 400
EMBED_HEIGHT = 220
#: The iframe may open the room in a new tab (outside the sandbox) and nothing else.
EMBED_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
LINK_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
EMBED_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors {}"
)
#: Link unfurlers that ask for ``*/*`` (or nothing) and still want the HTML card.
_UNFURLERS = re.compile(
    r"facebookexternalhit|facebot|twitterbot|slackbot|discordbot|linkedinbot|telegrambot"
    r"|whatsapp|kakaotalk-scrap|line-poker|skypeuripreview|iframely|embedly|redditbot"
    r"|pinterest|mastodon|applebot|googlebot|bingbot|yeti|daum|naver|vkshare|bluesky",
    re.I,
)
_HTML_TYPES = ("text/html", "application/xhtml+xml")

#: Autoescape for every template whatever its name, and a missing variable is an error
#: rather than an empty string.
_TEMPLATES = Environment(
    loader=PackageLoader("openlink.http", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    auto_reload=False,
)


def render(template: str, **values: Any) -> str:
    return _TEMPLATES.get_template(template).render(site=SITE_NAME, **values)


def public_base(ctx: Context, request: Request) -> str:
    """The base of the absolute links the server hands out: ``public_url``, else the
    request's own base, but only for a Host in ``allowed_hosts``. The Host header is the
    client's to choose: a link card or QR code built from ``Host: evil.example`` (or an
    allowed name on a port the server does not serve) would send people there, and
    shared caches keep such pages for minutes."""
    settings = ctx.settings
    socket = request.scope.get("server") or (None, None)
    if not settings.public_url and not settings.allows_host(
        request.url.hostname or "", request.url.port, socket[1]
    ):
        raise OpenLinkError(
            "This server does not serve links for that host name and port. Its operator "
            "sets OPENLINK_PUBLIC_URL or lists the host in OPENLINK_ALLOWED_HOSTS.",
            code="host_not_allowed",
        )
    return settings.public_base(str(request.base_url))


def wants_html(request: Request) -> bool:
    """Whether ``GET /l/{code}`` answers with the HTML card instead of JSON.

    HTML when the ``Accept`` header ranks ``text/html`` (or XHTML) at least as high as
    ``application/json``; or when it names no specific type (absent, or only ``*/*``)
    and the ``User-Agent`` is a known link unfurler. Everything else gets JSON."""
    ranks = _accept_ranks(request.headers.get("accept", ""))
    html = max((ranks.get(t, -1.0) for t in _HTML_TYPES), default=-1.0)
    if html > 0:
        return html >= ranks.get("application/json", -1.0)
    if set(ranks) <= {"*/*"}:
        return bool(_UNFURLERS.search(request.headers.get("user-agent", "")))
    return False


def _accept_ranks(header: str) -> dict[str, float]:
    ranks: dict[str, float] = {}
    for item in header.split(",")[:50]:
        media, *params = (p.strip() for p in item.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranks[media.lower()] = max(q, ranks.get(media.lower(), 0.0))
    return ranks


def embed_snippet(embed_url: str, title: str, width: int, height: int) -> str:
    """The copy-paste iframe for a room's widget."""
    return render(
        "snippet.html",
        src=embed_url,
        title=title,
        width=width,
        height=height,
        sandbox=EMBED_SANDBOX,
    )


def _members(room: Room) -> str:
    return f"{room.member_count} member{'' if room.member_count == 1 else 's'}"


async def link_page(ctx: Context, request: Request, code: str) -> HTMLResponse:
    """The link card: OpenGraph and Twitter tags for unfurlers, a page for people."""
    try:
        base = public_base(ctx, request)
        room, _ = await queries.room_behind_link(ctx, code)
    except OpenLinkError as exc:
        return error_page(exc, LINK_CSP)
    url = f"{base}/l/{code}"
    description = room.description or f"{_members(room)} · an open chat on {SITE_NAME}"
    image = _absolute(base, room.cover_url)
    og = [
        ("og:title", room.name),
        ("og:description", description),
        ("og:url", url),
        ("og:type", "website"),
        ("og:site_name", SITE_NAME),
    ]
    twitter = [
        ("twitter:card", "summary_large_image" if image else "summary"),
        ("twitter:title", room.name),
        ("twitter:description", description),
    ]
    if image:
        og.append(("og:image", image))
        twitter.append(("twitter:image", image))
    page = render(
        "link.html",
        title=room.name,
        room=room,
        members=_members(room),
        code=code,
        url=url,
        description=description,
        og=og,
        twitter=twitter,
        oembed=f"{base}/oembed?url={quote(url, safe='')}&format=json",
    )
    response = HTMLResponse(page)
    response.headers["Content-Security-Policy"] = LINK_CSP
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


async def embed_page(ctx: Context, request: Request, code: str) -> HTMLResponse:
    """The widget, frameable only by the origins of the partners whose content links to it."""
    try:
        url = f"{public_base(ctx, request)}/l/{code}"
        room, origins = await queries.room_behind_link(ctx, code)
    except OpenLinkError as exc:
        return error_page(exc, EMBED_CSP.format("'none'"))
    page = render("embed.html", title=room.name, room=room, members=_members(room), url=url)
    response = HTMLResponse(page)
    response.headers["Content-Security-Policy"] = EMBED_CSP.format(frame_ancestors(origins))
    # Framed by other sites: embedders that isolate themselves (COEP) require this.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def error_page(exc: OpenLinkError, csp: str) -> HTMLResponse:
    page = render("error.html", title=exc.message, message=exc.message)
    response = HTMLResponse(page, status_code=exc.status)
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-store"
    return response


def _absolute(base: str, url: str | None) -> str | None:
    if not url:
        return None
    return base + url if url.startswith("/") else url
