"""Uploading media to a room, attaching it to messages, and collecting what nothing uses.

An upload is streamed to a file under the media folder while it is read, hashed and
counted on the way, and refused the moment it passes ``media_max_bytes``. The upload is
then recorded as pending (which counts it against the quotas), processed (the
processing library's ``process``; today the files-only stand-in), its outputs stored as
content-addressed blobs, and marked ready. A refusal at any step removes what it
recorded: bad input leaves nothing stored. See docs/decisions/0028.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.actions.flow import check_not_timed_out, in_words
from openlink.domain import media as rules
from openlink.domain.accounts import User
from openlink.domain.governance import on_probation
from openlink.domain.ids import new_id
from openlink.domain.media import MediaItem, MediaKind, MediaState, Variant
from openlink.domain.members import Member
from openlink.domain.permissions import Action, Role
from openlink.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from openlink.media import passthrough as processing
from openlink.queries.access import access_sender
from openlink.store import clips as clips_store
from openlink.store import media as store
from openlink.store.db import Tx

CHUNK = 256 << 10
WRITE_BATCH = 1 << 20
#: While the collector deletes a blob an upload wants, the upload waits this long for
#: the row to go, at most ``CLAIM_TRIES`` times.
CLAIM_WAIT_S = 0.1
CLAIM_TRIES = 50
#: Rows the collector handles per transaction.
GC_BATCH = 200


@dataclass(frozen=True, slots=True)
class Spooled:
    path: Path
    size: int
    sha256: str


def media_not_found() -> NotFound:
    return NotFound("No such media, or it is not yours to use.", code="media_not_found")


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"A file is at most {max_bytes} bytes.", code="media_too_large", max_bytes=max_bytes
    )


def incoming_dir(ctx: Context) -> Path:
    return ctx.settings.effective_media_dir() / "incoming"


async def check_upload(
    ctx: Context, user: User, room_id: str | None, declared: int | None
) -> Member | None:
    """Before any byte is read: the account's upload rate, the right to post in the room
    now, and (when the client declared a length) the size and the quotas. Without a
    room (a clip's video for an interest, docs/protocol.md#clips) the account's only."""
    if declared is not None and declared > ctx.settings.media_max_bytes:
        raise too_large(ctx.settings.media_max_bytes)
    await limits.spend(ctx, limits.MEDIA_UPLOADS, user.id)
    if room_id is None:
        async with ctx.db.read() as conn:
            await _check_quotas(ctx, conn, user.id, None, declared or 0)
        return None
    async with ctx.db.read() as conn:
        member, policy = await access_sender(conn, user, room_id, Action.POST)
        now = ctx.now()
        check_not_timed_out(member, now)
        if member.role is Role.MEMBER and on_probation(member.joined_at, policy.probation_s, now):
            wait_s = (
                member.joined_at + timedelta(seconds=policy.probation_s) - now
            ).total_seconds()
            raise Forbidden(
                f"New members can share files {in_words(wait_s)}.",
                code="probation_no_media",
                retry_after_s=round(wait_s, 3),
            )
        await _check_quotas(ctx, conn, user.id, room_id, declared or 0)
    return member


async def _check_quotas(
    ctx: Context, conn: AsyncConnection, user_id: int, room_id: str | None, size: int
) -> None:
    s = ctx.settings
    if s.media_account_quota_bytes:
        used = await store.bytes_of_account(conn, user_id)
        if used + size > s.media_account_quota_bytes:
            raise PayloadTooLarge(
                "Your files take all the space your account has; delete some first.",
                code="account_media_quota",
                quota_bytes=s.media_account_quota_bytes,
                used_bytes=used,
            )
    if s.media_room_quota_bytes and room_id is not None:
        used = await store.bytes_of_room(conn, room_id)
        if used + size > s.media_room_quota_bytes:
            raise PayloadTooLarge(
                "This room holds all the files it may.",
                code="room_media_quota",
                quota_bytes=s.media_room_quota_bytes,
            )


async def spool(chunks: AsyncIterator[bytes], folder: Path, max_bytes: int) -> Spooled:
    """Write ``chunks`` to a new file in ``folder``, hashing and counting them; refuse
    (and remove the file) as soon as they pass ``max_bytes``."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    fd, name = await asyncio.to_thread(tempfile.mkstemp, dir=folder, prefix="up-")
    path = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        out = await asyncio.to_thread(os.fdopen, fd, "wb")
        with out:
            # Written a megabyte at a time: one thread hop per request chunk (64 KiB)
            # would cost more than the writes.
            pending: list[bytes] = []
            held = 0
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                digest.update(chunk)
                pending.append(chunk)
                held += len(chunk)
                if held >= WRITE_BATCH:
                    await asyncio.to_thread(out.writelines, pending)
                    pending, held = [], 0
            await asyncio.to_thread(out.writelines, pending)
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return Spooled(path, size, digest.hexdigest())


#: Opens the request's body once the checks passed: the file's name (if the body says
#: one) and its bytes.
BodyOpener = Callable[[], Awaitable[tuple[str | None, AsyncIterator[bytes]]]]


async def do_upload(
    ctx: Context,
    user: User,
    room_id: str | None,
    open_body: BodyOpener,
    *,
    filename: str | None,
    kind: MediaKind,
    declared: int | None = None,
) -> MediaItem:
    """Store an upload for ``room_id``; ``filename`` is the name the client gave (a name
    inside the body wins). Returns it ready, or raises a 4xx having stored nothing."""
    member = await check_upload(ctx, user, room_id, declared)
    named, chunks = await open_body()
    filename = named or filename
    spooled = await spool(chunks, incoming_dir(ctx), ctx.settings.media_max_bytes)
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, dir=incoming_dir(ctx), prefix="w-"))
    try:
        item = await _record_pending(ctx, user, member, spooled, filename, kind)
        try:
            processed = await processing.process(
                kind.value, spooled.path, workdir, processing.Limits(ctx.settings.media_max_bytes)
            )
            await _store_outputs(ctx, item, processed, spooled)
        except BaseException:
            async with ctx.db.write() as tx:
                await store.delete_media(tx.conn, [item.id])
            raise
        return item
    except processing.MediaRefused as refused:
        raise InvalidInput(refused.message, code=refused.code) from None
    finally:
        await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
        await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _record_pending(
    ctx: Context,
    user: User,
    member: Member | None,
    spooled: Spooled,
    filename: str | None,
    kind: MediaKind,
) -> MediaItem:
    item = MediaItem(
        id=new_id(),
        kind=kind,
        state=MediaState.PENDING,
        room_id=member.room_id if member is not None else None,
        member_id=member.id if member is not None else None,
        uploader_id=user.id,
        name=rules.clean_filename(filename),
        mime=rules.DOWNLOAD_TYPE,
        size=spooled.size,
        created_at=ctx.now(),
    )
    async with ctx.db.write() as tx:
        # Counted with what is now stored: two uploads under way cannot both use the
        # last of a quota on SQLite (one writer); on PostgreSQL they may overshoot by one.
        await _check_quotas(ctx, tx.conn, user.id, item.room_id, spooled.size)
        await store.insert_media(tx.conn, item)
    return item


async def _store_outputs(
    ctx: Context, item: MediaItem, processed: processing.Processed, spooled: Spooled
) -> None:
    for out in processed.outputs:
        if out.path == spooled.path:
            sha, size = spooled.sha256, spooled.size
        else:
            sha, size = await asyncio.to_thread(_hash_file, out.path)
        key = rules.blob_key(sha)
        await _claim_blob(ctx, key, size)
        if not await ctx.blobs.exists(key):
            await ctx.blobs.put_file(key, out.path, content_type=out.mime)
        item.variants[out.variant] = Variant(
            name=out.variant,
            blob_key=key,
            mime=out.mime,
            size=size,
            width=out.width,
            height=out.height,
            duration_ms=out.duration_ms,
        )
    item.kind, item.mime = processed.kind, processed.mime
    item.width, item.height = processed.width, processed.height
    item.duration_ms, item.blurhash = processed.duration_ms, processed.blurhash
    item.waveform = processed.waveform
    async with ctx.db.write() as tx:
        # Touched again with the rows that refer to them: a store that took longer than
        # the collector's grace period must not end up referring to deleted bytes.
        for v in item.variants.values():
            if not await store.touch_blob(tx.conn, v.blob_key, v.size, ctx.now()):
                raise Conflict(
                    "The server is busy storing this file; try again.", code="media_busy"
                )
        await store.set_ready(tx.conn, item)
    item.state = MediaState.READY


async def _claim_blob(ctx: Context, key: str, size: int) -> None:
    """Record the blob as in use now, so the collector leaves it alone; wait while the
    collector is deleting it."""
    for _ in range(CLAIM_TRIES):
        async with ctx.db.write() as tx:
            if await store.touch_blob(tx.conn, key, size, ctx.now()):
                return
        await asyncio.sleep(CLAIM_WAIT_S)
    raise Conflict("The server is busy storing this file; try again.", code="media_busy")


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# -- attachments (the send and edit of a message) -----------------------------------


async def check_attachments(
    tx: Tx, user: User, room_id: str, ids: list[str], *, seq: int | None = None
) -> list[MediaItem]:
    """The uploads a message attaches, in order: each the sender's own, uploaded to this
    room, ready, and not attached to another message (``seq``: the message edited).
    Another's upload and a missing one are the same error, so ids cannot be probed."""
    ids = rules.check_media_ids(ids)
    found = await store.get_many(tx.conn, ids)
    items = []
    for media_id in ids:
        item = found.get(media_id)
        if item is None or item.uploader_id != user.id:
            raise media_not_found()
        if item.room_id != room_id:
            raise InvalidInput("This file was uploaded to another room.", code="media_wrong_room")
        if (item.seq is not None and item.seq != seq) or await clips_store.clip_of_media(
            tx.conn, media_id
        ):
            raise Conflict("This file is attached to another message.", code="media_attached")
        if item.state is not MediaState.READY:
            raise Conflict("This file is still being processed.", code="media_not_ready")
        items.append(item)
    return items


async def do_attach(
    tx: Tx, items: list[MediaItem], room_id: str, seq: int, now: datetime
) -> list[dict[str, object]]:
    """Attach ``items`` to message ``seq`` and return what the message shows of them."""
    await store.attach(tx.conn, [i.id for i in items], room_id, seq, now)
    return [rules.media_view(i) for i in items]


async def do_detach_all_but(tx: Tx, room_id: str, seq: int, keep: list[str]) -> None:
    """Forget the uploads attached to message ``seq`` that are not in ``keep`` (an edit
    that removed them, or a delete): their blobs go when nothing else uses them."""
    gone = [m for m in await store.attached_to(tx.conn, room_id, seq) if m not in keep]
    await store.delete_media(tx.conn, gone)


# -- collection ------------------------------------------------------------------------


@dataclass(slots=True)
class Collected:
    uploads: int = 0
    blobs: int = 0


async def do_collect(ctx: Context, now: datetime) -> Collected:
    """Forget uploads never attached within ``media_orphan_ttl_s``, then delete the blobs
    nothing refers to that nobody touched for ``media_blob_grace_s``."""
    s, done = ctx.settings, Collected()
    cutoff = now - timedelta(seconds=s.media_orphan_ttl_s)
    while True:
        async with ctx.db.write() as tx:
            ids = await store.orphans(tx.conn, cutoff, GC_BATCH)
            await store.delete_media(tx.conn, ids)
        done.uploads += len(ids)
        if len(ids) < GC_BATCH:
            break
    grace = now - timedelta(seconds=s.media_blob_grace_s)
    while True:
        async with ctx.db.write() as tx:
            keys = await store.marked_blobs(tx.conn, GC_BATCH)
            keys += await store.mark_unused_blobs(tx.conn, grace, GC_BATCH - len(keys))
        for key in keys:
            await ctx.blobs.delete(key)
        async with ctx.db.write() as tx:
            await store.forget_blobs(tx.conn, keys)
        done.blobs += len(keys)
        if len(keys) < GC_BATCH:
            return done
