"""Link previews: which URL of a message gets a card, and what a page says about itself.

Pure rules only. The fetch is ``net/fetch.py``'s; the flow is ``actions/previews.py``.
A page is read with the standard library's ``html.parser`` (decisions/0025): the head's
``<title>``, ``<meta name="description">``, OpenGraph (``og:*``) and Twitter card
(``twitter:*``) tags, and an oEmbed discovery link.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from w3lib.encoding import html_to_unicode

from openlink.domain.partners import canonical_url
from openlink.errors import InvalidInput

#: What the server calls itself to robots.txt and in its requests.
USER_AGENT = "OpenLinkBot"
MAX_URL_CHARS = 2_000
MAX_TITLE = 200
MAX_DESCRIPTION = 300
MAX_SITE_NAME = 80

# The same links the web app turns into anchors (web/js/util.js, URL_RE): http(s) only,
# ending before trailing punctuation, so the card names a link the reader sees.
_URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_OEMBED_TYPES = ("application/json+oembed", "text/json+oembed")


@dataclass(frozen=True, slots=True)
class LinkPreview:
    """A card under a message: what the page says, the picture as this server serves it."""

    url: str
    title: str | None
    description: str | None
    site_name: str | None
    #: ``/api/images/{id}``, never the page's own picture address.
    image: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "title": self.title,
            "description": self.description,
            "site_name": self.site_name,
            "image": self.image,
        }


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    #: Absolute URLs, resolved against the page's address.
    image_url: str | None = None
    oembed_url: str | None = None

    @property
    def empty(self) -> bool:
        return not self.title and not self.description


def first_url(body: str | None) -> str | None:
    """The URL a message's preview is for: its first http(s) link, if one is short
    enough and carries no user name or password."""
    for match in _URL.finditer(body or ""):
        url = match.group(0)
        if len(url) > MAX_URL_CHARS:
            continue
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (a ValueError when out of range)
        except ValueError:
            continue
        if parts.hostname and not parts.username and not parts.password:
            return url
    return None


def cache_key(url: str) -> str | None:
    """One key for every spelling of a URL (w3lib's canonical form without tracking
    parameters, as for partners' works), hashed to a fixed size. None when the URL has
    no canonical form, so it gets no preview."""
    try:
        canonical = canonical_url(url)
    except InvalidInput:
        return None
    return hashlib.sha256(canonical.encode()).hexdigest()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def robots_allows(rules: str, url: str) -> bool:
    """Whether robots.txt ``rules`` let :data:`USER_AGENT` fetch ``url``."""
    parser = RobotFileParser()
    parser.parse(rules.splitlines())
    return parser.can_fetch(USER_AGENT, url)


def decode_page(content_type: str, body: bytes) -> str:
    """The page as text: the charset of the header, else a byte-order mark or a
    ``<meta charset>``, else UTF-8; undecodable bytes replaced."""
    _, text = html_to_unicode(content_type or None, body)
    return text


def parse_page(text: str, base_url: str) -> PageMeta:
    """What the head of a page says about it. OpenGraph wins over Twitter cards, which
    win over ``<title>`` and the plain description. Reading stops at ``<body>``."""
    parser = _HeadParser()
    try:
        parser.feed(text)
        parser.close()
    except _EndOfHead:
        pass
    found = parser.found

    def pick(*keys: str) -> str | None:
        return next((found[k] for k in keys if found.get(k)), None)

    image = pick("og:image:secure_url", "og:image", "og:image:url", "twitter:image")
    return PageMeta(
        title=_clean(pick("og:title", "twitter:title", "title"), MAX_TITLE),
        description=_clean(
            pick("og:description", "twitter:description", "description"), MAX_DESCRIPTION
        ),
        site_name=_clean(pick("og:site_name", "application-name"), MAX_SITE_NAME),
        image_url=_absolute(base_url, image),
        oembed_url=_absolute(base_url, found.get("oembed")),
    )


def parse_oembed(body: bytes, base_url: str) -> PageMeta:
    """The fields of an oEmbed answer (JSON) a card can use."""
    try:
        data = json.loads(body)
    except ValueError:
        return PageMeta()
    if not isinstance(data, dict):
        return PageMeta()

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    return PageMeta(
        title=_clean(text("title"), MAX_TITLE),
        site_name=_clean(text("provider_name"), MAX_SITE_NAME),
        image_url=_absolute(base_url, text("thumbnail_url")),
    )


def _clean(value: str | None, limit: int) -> str | None:
    if not value:
        return None
    text = "".join(c for c in value if c.isprintable() or c.isspace())
    text = _SPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def _absolute(base: str, ref: str | None) -> str | None:
    if not ref:
        return None
    url = urljoin(base, ref.strip())
    if urlsplit(url).scheme not in ("http", "https") or len(url) > MAX_URL_CHARS:
        return None
    return url


class _EndOfHead(Exception):
    pass


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, str] = {}
        self._in_title = False
        self._title: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            raise _EndOfHead
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "title" and "title" not in self.found:
            self._in_title = True
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.found.setdefault(key, values["content"])
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").lower()
            if "alternate" in rels and kind in _OEMBED_TYPES and values.get("href"):
                self.found.setdefault("oembed", values["href"])

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.found["title"] = "".join(self._title)
        elif tag == "head":
            raise _EndOfHead
