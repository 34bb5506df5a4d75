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
import logging
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
from openlink.actions.flow import check_may_share
from openlink.actions.media_bans import check_not_banned
from openlink.actions.notify import notify_user, publish_to_user
from openlink.config import Settings
from openlink.domain import media as rules
from openlink.domain.accounts import User
from openlink.domain.ids import new_id
from openlink.domain.media import MediaItem, MediaKind, MediaState, Variant
from openlink.domain.members import Member
from openlink.domain.permissions import Action
from openlink.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    OpenLinkError,
    PayloadTooLarge,
)
from openlink.media.process import MediaBusy, MediaRefused, Processed
from openlink.queries.access import access_sender
from openlink.store import clips as clips_store
from openlink.store import media as store
from openlink.store.db import Tx

log = logging.getLogger("openlink.media")
CHUNK = 256 << 10
WRITE_BATCH = 1 << 20
#: While the collector deletes a blob an upload wants, the upload waits this long for
#: the row to go, at most ``CLAIM_TRIES`` times.
CLAIM_WAIT_S = 0.1
CLAIM_TRIES = 50
#: Rows the collector handles per transaction.
GC_BATCH = 200
#: How long past a job's own deadline an upload may stay pending before the collector
#: gives it up: the job's node finishing its last write, and clocks of nodes that differ.
STALLED_MARGIN_S = 600


def job_deadline_s(settings: Settings) -> float:
    """How long a job may take on its node, end to end (waiting for a worker, processing
    within ``media_job_timeout_s``, storing), before that node fails it itself."""
    return 2 * settings.media_job_timeout_s


def stalled_after_s(settings: Settings) -> float:
    """How long an upload stays pending before the collector takes it for one whose node
    died mid-job: no live node still runs a job that old (decision 0030)."""
    return job_deadline_s(settings) + STALLED_MARGIN_S


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
        check_may_share(member, policy, ctx.now())
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


@dataclass(slots=True)
class _Job:
    """One upload being processed, shared by its request and its background task."""

    item: MediaItem
    spooled: Spooled
    workdir: Path
    #: The request answered ``pending`` (or went away): the outcome goes to the
    #: uploader's sockets, and a refusal marks the upload failed.
    detached: bool = False
    #: The task is writing its outcome: the request waits for it rather than detach.
    finishing: bool = False


@dataclass(frozen=True, slots=True)
class _Outcome:
    item: MediaItem | None = None
    #: A refusal the request answers (nothing was stored).
    error: OpenLinkError | None = None


def _inline_wait(ctx: Context, kind: MediaKind, size: int) -> float | None:
    """How long the request waits for processing: files until done (they need no
    worker), small photos ``media_inline_wait_s``, the rest not at all."""
    if kind is MediaKind.FILE:
        return None
    if kind is MediaKind.IMAGE and size <= ctx.settings.media_inline_image_bytes:
        return ctx.settings.media_inline_wait_s
    return 0.0


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
    inside the body wins). Returns it ready, or ``pending`` while a background task
    processes it (which then sends ``media.ready`` or ``media.failed`` to the uploader's
    sockets); or raises a 4xx having stored nothing."""
    member = await check_upload(ctx, user, room_id, declared)
    named, chunks = await open_body()
    filename = named or filename
    spooled = await spool(chunks, incoming_dir(ctx), ctx.settings.media_max_bytes)
    try:
        await check_not_banned(ctx, [spooled.sha256])
        workdir = Path(
            await asyncio.to_thread(tempfile.mkdtemp, dir=incoming_dir(ctx), prefix="w-")
        )
        item = await _record_pending(ctx, user, member, spooled, filename, kind)
    except BaseException:
        await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
        raise
    job = _Job(item, spooled, workdir)
    task = ctx.tasks.spawn(_process(ctx, job), name=f"{JOB_TASKS}.{item.id}")
    if task is None:  # the server is stopping
        await _forget(ctx, job)
        raise MediaBusy("The server is restarting; try again in a moment.")
    wait_s = _inline_wait(ctx, kind, spooled.size)
    try:
        if wait_s is None or wait_s > 0:
            await asyncio.wait({task}, timeout=wait_s)
        if not task.done() and job.finishing:
            await asyncio.wait({task})  # its last write: a moment
    except BaseException:
        job.detached = True  # the client went away: the task goes on and tells its sockets
        raise
    if not task.done():
        job.detached = True
        return item
    if task.cancelled():  # the server is stopping; the upload is marked failed
        raise MediaBusy("The server is restarting; try again in a moment.")
    outcome: _Outcome = task.result()
    if outcome.error is not None:
        raise outcome.error
    assert outcome.item is not None
    return outcome.item


#: The prefix of the tasks that process uploads (``services/media.py`` drains them).
JOB_TASKS = "media.job"


async def _process(ctx: Context, job: _Job) -> _Outcome:
    """Process, store and mark ready; on a refusal either hand it to the request that
    still waits (the row removed: nothing stored) or mark the upload failed and tell the
    uploader. Always removes the spooled file and the work folder."""
    item = job.item
    try:
        # Bounded end to end, so that an upload pending past this (and a margin) can only
        # be one whose node died: the collector fails those (decision 0030).
        async with asyncio.timeout(job_deadline_s(ctx.settings)):
            if job.detached:
                await _progress(ctx, item, "processing")
            processed = await ctx.media.process(item.kind.value, job.spooled.path, job.workdir)
            if job.detached:
                await _progress(ctx, item, "storing")
            await _store_outputs(ctx, item, processed, job.spooled)
        return _Outcome(item=item)
    except asyncio.CancelledError:
        # The server is stopping: the uploader hears that it failed, rather than nothing.
        job.finishing = True
        await _fail(ctx, job, _failed())
        raise
    except _GivenUp:
        # Nothing more to write or tell: the row stays failed, its blobs go unused.
        job.finishing = True
        return _Outcome(error=_failed())
    except Exception as exc:
        job.finishing = True
        if isinstance(exc, OpenLinkError):
            error = exc
        elif isinstance(exc, TimeoutError):
            error = _took_too_long(ctx.settings)
        else:
            log.exception("processing upload %s failed", item.id)
            error = _failed()
        if job.detached:
            await _fail(ctx, job, error)
            return _Outcome()
        await _forget(ctx, job)
        return _Outcome(error=error)
    finally:
        await asyncio.to_thread(job.spooled.path.unlink, missing_ok=True)
        await asyncio.to_thread(shutil.rmtree, job.workdir, True)


class _GivenUp(Exception):
    """The collector failed the upload as stalled while its job ran on (a job past its
    deadline): the uploader was told, and the collector forgets it."""


def _failed() -> MediaRefused:
    return MediaRefused("media_processing_failed", "The file could not be processed.")


def _took_too_long(settings: Settings) -> MediaRefused:
    return MediaRefused(
        "media_processing_timeout",
        f"The file took longer than {job_deadline_s(settings):g} seconds to process.",
    )


def failed_event(item: MediaItem, error: OpenLinkError) -> dict[str, object]:
    """``media.failed`` for the uploader's sockets: the upload's view, and why."""
    event: dict[str, object] = {
        "type": "media.failed",
        "media": rules.media_view(item),
        "code": error.code,
        "message": error.message,
    }
    if error.details:
        event["details"] = error.details
    return event


async def _forget(ctx: Context, job: _Job) -> None:
    async with ctx.db.write() as tx:
        await store.delete_media(tx.conn, [job.item.id])
    await asyncio.to_thread(job.spooled.path.unlink, missing_ok=True)
    await asyncio.to_thread(shutil.rmtree, job.workdir, True)


async def _fail(ctx: Context, job: _Job, error: OpenLinkError) -> None:
    item = job.item
    item.state = MediaState.FAILED
    item.variants = {}
    async with ctx.db.write() as tx:
        await store.set_failed(tx.conn, item.id)
        notify_user(ctx, tx, item.uploader_id, failed_event(item, error))


async def _progress(ctx: Context, item: MediaItem, stage: str) -> None:
    """Coarse progress for the uploader's sockets; lost like any ephemeral event."""
    await publish_to_user(
        ctx,
        item.uploader_id,
        {"type": "media.progress", "media": item.id, "room": item.room_id, "stage": stage},
    )


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
        sha256=spooled.sha256,
    )
    async with ctx.db.write() as tx:
        # Counted with what is now stored: two uploads under way cannot both use the
        # last of a quota on SQLite (one writer); on PostgreSQL they may overshoot by one.
        await _check_quotas(ctx, tx.conn, user.id, item.room_id, spooled.size)
        await store.insert_media(tx.conn, item)
    return item


async def _store_outputs(
    ctx: Context, item: MediaItem, processed: Processed, spooled: Spooled
) -> None:
    hashed = []
    for out in processed.variants:
        if out.path == spooled.path:
            hashed.append((out, spooled.sha256, spooled.size))
        else:
            hashed.append((out, *await asyncio.to_thread(_hash_file, out.path)))
    # Again with what processing made: a banned picture re-encoded, or close to one.
    await check_not_banned(ctx, [sha for _, sha, _ in hashed], processed.phash)
    for out, sha, size in hashed:
        key = rules.blob_key(sha)
        await _claim_blob(ctx, key, size)
        if not await ctx.blobs.exists(key):
            await ctx.blobs.put_file(key, out.path, content_type=out.mime)
        item.variants[out.name] = Variant(
            name=out.name,
            blob_key=key,
            mime=out.mime,
            size=size,
            width=out.width,
            height=out.height,
            duration_ms=processed.duration_ms if out.name in _TIMED else None,
        )
    item.kind, item.mime = MediaKind(processed.kind), processed.mime
    item.width, item.height = processed.width, processed.height
    item.duration_ms, item.blurhash = processed.duration_ms, processed.blurhash
    item.waveform, item.phash = processed.waveform, processed.phash
    async with ctx.db.write() as tx:
        # Touched again with the rows that refer to them: a store that took longer than
        # the collector's grace period must not end up referring to deleted bytes.
        for v in item.variants.values():
            if not await store.touch_blob(tx.conn, v.blob_key, v.size, ctx.now()):
                raise Conflict(
                    "The server is busy storing this file; try again.", code="media_busy"
                )
        if not await store.set_ready(tx.conn, item):
            raise _GivenUp
        item.state = MediaState.READY
        # Sent even when the upload's own answer says ready: another tab of the account
        # learns it too, and a client never has to tell the two cases apart.
        notify_user(
            ctx, tx, item.uploader_id, {"type": "media.ready", "media": rules.media_view(item)}
        )


#: Variants that play: they carry the upload's duration.
_TIMED = frozenset({"video", "voice", "original"})


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
    stalled: int = 0
    previews: int = 0
    images: int = 0


async def do_fail_stalled(ctx: Context, now: datetime) -> int:
    """Mark failed the uploads pending for longer than any live node takes to finish a
    job (their node died mid-job) and tell each uploader with ``media.failed``; the
    collector forgets them later with the orphans. Returns how many."""
    cutoff = now - timedelta(seconds=stalled_after_s(ctx.settings))
    total = 0
    while True:
        async with ctx.db.write() as tx:
            ids = await store.fail_stalled(tx.conn, cutoff, GC_BATCH)
            for item in (await store.get_many(tx.conn, ids)).values():
                notify_user(ctx, tx, item.uploader_id, failed_event(item, _failed()))
        total += len(ids)
        if len(ids) < GC_BATCH:
            return total


async def do_collect(ctx: Context, now: datetime) -> Collected:
    """Fail the uploads a dead node left pending (:func:`do_fail_stalled`), forget uploads
    never attached within ``media_orphan_ttl_s``, then delete the blobs nothing refers to
    that nobody touched for ``media_blob_grace_s``."""
    s, done = ctx.settings, Collected()
    done.stalled = await do_fail_stalled(ctx, now)
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
