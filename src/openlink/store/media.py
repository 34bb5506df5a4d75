"""Uploads, their variants and the blobs they use (domain/media.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.media import (
    MediaItem,
    MediaKind,
    MediaState,
    Variant,
    blob_key,
    phash_distance,
)
from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import clips, media, media_bans, media_blobs, media_variants


async def touch_blob(conn: AsyncConnection, key: str, size: int, now: datetime) -> bool:
    """Record the blob (or mark an existing one used now). False while the collector is
    deleting it: the caller waits for the row to go and tries again."""
    await conn.execute(
        insert_or_ignore(media_blobs).values(key=key, size=size, touched_at=now, deleting=False)
    )
    done = await conn.execute(
        update(media_blobs)
        .where(media_blobs.c.key == key, media_blobs.c.deleting.is_(False))
        .values(touched_at=now)
    )
    return bool(done.rowcount)


async def insert_media(conn: AsyncConnection, item: MediaItem) -> None:
    await conn.execute(
        insert(media).values(
            id=item.id,
            kind=item.kind.value,
            state=item.state.value,
            room_id=item.room_id,
            member_id=item.member_id,
            uploader_id=item.uploader_id,
            name=item.name,
            mime=item.mime,
            size=item.size,
            width=item.width,
            height=item.height,
            duration_ms=item.duration_ms,
            blurhash=item.blurhash,
            waveform=item.waveform,
            created_at=item.created_at,
            sha256=item.sha256,
        )
    )


async def set_ready(conn: AsyncConnection, item: MediaItem) -> bool:
    """Store ``item``'s variants (their blobs touched already) and mark it ready, with
    what processing found (its kind, type, size in pixels, duration…). False, storing
    nothing, when it is no longer pending: the collector gave it up as stalled."""
    done = await conn.execute(
        update(media)
        .where(media.c.id == item.id, media.c.state == MediaState.PENDING.value)
        .values(
            state=MediaState.READY.value,
            kind=item.kind.value,
            mime=item.mime,
            width=item.width,
            height=item.height,
            duration_ms=item.duration_ms,
            blurhash=item.blurhash,
            waveform=item.waveform,
            phash=item.phash,
        )
    )
    if not done.rowcount:
        return False
    if item.variants:
        await conn.execute(
            insert(media_variants),
            [
                dict(
                    media_id=item.id,
                    name=v.name,
                    blob_key=v.blob_key,
                    mime=v.mime,
                    size=v.size,
                    width=v.width,
                    height=v.height,
                    duration_ms=v.duration_ms,
                )
                for v in item.variants.values()
            ],
        )
    return True


async def set_failed(conn: AsyncConnection, media_id: str) -> None:
    """Processing refused or failed: nothing of it is served, and it counts against no
    quota; the collector forgets it with the uploads never attached."""
    await conn.execute(
        update(media).where(media.c.id == media_id).values(state=MediaState.FAILED.value)
    )


async def fail_stalled(conn: AsyncConnection, created_before: datetime, limit: int) -> list[str]:
    """Mark failed up to ``limit`` uploads still pending that were made before
    ``created_before``; returns the ids this call marked (two collectors on two nodes
    never both mark one)."""
    q = (
        select(media.c.id)
        .where(media.c.state == MediaState.PENDING.value, media.c.created_at < created_before)
        .order_by(media.c.created_at)
        .limit(limit)
    )
    ids = list((await conn.execute(q)).scalars())
    if not ids:
        return []
    done = await conn.execute(
        update(media)
        .where(media.c.id.in_(ids), media.c.state == MediaState.PENDING.value)
        .values(state=MediaState.FAILED.value)
        .returning(media.c.id)
    )
    return sorted(done.scalars())


def _item(row: Any, variants: Iterable[Any] = ()) -> MediaItem:
    return MediaItem(
        id=row.id,
        kind=MediaKind(row.kind),
        state=MediaState(row.state),
        room_id=row.room_id,
        member_id=row.member_id,
        uploader_id=row.uploader_id,
        name=row.name,
        mime=row.mime,
        size=row.size,
        created_at=row.created_at,
        width=row.width,
        height=row.height,
        duration_ms=row.duration_ms,
        blurhash=row.blurhash,
        waveform=row.waveform,
        seq=row.seq,
        sha256=row.sha256,
        phash=row.phash,
        variants={
            v.name: Variant(
                name=v.name,
                blob_key=v.blob_key,
                mime=v.mime,
                size=v.size,
                width=v.width,
                height=v.height,
                duration_ms=v.duration_ms,
            )
            for v in variants
        },
    )


async def get_many(conn: AsyncConnection, ids: list[str]) -> dict[str, MediaItem]:
    """The uploads with these ids that exist, with their variants, by id."""
    if not ids:
        return {}
    rows = (await conn.execute(select(media).where(media.c.id.in_(ids)))).all()
    found = (
        await conn.execute(select(media_variants).where(media_variants.c.media_id.in_(ids)))
    ).all()
    by_media: dict[str, list[Any]] = {}
    for v in found:
        by_media.setdefault(v.media_id, []).append(v)
    return {row.id: _item(row, by_media.get(row.id, ())) for row in rows}


async def get_media(conn: AsyncConnection, media_id: str) -> MediaItem | None:
    return (await get_many(conn, [media_id])).get(media_id)


async def bytes_of_account(conn: AsyncConnection, user_id: int) -> int:
    """What the account's uploads take, counted per upload (deduplicated or not)."""
    q = select(func.coalesce(func.sum(media.c.size), 0)).where(
        media.c.uploader_id == user_id, media.c.state != MediaState.FAILED.value
    )
    return int((await conn.execute(q)).scalar_one())


async def bytes_of_room(conn: AsyncConnection, room_id: str) -> int:
    q = select(func.coalesce(func.sum(media.c.size), 0)).where(
        media.c.room_id == room_id, media.c.state != MediaState.FAILED.value
    )
    return int((await conn.execute(q)).scalar_one())


async def attach(
    conn: AsyncConnection, ids: list[str], room_id: str, seq: int, now: datetime
) -> None:
    await conn.execute(
        update(media)
        .where(media.c.id.in_(ids), media.c.room_id == room_id)
        .values(seq=seq, attached_at=now)
    )


async def delete_media(conn: AsyncConnection, ids: list[str]) -> None:
    """Forget these uploads; their blobs stay until the collector finds them unused."""
    if ids:
        await conn.execute(delete(media).where(media.c.id.in_(ids)))


async def attached_to(conn: AsyncConnection, room_id: str, seq: int) -> list[str]:
    q = select(media.c.id).where(media.c.room_id == room_id, media.c.seq == seq)
    return list((await conn.execute(q)).scalars())


async def orphans(conn: AsyncConnection, created_before: datetime, limit: int) -> list[str]:
    """Uploads never attached to a message nor shown by a clip, made before
    ``created_before``."""
    q = (
        select(media.c.id)
        .where(
            media.c.seq.is_(None),
            media.c.created_at < created_before,
            ~exists().where(clips.c.media_id == media.c.id),
        )
        .order_by(media.c.created_at)
        .limit(limit)
    )
    return list((await conn.execute(q)).scalars())


def _unreferenced() -> Any:
    return ~exists().where(media_variants.c.blob_key == media_blobs.c.key)


async def mark_unused_blobs(
    conn: AsyncConnection, touched_before: datetime, limit: int
) -> list[str]:
    """Mark for deletion up to ``limit`` blobs that nothing refers to and nobody touched
    since ``touched_before``; returns their keys."""
    q = (
        select(media_blobs.c.key)
        .where(media_blobs.c.touched_at < touched_before, _unreferenced())
        .order_by(media_blobs.c.touched_at)
        .limit(limit)
    )
    keys = list((await conn.execute(q)).scalars())
    if not keys:
        return []
    # The same conditions again, on the rows themselves: an upload may have touched one
    # between the read and this write (PostgreSQL re-checks them on the locked rows).
    await conn.execute(
        update(media_blobs)
        .where(
            media_blobs.c.key.in_(keys),
            media_blobs.c.touched_at < touched_before,
            _unreferenced(),
        )
        .values(deleting=True)
    )
    q = select(media_blobs.c.key).where(
        media_blobs.c.key.in_(keys), media_blobs.c.deleting.is_(True)
    )
    return list((await conn.execute(q)).scalars())


async def marked_blobs(conn: AsyncConnection, limit: int) -> list[str]:
    """Blobs marked for deletion whose deletion did not finish (a crash, a store error)."""
    q = select(media_blobs.c.key).where(media_blobs.c.deleting.is_(True)).limit(limit)
    return list((await conn.execute(q)).scalars())


async def forget_blobs(conn: AsyncConnection, keys: list[str]) -> None:
    if keys:
        await conn.execute(
            delete(media_blobs).where(
                and_(media_blobs.c.key.in_(keys), media_blobs.c.deleting.is_(True))
            )
        )


# -- bans ------------------------------------------------------------------------------


async def insert_ban(
    conn: AsyncConnection,
    ban_id: str,
    hashes: dict[str, str],
    *,
    reason: str,
    media_id: str,
    room_id: str | None,
    now: datetime,
) -> None:
    """``hashes``: each hash and its kind (``sha256`` or ``phash``)."""
    await conn.execute(
        insert(media_bans),
        [
            dict(
                ban_id=ban_id,
                hash=h,
                kind=kind,
                reason=reason,
                media_id=media_id,
                room_id=room_id,
                created_at=now,
            )
            for h, kind in hashes.items()
        ],
    )


async def is_banned(conn: AsyncConnection, sha256s: list[str]) -> bool:
    if not sha256s:
        return False
    q = select(media_bans.c.hash).where(
        media_bans.c.hash.in_(sha256s), media_bans.c.kind == "sha256"
    )
    return (await conn.execute(q.limit(1))).first() is not None


async def banned_phashes(conn: AsyncConnection) -> list[str]:
    q = select(media_bans.c.hash).where(media_bans.c.kind == "phash").distinct()
    return list((await conn.execute(q)).scalars())


async def bans(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every ban, newest first: its id, reason, upload, time and how many hashes."""
    q = (
        select(
            media_bans.c.ban_id,
            func.min(media_bans.c.reason).label("reason"),
            func.min(media_bans.c.media_id).label("media_id"),
            func.min(media_bans.c.room_id).label("room_id"),
            func.min(media_bans.c.created_at).label("created_at"),
            func.count().label("hashes"),
            func.sum(case((media_bans.c.kind == "phash", 1), else_=0)).label("phashes"),
        )
        .group_by(media_bans.c.ban_id)
        .order_by(func.min(media_bans.c.created_at).desc())
    )
    return [dict(r._mapping) for r in await conn.execute(q)]


async def delete_ban(conn: AsyncConnection, ban_id: str) -> bool:
    done = await conn.execute(delete(media_bans).where(media_bans.c.ban_id == ban_id))
    return bool(done.rowcount)


async def matching(
    conn: AsyncConnection, sha256s: list[str], phashes: list[str], within: int
) -> list[MediaItem]:
    """Uploads whose bytes or a variant's bytes have one of ``sha256s``, or whose
    perceptual hash is within ``within`` bits of one of ``phashes``."""
    keys = [blob_key(s) for s in sha256s]
    ids = set(
        (
            await conn.execute(
                select(media.c.id).where(
                    media.c.sha256.in_(sha256s)
                    | media.c.id.in_(
                        select(media_variants.c.media_id).where(media_variants.c.blob_key.in_(keys))
                    )
                )
            )
        ).scalars()
    )
    if phashes:
        # Compared here: a Hamming distance is no index lookup. One pass over the
        # pictures' hashes (16 characters a row) when a ban is made.
        rows = await conn.execute(
            select(media.c.id, media.c.phash).where(media.c.phash.is_not(None))
        )
        for media_id, ph in rows:
            if any(phash_distance(ph, banned) <= within for banned in phashes):
                ids.add(media_id)
    return list((await get_many(conn, sorted(ids))).values())
