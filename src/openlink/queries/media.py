"""Reading media: ``access_media`` is the one way to reach an upload for a user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from openlink.actions.context import Context
from openlink.actions.instance import MEDIA_URLS, instance_key
from openlink.domain.accounts import User, require_operator
from openlink.domain.events import iso, message_view
from openlink.domain.media import (
    MediaItem,
    MediaKind,
    MediaState,
    Variant,
    check_signature,
    sign_views,
    url_expiry,
)
from openlink.domain.messages import Message
from openlink.domain.permissions import may_read_hidden
from openlink.errors import NotFound
from openlink.media.storage import BlobNotFound
from openlink.queries.access import access_clip, access_clip_media
from openlink.store import clips as clips_store
from openlink.store import media as store
from openlink.store import members as members_store
from openlink.store import messages as messages_store


def media_not_found() -> NotFound:
    return NotFound("No such media, or you may not read it.", code="media_not_found")


async def access_media(ctx: Context, user: User, media_id: str) -> MediaItem:
    """The upload, if ``user`` may read it: once attached, any member of its room while
    the message is neither deleted nor hidden (hidden: those who may review it); before
    that, its uploader only. Missing and forbidden are the same error."""
    async with ctx.db.read() as conn:
        item = await store.get_media(conn, media_id)
        if item is None:
            raise media_not_found()
        if item.seq is None:
            if item.uploader_id != user.id:
                # A clip's video: whoever may see the clip (queries/clips.py).
                try:
                    await access_clip_media(conn, user, media_id)
                except NotFound:
                    raise media_not_found() from None
            return item
        assert item.room_id is not None
        member = await members_store.active_member(conn, item.room_id, user.id)
        if member is None:
            raise media_not_found()
        message = await messages_store.get_message(conn, item.room_id, item.seq)
    if message is None or message.deleted:
        raise media_not_found()
    # Hidden with its message; those who review hidden messages still see it.
    if message.hidden and not may_read_hidden(member.role, member.rights):
        raise media_not_found()
    return item


async def signed(ctx: Context, obj: Any) -> Any:
    """``obj`` with its Media views' URLs signed for this hour (the same for everyone)."""
    key = await instance_key(ctx, MEDIA_URLS)
    return sign_views(obj, key, url_expiry(ctx.now().timestamp()))


async def signed_message(ctx: Context, message: Message) -> dict[str, Any]:
    """A message's view as it leaves the server: its attachments' URLs signed."""
    return dict(await signed(ctx, message_view(message)))


async def access_signed_variant(
    ctx: Context, media_id: str, name: str, expiry: int, sig: str
) -> Readable:
    """A variant read through a signed URL: anyone holding the URL until it expires, as
    long as the upload is still readable by someone who was given it (not forgotten,
    not on a deleted or hidden message)."""
    key = await instance_key(ctx, MEDIA_URLS)
    check_signature(key, media_id, name, expiry, sig, ctx.now().timestamp())
    async with ctx.db.read() as conn:
        item = await store.get_media(conn, media_id)
        if item is None:
            raise media_not_found()
        if item.seq is not None:
            assert item.room_id is not None
            message = await messages_store.get_message(conn, item.room_id, item.seq)
            if message is None or message.deleted or message.hidden:
                raise media_not_found()
        else:
            # A hidden clip's video is not served by its URLs any more either.
            clip = await clips_store.clip_of_media(conn, media_id)
            if clip is not None and clip.hidden:
                raise media_not_found()
    return _variant(item, name)


@dataclass(frozen=True, slots=True)
class Readable:
    item: MediaItem
    variant: Variant

    @property
    def download(self) -> bool:
        """Served as a download only: a file, whatever its bytes."""
        return self.item.kind is MediaKind.FILE


async def access_variant(ctx: Context, user: User, media_id: str, name: str) -> Readable:
    return _variant(await access_media(ctx, user, media_id), name)


def _variant(item: MediaItem, name: str) -> Readable:
    variant = item.variants.get(name)
    if item.state is not MediaState.READY or variant is None:
        raise NotFound("No such variant of this media.", code="variant_not_found")
    return Readable(item, variant)


async def open_bytes(
    ctx: Context, readable: Readable, start: int, end: int
) -> AsyncIterator[bytes]:
    """The bytes ``[start, end)`` of the variant, with the first chunk read already: a
    missing blob is an error answer, not a response cut off after its headers."""
    chunks = ctx.blobs.get(readable.variant.blob_key, start, end)
    try:
        first = await anext(chunks, b"")
    except BlobNotFound:
        raise NotFound("The media's bytes are gone.", code="media_gone") from None

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return rest()


async def presigned_url(ctx: Context, readable: Readable) -> str | None:
    """With S3 and ``media_s3_redirect``: a short-lived URL for a variant that is not a
    file (files keep the download headers only the server can set)."""
    if not ctx.settings.media_s3_redirect or readable.download:
        return None
    return await ctx.blobs.url(readable.variant.blob_key, expires_s=ctx.settings.media_url_ttl_s)


async def clip_variant(ctx: Context, user: User | None, clip_id: str, part: str) -> Readable:
    """The bytes of a clip the caller may see: ``video`` (the transcoded MP4, or the
    original when it was kept as it is) or ``poster``."""
    async with ctx.db.read() as conn:
        seen = await access_clip(conn, user, clip_id)
        item = await store.get_media(conn, seen.clip.media_id)
    names = ("video", "original") if part == "video" else ("poster",)
    for name in names:
        if item is not None and item.state is MediaState.READY and name in item.variants:
            return Readable(item, item.variants[name])
    raise NotFound("No such variant of this media.", code="variant_not_found")


async def media_bans(ctx: Context, user: User) -> list[dict[str, Any]]:
    """Every media ban, newest first (operator)."""
    require_operator(user)
    async with ctx.db.read() as conn:
        found = await store.bans(conn)
    return [
        {
            "id": b["ban_id"],
            "reason": b["reason"],
            "media_id": b["media_id"],
            "created_at": iso(b["created_at"]),
            "hashes": int(b["hashes"]),
            "perceptual": bool(b["phashes"]),
        }
        for b in found
    ]
