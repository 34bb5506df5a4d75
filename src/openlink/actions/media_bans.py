"""Operators' bans of media: a ban is made from one upload and holds the SHA-256 of its
bytes and of each variant, and a picture's perceptual hash. Banned bytes are refused on
upload (``media_banned``), a picture within ``PHASH_SAME_PICTURE`` bits of a banned one
too; uploads already stored that match are removed, and taken out of the messages that
attached them (a new rev, ``change: edited``). See docs/decisions/0030.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from openlink.actions.audit import do_audit_operator
from openlink.actions.context import Context
from openlink.actions.notify import notify_message
from openlink.domain.accounts import User, require_operator
from openlink.domain.events import iso
from openlink.domain.ids import new_id
from openlink.domain.media import PHASH_SAME_PICTURE, MediaItem, phash_distance, sha256_of_key
from openlink.errors import Conflict, Forbidden, InvalidInput, NotFound
from openlink.store import media as store
from openlink.store import messages as messages_store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx

log = logging.getLogger("openlink.operator")
MAX_REASON = 500


def banned() -> Forbidden:
    return Forbidden("This file may not be shared on this server.", code="media_banned")


async def check_not_banned(ctx: Context, sha256s: list[str], phash: str | None = None) -> None:
    """Refuse bytes an operator banned, and a picture too close to a banned one."""
    async with ctx.db.read() as conn:
        if await store.is_banned(conn, sha256s):
            raise banned()
        if phash is not None:
            for other in await store.banned_phashes(conn):
                if phash_distance(phash, other) <= PHASH_SAME_PICTURE:
                    raise banned()


def _hashes(item: MediaItem) -> tuple[list[str], list[str]]:
    shas = {sha256_of_key(v.blob_key) for v in item.variants.values()}
    if item.sha256:
        shas.add(item.sha256)
    return sorted(shas), [item.phash] if item.phash else []


async def do_ban_media(ctx: Context, operator: User, media_id: str, reason: str) -> dict[str, Any]:
    """Ban the bytes of upload ``media_id`` (any room's) and remove every upload that
    matches, this one included."""
    require_operator(operator)
    reason = " ".join(reason.split())
    if not 1 <= len(reason) <= MAX_REASON:
        raise InvalidInput(f"Give a reason of 1 to {MAX_REASON} characters.", code="invalid_reason")
    now = ctx.now()
    async with ctx.db.write() as tx:
        item = await store.get_media(tx.conn, media_id)
        if item is None:
            raise NotFound("No such media.", code="media_not_found")
        shas, phashes = _hashes(item)
        if not shas:
            raise Conflict("This upload has no stored bytes to ban yet.", code="media_not_ready")
        ban_id = new_id()
        kinds = {s: "sha256" for s in shas} | {p: "phash" for p in phashes}
        await store.insert_ban(
            tx.conn, ban_id, kinds, reason=reason, media_id=item.id, room_id=item.room_id, now=now
        )
        found = await store.matching(tx.conn, shas, phashes, PHASH_SAME_PICTURE)
        messages = await _remove(ctx, tx, found, ban_id, now)
        details = {"ban": ban_id, "reason": reason, "removed": len(found)}
        if item.room_id is not None:  # a clip's video for an interest has no room
            await do_audit_operator(
                tx, item.room_id, "ban_media", now, details=details, target_seq=item.seq
            )
    log.warning(
        "media ban %s from upload %s: %d uploads removed, %d messages changed: %s",
        ban_id,
        media_id,
        len(found),
        messages,
        reason,
    )
    return {
        "id": ban_id,
        "reason": reason,
        "media_id": item.id,
        "created_at": iso(now),
        "removed_uploads": len(found),
        "changed_messages": messages,
    }


async def _remove(ctx: Context, tx: Tx, found: list[MediaItem], ban_id: str, now: datetime) -> int:
    """Delete the uploads ``found`` (their blobs go with the collector) and take them out
    of the messages that attached them. Returns how many messages changed."""
    gone = {i.id for i in found}
    by_message = sorted(
        {(i.room_id, i.seq) for i in found if i.seq is not None and i.room_id is not None}
    )
    changed = 0
    for room_id, seq in by_message:
        assert seq is not None
        message = await messages_store.get_message(tx.conn, room_id, seq)
        if message is None:
            continue
        kept = [m for m in message.media if m.get("id") not in gone]
        if len(kept) == len(message.media):
            continue
        rev = await rooms_store.next_seq(tx.conn, room_id)
        updated = await messages_store.update_message(
            tx.conn, room_id, seq, media=kept or None, rev=rev
        )
        notify_message(ctx, tx, updated, "edited")
        await do_audit_operator(
            tx, room_id, "remove_banned_media", now, details={"ban": ban_id}, target_seq=seq
        )
        changed += 1
    await store.delete_media(tx.conn, sorted(gone))
    return changed


async def do_lift_media_ban(ctx: Context, operator: User, ban_id: str) -> None:
    """Lift a ban: those bytes may be uploaded again (what was removed stays removed)."""
    require_operator(operator)
    async with ctx.db.write() as tx:
        ban = next((b for b in await store.bans(tx.conn) if b["ban_id"] == ban_id), None)
        if ban is None or not await store.delete_ban(tx.conn, ban_id):
            raise NotFound("No such media ban.", code="media_ban_not_found")
        room_id = ban["room_id"]
        if room_id is not None and await rooms_store.get_room(tx.conn, room_id) is not None:
            await do_audit_operator(
                tx, room_id, "lift_media_ban", ctx.now(), details={"ban": ban_id}
            )
    log.warning("media ban %s lifted", ban_id)
