"""Migration 0015 (media): messages written before it read back with no attachments, and
it goes back down and up again cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from openlink.store.migrate import alembic_config, upgrade


async def test_media_tables_come_and_go_and_old_messages_have_no_media(
    tmp_path: Path, fresh_database_url: str
) -> None:
    url = fresh_database_url
    await asyncio.to_thread(upgrade, url, "0014")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, display_name, language, "
                    "interests, created_at) VALUES ('a', 'x', 'A', 'en', '[]', "
                    "'2026-01-01T00:00:00+00:00')"
                )
            )
            uid = (await conn.execute(text("SELECT id FROM users"))).scalar_one()
            await conn.execute(
                text(
                    "INSERT INTO rooms (id, kind, name, description, visibility, "
                    "profile_policy, member_cap, status, link_code, created_by, created_at) "
                    "VALUES ('r1', 'group', 'R', '', 'public', 'open_allowed', 10, 'open', "
                    f"'l1', {uid}, '2026-01-01T00:00:00+00:00')"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO messages (room_id, seq, rev, kind, body, created_at) "
                    "VALUES ('r1', 1, 1, 'text', 'before media', '2026-01-01T00:00:00+00:00')"
                )
            )
        await asyncio.to_thread(upgrade, url)
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT body, media FROM messages"))).one()
            assert (row.body, row.media) == ("before media", None)
            for table in ("media", "media_variants", "media_blobs"):
                await conn.execute(text(f"SELECT count(*) FROM {table}"))
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0014")
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT body FROM messages"))).one()
            assert row.body == "before media"
        await asyncio.to_thread(upgrade, url)
    finally:
        await engine.dispose()
