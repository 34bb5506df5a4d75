"""Helpers shared by the media tests: a room to upload to, a raw upload through the route,
and what the upload left on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Server
from tests.factories import auth, expect, join, make_room, make_user

DATA = os.urandom(300_000)


async def upload(
    client: httpx.AsyncClient,
    token: str,
    room_id: str,
    data: bytes = DATA,
    *,
    name: str | None = "notes.bin",
    status: int = 201,
) -> Any:
    params = {"room": room_id, **({"name": name} if name else {})}
    response = await client.post("/api/media", params=params, content=data, headers=auth(token))
    return expect(response, status) if status < 400 else response


async def a_room(client: httpx.AsyncClient) -> tuple[str, str, str, str]:
    """A room with a host and a member: (room id, link, host token, member token)."""
    _, host = await make_user(client)
    _, member = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, member, room["link"])
    return room["id"], room["link"], host, member


def bare(url: str) -> str:
    """The variant's path without its signature: the bearer-checked read."""
    return url.partition("?")[0]


def blob_files(server: Server) -> list[Path]:
    root = server.settings.effective_media_dir() / "blobs"
    return [p for p in root.rglob("*") if p.is_file() and ".tmp" not in p.parts]
