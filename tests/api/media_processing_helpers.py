"""Helpers shared by the tests of processed media (photos, videos, voice messages): an
upload of a kind, the ``media.ready`` / ``media.failed`` outcome told to the uploader's
socket, and the media rows stored."""

from __future__ import annotations

from typing import Any

import httpx

from openlink.store.schema import media as media_table
from tests.conftest import Server
from tests.factories import Socket, auth, expect

#: A first job starts a worker, which loads its codecs: seconds on a busy machine.
OUTCOME_TIMEOUT_S = 120.0


async def upload(
    client: httpx.AsyncClient, token: str, room_id: str, data: bytes, kind: str, name: str
) -> httpx.Response:
    return await client.post(
        "/api/media",
        params={"room": room_id, "kind": kind, "name": name},
        content=data,
        headers=auth(token),
    )


async def outcome(sock: Socket, media_id: str) -> dict[str, Any]:
    """The ``media.ready`` or ``media.failed`` event for ``media_id``."""
    return await sock.next_event(
        timeout=OUTCOME_TIMEOUT_S,
        where=lambda e: (
            e["type"] in ("media.ready", "media.failed") and e["media"]["id"] == media_id
        ),
    )


async def uploaded_ready(
    client: httpx.AsyncClient, sock: Socket, token: str, rid: str, data: bytes, kind: str, name: str
) -> dict[str, Any]:
    answer = expect(await upload(client, token, rid, data, kind, name), 201)
    assert answer["state"] in ("ready", "pending")
    event = await outcome(sock, answer["id"])
    assert event["type"] == "media.ready", event
    assert event["media"]["state"] == "ready"
    return dict(event["media"])


async def stored_rows(server: Server) -> int:
    async with server.app.state.ctx.db.read() as conn:
        return len((await conn.execute(media_table.select())).all())
