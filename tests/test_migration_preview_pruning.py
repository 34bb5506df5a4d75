"""Migration 0018 (preview pruning): a cached preview made before it counts as used when
it was fetched; a picture stored before it is kept for good (nothing says what else uses
it); it goes back down and up again cleanly."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from openlink.store.migrate import alembic_config, upgrade

FETCHED = "2026-01-01T00:00:00+00:00"
IMAGE = "a" * 64


async def test_old_previews_count_as_used_when_fetched_and_old_pictures_are_kept(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    await asyncio.to_thread(upgrade, url, "0017")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO images (id, content_type, width, height, data, created_at) "
                    f"VALUES ('{IMAGE}', 'image/webp', 1, 1, :data, '{FETCHED}')"
                ),
                {"data": b"webp"},
            )
            await conn.execute(
                text(
                    "INSERT INTO link_previews (key, ok, title, image, fetched_at, expires_at) "
                    f"VALUES ('k', true, 'T', '/api/images/{IMAGE}', '{FETCHED}', '{FETCHED}')"
                )
            )
        await asyncio.to_thread(upgrade, url)
        async with engine.begin() as conn:
            used, fetched = (
                await conn.execute(text("SELECT used_at, fetched_at FROM link_previews"))
            ).one()
            assert used == fetched
            kept = (await conn.execute(text("SELECT previews_only FROM images"))).scalar_one()
            assert kept in (False, 0)
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("messages"))
            assert "ix_messages_preview_image" in {i["name"] for i in indexes}
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0017")
        async with engine.connect() as conn:
            columns = await conn.run_sync(lambda c: inspect(c).get_columns("images"))
            assert "previews_only" not in {c["name"] for c in columns}
        await asyncio.to_thread(upgrade, url)
    finally:
        await engine.dispose()
