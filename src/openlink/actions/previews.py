"""Link previews: a card under a message with a link, fetched by the server, never by readers.

After a message with an http(s) link commits, a task under the supervisor finds the card
of its first link: from the cache by URL if fresh, else by fetching the page through the
guarded fetcher (robots.txt first, then the page's head, then its oEmbed answer if the
head says little), with its picture re-hosted by the instance's image pipeline. The card
is then attached to the message as a change of its own (a new rev, ``change: preview``),
so live readers, resuming readers and history all see it. See decisions/0025.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openlink.actions import images
from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.domain import previews as rules
from openlink.domain.accounts import User
from openlink.domain.images import image_path
from openlink.domain.messages import Message, MessageKind
from openlink.domain.permissions import Action
from openlink.domain.previews import LinkPreview, PageMeta
from openlink.errors import NotFound, OpenLinkError
from openlink.images.fetch import fetch_image
from openlink.net.fetch import FetchLimits, Want, fetch
from openlink.queries.access import access_room_as_member, check_can
from openlink.ratelimit import Rate
from openlink.store import messages as messages_store
from openlink.store import previews as store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx

log = logging.getLogger(__name__)

#: The name of the tasks that find and attach a card (tests wait for them to settle).
PREVIEW_TASK = "link-preview"

_AGENT = f"{rules.USER_AGENT}/1.0 (link previews)"
_PAGE = Want(
    noun="page",
    accept="text/html,application/xhtml+xml;q=0.9",
    types=("text/html", "application/xhtml+xml"),
    truncate=True,
    user_agent=_AGENT,
)
_ROBOTS = Want(noun="page", accept="text/plain", types=("text/",), truncate=True, user_agent=_AGENT)
_OEMBED = Want(
    noun="page",
    accept="application/json",
    types=("application/json", "text/json", "application/json+oembed"),
    user_agent=_AGENT,
)
#: robots.txt read past this is cut, like crawlers do.
_ROBOTS_MAX_BYTES = 64 << 10
_OEMBED_MAX_BYTES = 64 << 10
#: How often at most a cached preview's last use is written down.
_USE_GRAIN = timedelta(hours=1)
#: Rows the collector deletes per transaction.
PRUNE_BATCH = 200
#: What "nothing allowed" reads like: robots.txt unreachable or failing (RFC 9309, 2.3.1.4).
_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def removed_card(url: str) -> dict[str, Any]:
    """What a removed card is stored as: the link it was for, so the same link is not
    previewed again for this message (an edit to another link is)."""
    return {"url": url, "removed": True}


class _Unchanged(Exception):
    """Nothing to attach: roll the taken rev back."""


def previews_after_commit(ctx: Context, tx: Tx, user_id: int, message: Message) -> None:
    """Once ``tx`` commits, find and attach the card of ``message``'s first link, in the
    background. Nothing for a hidden, deleted or non-text message, one with no link, or
    one whose card is already that link's."""
    url = wanted_url(ctx, message)
    if url is None or (message.preview or {}).get("url") == url:
        return

    async def start() -> None:
        ctx.tasks.spawn(
            attach_preview(ctx, user_id, message.room_id, message.seq, url), name=PREVIEW_TASK
        )

    tx.after_commit(start)


def card_outdated(card: dict[str, Any] | None, body: str) -> bool:
    """Whether an edit to ``body`` leaves ``card`` for a link the message no longer
    leads with: it is dropped in the edit, and the new link's card follows."""
    return card is not None and card.get("url") != rules.first_url(body)


def wanted_url(ctx: Context, message: Message) -> str | None:
    if not ctx.settings.link_previews or message.kind is not MessageKind.TEXT:
        return None
    if message.hidden or message.deleted:
        return None
    return rules.first_url(message.body)


async def attach_preview(ctx: Context, user_id: int, room_id: str, seq: int, url: str) -> None:
    # Read here, off the send path, which reads nothing for previews.
    async with ctx.db.read() as conn:
        if not await rooms_store.link_previews_on(conn, room_id):
            return
    preview = await find_preview(ctx, user_id, url)
    if preview is None:
        return
    try:
        async with ctx.db.write() as tx:
            rev = await rooms_store.next_seq(tx.conn, room_id)
            message = await messages_store.get_message(tx.conn, room_id, seq)
            # The message may have changed while the page was fetched: an edit to another
            # link has its own task; a delete or a hide wants no card.
            if message is None or wanted_url(ctx, message) != url:
                raise _Unchanged
            if message.preview in (preview.view(), removed_card(url)):
                raise _Unchanged
            updated = await messages_store.update_message(
                tx.conn, room_id, seq, preview=preview.view(), rev=rev
            )
            notify_message(ctx, tx, updated, "preview")
    except _Unchanged:
        return


async def do_remove_preview(ctx: Context, user: User, room_id: str, seq: int) -> Message:
    """Take a message's card away for everyone: its sender may, and whoever may hide
    messages. The link stays in the text and gets no card again (an edit to another link
    does). Repeating it changes nothing."""
    async with ctx.db.write() as tx:
        room, member = await access_room_as_member(tx.conn, user, room_id, for_update=True)
        message = await messages_store.get_message(tx.conn, room_id, seq)
        if message is None or message.kind is not MessageKind.TEXT or message.deleted:
            raise NotFound("No such message in this room.", code="message_not_found")
        if message.member_id != member.id:
            check_can(room, member, Action.HIDE_MESSAGE)
        url = rules.first_url(message.body)
        if url is None:
            raise NotFound("This message has no link to preview.", code="preview_not_found")
        if message.preview == removed_card(url):
            return message
        rev = await rooms_store.next_seq(tx.conn, room_id)
        updated = await messages_store.update_message(
            tx.conn, room_id, seq, preview=removed_card(url), rev=rev
        )
        notify_message(ctx, tx, updated, "preview")
        return updated


async def find_preview(ctx: Context, user_id: int, url: str) -> LinkPreview | None:
    """The card for ``url``: cached if fresh, else fetched (within the account's and the
    server's limits) and cached, a failure for a short while so a dead site is not asked
    again for every message."""
    key = rules.cache_key(url)
    if key is None:
        return None
    cached = await _cached(ctx, key)
    if cached is not None:
        return cached.preview(url)
    # One fetch per URL at a time in this process: the same link sent twice at once
    # waits for the first fetch and finds its result in the cache.
    flight = ctx.preview_flights.setdefault(key, asyncio.Lock())
    try:
        async with flight:
            cached = await _cached(ctx, key)
            if cached is not None:
                return cached.preview(url)
            if not await _fetch_allowed(ctx, user_id):
                return None
            return await _fetch_and_cache(ctx, key, url)
    finally:
        if not flight.locked():
            ctx.preview_flights.pop(key, None)


async def _cached(ctx: Context, key: str) -> store.Cached | None:
    now = ctx.now()
    async with ctx.db.read() as conn:
        cached = await store.get_preview(conn, key, now=now)
    # Noted at most once an hour per URL: a link sent often costs no write per message.
    if cached is not None and (cached.used_at is None or cached.used_at < now - _USE_GRAIN):
        async with ctx.db.write() as tx:
            await store.mark_used(tx.conn, key, now=now)
    return cached


@dataclass(slots=True)
class Pruned:
    previews: int = 0
    images: int = 0


async def do_prune(ctx: Context, now: datetime) -> Pruned:
    """Forget cached previews no message got for ``link_preview_keep_s`` and robots.txt
    past its expiry, then delete the pictures only previews stored that no cached
    preview and no message shows, unless stored within ``media_blob_grace_s`` (a fetch
    may be about to cache one again)."""
    s, done = ctx.settings, Pruned()
    # Never less than the TTL: an entry still served must not lose its picture meanwhile.
    unused = now - timedelta(seconds=max(s.link_preview_keep_s, s.link_preview_ttl_s))
    while True:
        async with ctx.db.write() as tx:
            n = await store.delete_unused(tx.conn, unused, PRUNE_BATCH)
        done.previews += n
        if n < PRUNE_BATCH:
            break
    async with ctx.db.write() as tx:
        await store.delete_expired_robots(tx.conn, now)
    grace = now - timedelta(seconds=s.media_blob_grace_s)
    while True:
        n = await ctx.images.collect(grace, PRUNE_BATCH)
        done.images += n
        if n < PRUNE_BATCH:
            return done


async def _fetch_and_cache(ctx: Context, key: str, url: str) -> LinkPreview | None:
    s = ctx.settings
    now = ctx.now()
    try:
        preview = await fetch_preview(ctx, url)
    except OpenLinkError as exc:
        log.info("no link preview for a URL: %s", exc.code)
        preview = None
    ttl = s.link_preview_ttl_s if preview is not None else s.link_preview_failure_ttl_s
    async with ctx.db.write() as tx:
        await store.put_preview(
            tx.conn, key, preview, now=now, expires_at=ctx.now() + timedelta(seconds=ttl)
        )
    return preview


async def _fetch_allowed(ctx: Context, user_id: int) -> bool:
    """Count one fetch against the server's and the account's allowance."""
    s = ctx.settings
    for limit, key in (
        (s.link_previews_global, "previews:global"),
        (s.link_previews_per_account, f"previews:account:{user_id}"),
    ):
        if limit and await ctx.limiter.hit(key, Rate(limit, s.link_previews_window_s)):
            return False
    return True


def _limits(ctx: Context, max_bytes: int) -> FetchLimits:
    s = ctx.settings
    return FetchLimits(
        max_bytes=max_bytes,
        timeout_s=s.link_preview_timeout_s,
        max_redirects=s.link_preview_max_redirects,
        allowed=tuple(s.image_fetch_allow_networks),
    )


async def fetch_preview(ctx: Context, url: str) -> LinkPreview | None:
    """Fetch and read the page at ``url``; None when robots.txt forbids it, it is not an
    HTML page, or it says nothing a card could show."""
    if not await _robots_allow(ctx, url):
        return None
    page = await fetch(url, _limits(ctx, ctx.settings.link_preview_max_bytes), _PAGE)
    if page.status != 200:
        return None
    meta = await asyncio.to_thread(_read_page, page.content_type, page.body, page.url)
    if (meta.empty or not meta.image_url) and meta.oembed_url:
        meta = _merge(meta, await _oembed(ctx, meta.oembed_url))
    if meta.empty:
        return None
    image = await _rehost(ctx, meta.image_url) if meta.image_url else None
    return LinkPreview(url, meta.title, meta.description, meta.site_name, image)


def _read_page(content_type: str, body: bytes, base_url: str) -> PageMeta:
    return rules.parse_page(rules.decode_page(content_type, body), base_url)


def _merge(page: PageMeta, oembed: PageMeta) -> PageMeta:
    return PageMeta(
        title=page.title or oembed.title,
        description=page.description,
        site_name=page.site_name or oembed.site_name,
        image_url=page.image_url or oembed.image_url,
    )


async def _oembed(ctx: Context, url: str) -> PageMeta:
    try:
        if not await _robots_allow(ctx, url):
            return PageMeta()
        answer = await fetch(url, _limits(ctx, _OEMBED_MAX_BYTES), _OEMBED)
    except OpenLinkError:
        return PageMeta()
    return rules.parse_oembed(answer.body, answer.url) if answer.status == 200 else PageMeta()


async def _robots_allow(ctx: Context, url: str) -> bool:
    """What the site's robots.txt says of ``url``, read through the same guard and kept
    per site. None there (4xx) allows everything; a failing one (5xx, no answer)
    forbids everything until it is read again."""
    site = rules.origin(url)
    async with ctx.db.read() as conn:
        cached = await store.get_robots(conn, site, now=ctx.now())
    if cached is None:
        cached, read = await _fetch_robots(ctx, site)
        s = ctx.settings
        ttl = s.link_preview_robots_ttl_s if read else s.link_preview_failure_ttl_s
        expires = ctx.now() + timedelta(seconds=ttl)
        async with ctx.db.write() as tx:
            await store.put_robots(tx.conn, site, cached, expires_at=expires)
    return rules.robots_allows(cached, url)


async def _fetch_robots(ctx: Context, site: str) -> tuple[str, bool]:
    """The rules, and whether the site answered (a failure is kept only briefly)."""
    try:
        answer = await fetch(site + "/robots.txt", _limits(ctx, _ROBOTS_MAX_BYTES), _ROBOTS)
    except OpenLinkError as exc:
        # An answer of another type is no robots.txt; anything else is a failure.
        return ("", True) if exc.code == "page_unsupported" else (_DISALLOW_ALL, False)
    if answer.status == 200:
        return answer.body.decode("utf-8", errors="replace"), True
    if 400 <= answer.status < 500:
        return "", True
    return _DISALLOW_ALL, False


async def _rehost(ctx: Context, image_url: str) -> str | None:
    """The page's picture as this server serves it, or None if it cannot be had."""
    try:
        data = await fetch_image(image_url, images.fetch_limits(ctx.settings))
        stored = await images.do_store_image(ctx, data, previews_only=True)
        return image_path(stored.id)
    except OpenLinkError as exc:
        log.info("no picture for a link preview: %s", exc.code)
        return None
