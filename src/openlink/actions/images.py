"""Avatars and covers: whatever picture a member shows to others is served by the instance.

A picture named by an http(s) URL is fetched once, when it is set, checked, re-encoded and
stored; an uploaded one is stored the same way. The member's views then carry the
instance's own path (``/api/images/{id}``), so no reader's browser ever asks another site
for it. See docs/decisions/0005 and 0017.
"""

from __future__ import annotations

import asyncio
from typing import Any

from openlink.actions.context import Context
from openlink.actions.instance import IMAGE_IDS, instance_key
from openlink.config import Settings
from openlink.domain.accounts import User
from openlink.domain.images import Image, image_id_of, image_path
from openlink.domain.members import ProfileKind, check_url
from openlink.errors import InvalidInput, RateLimited
from openlink.images import ImageStore
from openlink.images.fetch import FetchLimits, fetch_image, too_many_bytes
from openlink.images.normalize import normalize
from openlink.ratelimit import Rate


def fetch_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(
        max_bytes=settings.image_max_bytes,
        timeout_s=settings.image_fetch_timeout_s,
        max_redirects=settings.image_fetch_max_redirects,
        allowed=tuple(settings.image_fetch_allow_networks),
    )


def _store(ctx: Context) -> ImageStore:
    return ctx.images


async def check_image(ctx: Context, user: User, raw: str | None, what: str) -> str | None:
    """The stored form of an avatar or cover a member sets: None for none, else the path
    of an image this instance serves, fetching and storing a picture named by URL."""
    if raw is None or raw == "":
        return None
    image_id = image_id_of(raw)
    if image_id is not None:
        if not await _store(ctx).exists(image_id):
            raise InvalidInput(f"The {what} names no image on this server.", code="image_not_found")
        return raw
    url = check_url(raw, what)
    if url is None or url.startswith("/"):
        raise InvalidInput(
            f"The {what} must be an http(s) URL or an image uploaded here.", code="invalid_url"
        )
    await check_images_allowed(ctx, user)
    data = await fetch_image(url, fetch_limits(ctx.settings))
    return image_path((await do_store_image(ctx, data)).id)


async def with_stored_avatar(ctx: Context, user: User, profile: dict[str, Any]) -> dict[str, Any]:
    """A join's profile choice with a typed-in avatar URL replaced by the stored image.
    Runs before the join's transaction: a fetch must never hold the write lock."""
    if profile.get("kind") != ProfileKind.OPEN or profile.get("open_profile_id"):
        return profile
    avatar = await check_image(ctx, user, profile.get("avatar_url"), "avatar")
    return {**profile, "avatar_url": avatar}


async def check_images_allowed(ctx: Context, user: User) -> None:
    """Count one picture for the account; 429 once its limit is used up. A fetch costs the
    server a connection to wherever the URL points, and a decode its CPU."""
    s = ctx.settings
    if not s.images_per_account:
        return
    rate = Rate(s.images_per_account, s.images_window_s)
    wait = await ctx.limiter.hit(f"images:account:{user.id}", rate)
    if wait is not None:
        raise RateLimited(
            "Too many new pictures. Try again later.", retry_after_s=wait, code="too_many_images"
        )


async def do_upload_image(ctx: Context, user: User, data: bytes) -> Image:
    await check_images_allowed(ctx, user)
    if len(data) > ctx.settings.image_max_bytes:
        raise too_many_bytes(ctx.settings.image_max_bytes)
    return await do_store_image(ctx, data)


async def do_store_image(ctx: Context, data: bytes, *, previews_only: bool = False) -> Image:
    """Normalize ``data`` off the event loop and keep it; the same picture twice is kept
    once. ``previews_only``: for a link preview's card, so the collector may delete it
    once no preview and no message shows it; avatars and covers stay stored."""
    s = ctx.settings
    key = await instance_key(ctx, IMAGE_IDS)
    image = await asyncio.to_thread(
        normalize, data, key=key, max_pixels=s.image_max_pixels, max_side=s.image_max_side
    )
    await _store(ctx).put(image, previews_only=previews_only)
    return image
