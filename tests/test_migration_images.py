"""Migration 0010: pictures stored before the instance served images were links to other
sites; after the upgrade no view may show them (docs/decisions/0005)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from openlink.actions import accounts, joining, rooms
from openlink.actions.context import Context
from openlink.actions.joining import Pending
from openlink.app import build_context
from openlink.config import Settings
from openlink.domain.accounts import User
from openlink.domain.rooms import ProfilePolicy, RoomKind, Visibility
from openlink.store.migrate import alembic_config, upgrade

EXTERNAL = "https://tracker.example/pixel.png"


async def test_external_pictures_are_dropped_by_the_upgrade(
    tmp_path: Path, fresh_database_url: str
) -> None:
    url = fresh_database_url
    # Today's code writes the data, on today's schema (it cannot run on an older one),
    # then the database goes back to 0009, where the pictures become outside links.
    await asyncio.to_thread(upgrade, url)
    await _data_as_0009_kept_it(tmp_path, url)

    await asyncio.to_thread(upgrade, url)

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            pictures = [
                *(await conn.execute(text("SELECT avatar_url FROM open_profiles"))).scalars(),
                *(await conn.execute(text("SELECT avatar_url FROM members"))).scalars(),
                *(await conn.execute(text("SELECT cover_url FROM rooms"))).scalars(),
            ]
            requests = (await conn.execute(text("SELECT profile FROM join_requests"))).scalars()
            profiles = [p if isinstance(p, dict) else json.loads(p) for p in requests]
    finally:
        await engine.dispose()
    assert len(pictures) == 1 + 1 + 1 and set(pictures) == {None}
    assert len(profiles) == 1
    assert profiles[0]["avatar_url"] is None and profiles[0]["nickname"] == "Lamp"


async def _sign_up(ctx: Context, name: str) -> User:
    user, _, _ = await accounts.do_sign_up(
        ctx, username=name, password="password123", display_name=name, language="en", interests=[]
    )
    return user


async def _data_as_0009_kept_it(tmp_path: Path, url: str) -> None:
    """An open profile, a room, its host and a join request, each with a picture that is a
    link to another site, as the code before 0010 stored them."""
    ctx = build_context(
        Settings(
            data_dir=tmp_path,
            database_url=url,
            embedder="none",
            argon2_time_cost=1,
            argon2_memory_kib=64,
        )
    )
    try:
        host, guest = [await _sign_up(ctx, name) for name in ("host", "guest")]
        await accounts.do_create_open_profile(ctx, guest, nickname="Moon", avatar_url=None)
        room, _ = await rooms.do_create_room(
            ctx,
            host,
            name="Old room",
            kind=RoomKind.GROUP,
            visibility=Visibility.PUBLIC,
            profile_policy=ProfilePolicy.OPEN_ALLOWED,
            tags=[],
            cover_url=None,
            member_cap=None,
            code=None,
            host_profile={"kind": "main"},
            room_rules={"join_approval": True},
        )
        profile: dict[str, Any] = {"kind": "open", "nickname": "Lamp"}
        pending = await joining.do_join_by_link(
            ctx, guest, room.link_code, profile=profile, code=None
        )
        assert isinstance(pending, Pending)
    finally:
        await ctx.db.dispose()
    await asyncio.to_thread(command.downgrade, alembic_config(url), "0009")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            for statement in (
                "UPDATE open_profiles SET avatar_url = :url",
                "UPDATE members SET avatar_url = :url",
                "UPDATE rooms SET cover_url = :url",
            ):
                await conn.execute(text(statement), {"url": EXTERNAL})
            old = {"nickname": "Lamp", "avatar_url": EXTERNAL, "profile_kind": "open"}
            await conn.execute(
                text("UPDATE join_requests SET profile = :profile"), {"profile": json.dumps(old)}
            )
    finally:
        await engine.dispose()
