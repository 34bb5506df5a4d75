"""Migration 0011: works stored under the hand-written URL form are folded again, so a
partner naming its content as before still reaches its room, and two spellings the old
form kept apart become one work (the older one's room)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from openlink.actions import accounts, rooms
from openlink.app import build_context
from openlink.config import Settings
from openlink.domain.rooms import ProfilePolicy, RoomKind, Visibility
from openlink.store.migrate import alembic_config, upgrade

#: (work id, canonical as the code before 0011 stored it, partner's content id)
OLD = [
    ("w-old", "url:https://ex.example/café", "c-raw"),
    ("w-new", "url:https://ex.example/caf%c3%a9", "c-escaped"),
    ("w-idn", "url:https://bücher.example/a", "c-idn"),
    ("w-isbn", "isbn:9784088725093", "c-isbn"),
]


async def test_old_url_works_are_folded_to_the_new_form(
    tmp_path: Path, fresh_database_url: str
) -> None:
    url = fresh_database_url
    # The rooms are made by today's code on today's schema; the works are written in the
    # form the code before 0011 stored, then the schema goes back to 0010 and up again.
    await asyncio.to_thread(upgrade, url)
    room_ids = await _works_as_0010_kept_them(tmp_path, url)
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0010")

    await asyncio.to_thread(upgrade, url)

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            works = dict(
                (await conn.execute(text("SELECT canonical, room_id FROM content_works"))).all()
            )
            links = dict(
                (await conn.execute(text("SELECT content_id, work_id FROM content_links"))).all()
            )
    finally:
        await engine.dispose()
    assert works == {
        "url:https://ex.example/caf%C3%A9": room_ids["w-old"],
        "url:https://xn--bcher-kva.example/a": room_ids["w-idn"],
        "isbn:9784088725093": room_ids["w-isbn"],
    }
    assert links == {"c-raw": "w-old", "c-escaped": "w-old", "c-idn": "w-idn", "c-isbn": "w-isbn"}


async def _works_as_0010_kept_them(tmp_path: Path, url: str) -> dict[str, str]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=url,
        embedder="none",
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )
    ctx = build_context(settings)
    room_ids = {}
    try:
        host, _, _ = await accounts.do_sign_up(
            ctx,
            username="host",
            password="password123",
            display_name="Host",
            language="en",
            interests=[],
        )
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        async with ctx.db.write() as tx:
            await tx.conn.execute(
                text(
                    "INSERT INTO partners (id, name, key_hash, allowed_origins, user_id, active,"
                    " created_at) VALUES ('p1', 'P', 'h', '[]', :user, true, :at)"
                ),
                {"user": host.id, "at": t0},
            )
        for i, (work_id, canonical, content_id) in enumerate(OLD):
            room, _ = await rooms.do_create_room(
                ctx,
                host,
                name=f"Work {i}",
                kind=RoomKind.GROUP,
                visibility=Visibility.PUBLIC,
                profile_policy=ProfilePolicy.OPEN_ALLOWED,
                tags=[],
                cover_url=None,
                member_cap=None,
                code=None,
                host_profile={"kind": "main"},
            )
            room_ids[work_id] = room.id
            at = t0 + timedelta(minutes=i)
            async with ctx.db.write() as tx:
                await tx.conn.execute(
                    text(
                        "INSERT INTO content_works (id, canonical, room_id, title, created_at)"
                        " VALUES (:id, :canonical, :room, 'T', :at)"
                    ),
                    {"id": work_id, "canonical": canonical, "room": room.id, "at": at},
                )
                await tx.conn.execute(
                    text(
                        "INSERT INTO content_links (partner_id, content_id, work_id, title,"
                        " created_at) VALUES ('p1', :content, :work, 'T', :at)"
                    ),
                    {"content": content_id, "work": work_id, "at": at},
                )
    finally:
        await ctx.db.dispose()
    return room_ids
