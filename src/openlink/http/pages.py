"""The few HTML pages the server renders itself: the link card (``/l/{code}`` for browsers
and link unfurlers) and the embeddable widget (``/embed/{code}``).

Pages are small, self-contained and script-free: inline CSS, no external resources, every
piece of user text escaped. Each sets its own ``Content-Security-Policy``.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import quote

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

_STYLE = """
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;
background:#fff}
main{max-width:36rem;margin:0 auto;padding:1rem 1.25rem}
h1{font-size:1.25rem;margin:.2rem 0 .4rem;overflow-wrap:anywhere}
p{margin:.3rem 0;overflow-wrap:anywhere}
.meta{color:#5f6368;font-size:.9rem}
.tags span{display:inline-block;margin:0 .3rem .3rem 0;padding:.05rem .5rem;
border-radius:1rem;background:#eef1f5;font-size:.85rem}
.join{display:inline-block;margin-top:.6rem;padding:.5rem 1.1rem;border-radius:.5rem;
background:#fee500;color:#191919;font-weight:600;text-decoration:none}
.site{color:#5f6368;font-size:.8rem;margin-top:.8rem}
"""


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
    return (
        f'<iframe src="{escape(embed_url)}" width="{width}" height="{height}" '
        f'title="{escape(title)} on {SITE_NAME}" sandbox="{EMBED_SANDBOX}" '
        'loading="lazy" referrerpolicy="no-referrer" style="border:0;max-width:100%">'
        "</iframe>"
    )


def _tags(room: Room) -> str:
    return "".join(f"<span>#{escape(t.name)}</span>" for t in room.tags)


def _members(room: Room) -> str:
    return f"{room.member_count} member{'' if room.member_count == 1 else 's'}"


def _page(title: str, head: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>{head}<style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


async def link_page(ctx: Context, request: Request, code: str) -> HTMLResponse:
    """The link card: OpenGraph and Twitter tags for unfurlers, a page for people."""
    try:
        base = public_base(ctx, request)
        room, _ = await queries.room_behind_link(ctx, code)
    except OpenLinkError as exc:
        return error_page(exc, LINK_CSP)
    url = f"{base}/l/{code}"
    description = room.description or f"{_members(room)} · an open chat on {SITE_NAME}"
    meta = [
        ("og:title", room.name),
        ("og:description", description),
        ("og:url", url),
        ("og:type", "website"),
        ("og:site_name", SITE_NAME),
    ]
    image = _absolute(base, room.cover_url)
    if image:
        meta.append(("og:image", image))
    tags = [f'<meta property="{k}" content="{escape(v)}">' for k, v in meta]
    card = "summary_large_image" if image else "summary"
    twitter = [("twitter:card", card), ("twitter:title", room.name)]
    twitter.append(("twitter:description", description))
    if image:
        twitter.append(("twitter:image", image))
    tags += [f'<meta name="{k}" content="{escape(v)}">' for k, v in twitter]
    oembed = f"{base}/oembed?url={quote(url, safe='')}&format=json"
    tags.append(
        f'<link rel="alternate" type="application/json+oembed" href="{escape(oembed)}" '
        f'title="{escape(room.name)}">'
    )
    tags.append(f'<link rel="canonical" href="{escape(url)}">')
    tags.append(f'<meta name="description" content="{escape(description)}">')
    body = (
        f"<h1>{escape(room.name)}</h1>"
        f'<p class="meta">{_members(room)}</p>'
        f'<p class="tags">{_tags(room)}</p>'
        f"<p>{escape(room.description)}</p>"
        f'<p><a class="join" href="/#/join/{quote(code)}">Open in {SITE_NAME}</a></p>'
        f'<p class="meta">Or share this link: <a href="{escape(url)}">{escape(url)}</a></p>'
    )
    response = HTMLResponse(_page(room.name, "".join(tags), body))
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
    body = (
        f"<h1>{escape(room.name)}</h1>"
        f'<p class="tags">{_tags(room)}</p>'
        f'<p class="meta">{_members(room)}</p>'
        f'<a class="join" href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
        "Join the chat</a>"
        f'<p class="site">{SITE_NAME}</p>'
    )
    response = HTMLResponse(_page(room.name, "", body))
    response.headers["Content-Security-Policy"] = EMBED_CSP.format(frame_ancestors(origins))
    # Framed by other sites: embedders that isolate themselves (COEP) require this.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def error_page(exc: OpenLinkError, csp: str) -> HTMLResponse:
    body = f"<h1>{escape(exc.message)}</h1><p class='site'>{SITE_NAME}</p>"
    response = HTMLResponse(_page(exc.message, "", body), status_code=exc.status)
    response.headers["Content-Security-Policy"] = csp
    response.headers["Cache-Control"] = "no-store"
    return response


def _absolute(base: str, url: str | None) -> str | None:
    if not url:
        return None
    return base + url if url.startswith("/") else url
