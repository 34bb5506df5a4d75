"""Migration 0017 (clips): uploads made before it keep their room and the collector's
partial index; an upload without a room can be stored after it; it goes back down
(forgetting room-less uploads) and up again cleanly."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from openlink.store.migrate import alembic_config, upgrade

NOW = "'2026-01-01T00:00:00+00:00'"


def _media(media_id: str, room: str, member: str, uid: int) -> str:
    return (
        "INSERT INTO media (id, kind, state, room_id, member_id, uploader_id, name, mime, "
        f"size, created_at) VALUES ('{media_id}', 'file', 'ready', {room}, {member}, {uid}, "
        f"'f', 'application/octet-stream', 1, {NOW})"
    )


async def test_media_becomes_roomless_capable_and_clips_come_and_go(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await asyncio.to_thread(upgrade, url, "0016")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, display_name, language, "
                    f"interests, created_at) VALUES ('a', 'x', 'A', 'en', '[]', {NOW})"
                )
            )
            uid = (await conn.execute(text("SELECT id FROM users"))).scalar_one()
            await conn.execute(
                text(
                    "INSERT INTO rooms (id, kind, name, description, visibility, "
                    "profile_policy, member_cap, status, link_code, created_by, created_at) "
                    "VALUES ('r1', 'group', 'R', '', 'public', 'open_allowed', 10, 'open', "
                    f"'l1', {uid}, {NOW})"
                )
            )
            await conn.execute(text(_media("m1", "'r1'", "'mb1'", uid)))
        await asyncio.to_thread(upgrade, url)
        async with engine.begin() as conn:
            row = (await conn.execute(text("SELECT room_id, member_id FROM media"))).one()
            assert tuple(row) == ("r1", "mb1")
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("media"))
            assert "ix_media_unattached" in {i["name"] for i in indexes}
            await conn.execute(text(_media("m2", "NULL", "NULL", uid)))
            for table in ("clips", "clip_likes", "clip_views", "clip_comments", "clip_reports"):
                await conn.execute(text(f"SELECT count(*) FROM {table}"))
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0016")
        async with engine.connect() as conn:
            ids = (await conn.execute(text("SELECT id FROM media"))).scalars().all()
            assert ids == ["m1"]
        await asyncio.to_thread(upgrade, url)
    finally:
        await engine.dispose()
