"""The media collector's chores beyond orphan uploads (docs/operations.md, Media):
uploads whose node died mid-job are failed and their uploader told; the link-preview
cache is refreshed past its TTL and pruned when unused, and a preview's picture goes
once no cached preview and no message shows it, never while something else does.
Time moves on the app's clock; the collector runs as its service runs it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openlink.actions.media import JOB_TASKS, stalled_after_s
from openlink.domain.ids import new_id
from openlink.domain.media import MediaItem, MediaKind, MediaState
from openlink.media.process import Processed
from openlink.store import accounts as accounts_store
from openlink.store import media as media_store
from tests.api.link_preview_helpers import LOOPBACK_ALLOWED, page, paths, settle
from tests.api.media_helpers import a_room
from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    make_room,
    make_user,
    open_socket,
    picture,
    send_message,
)
from tests.fakes import FakeImageServer, fake_image_server

DAY = 86_400


@pytest.fixture
def fake() -> Iterator[FakeImageServer]:
    with fake_image_server() as site:
        yield site


async def collect(server: Server) -> None:
    await server.app.state.media_collector.collect()


# -- uploads whose node died mid-job ----------------------------------------------------


async def pending_from_a_dead_node(server: Server, username: str) -> str:
    """An upload another node recorded as pending and never finished: its row alone."""
    ctx = server.app.state.ctx
    async with ctx.db.write() as tx:
        found = await accounts_store.get_credentials(tx.conn, username)
        assert found is not None
        item = MediaItem(
            id=new_id(),
            kind=MediaKind.VIDEO,
            state=MediaState.PENDING,
            room_id=None,
            member_id=None,
            uploader_id=found[0],
            name="holiday.mp4",
            mime="application/octet-stream",
            size=1234,
            created_at=ctx.now(),
        )
        await media_store.insert_media(tx.conn, item)
    return item.id


async def test_an_upload_left_pending_by_a_dead_node_is_failed_and_its_uploader_told(
    server: Server, client: httpx.AsyncClient
) -> None:
    me, token = await make_user(client)
    sock = await open_socket(server.ws_url, token)
    media_id = await pending_from_a_dead_node(server, me["username"])
    after = stalled_after_s(server.settings)
    assert after == 2 * server.settings.media_job_timeout_s + 600

    # Until then a live node may still be running its job: nothing happens.
    server.clock.advance(after - 60)
    await collect(server)
    got = expect(await client.get(f"/api/media/{media_id}", headers=auth(token)), 200)
    assert got["state"] == "pending"

    server.clock.advance(120)
    await collect(server)
    event = await sock.next_event(
        "media.failed", where=lambda e: e["media"]["id"] == media_id, timeout=10
    )
    assert event["code"] == "media_processing_failed" and event["message"]
    assert event["media"]["state"] == "failed" and "variants" not in event["media"]
    got = expect(await client.get(f"/api/media/{media_id}", headers=auth(token)), 200)
    assert got["state"] == "failed"
    # Told once: a second pass finds nothing pending.
    await collect(server)
    await sock.barrier()
    failed = [e for e in sock.events if e.get("type") == "media.failed"]
    assert len(failed) == 1

    # Then it is forgotten with the orphans.
    server.clock.advance(server.settings.media_orphan_ttl_s)
    await collect(server)
    gone = await client.get(f"/api/media/{media_id}", headers=auth(token))
    assert error_code(gone, 404) == "media_not_found"


def gate_processing(server: Server, monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Hold every job at its processing step until the event is set; then process the
    bytes as a plain file (no worker process needed)."""
    service = server.app.state.media
    real = service.process
    gate = asyncio.Event()

    async def held(kind_hint: str, src_path: Path, workdir: Path) -> Processed:
        await gate.wait()
        return await real("file", src_path, workdir)

    monkeypatch.setattr(service, "process", held)
    return gate


@pytest.mark.settings(media_inline_wait_s=0)
async def test_a_job_given_up_as_stalled_never_turns_ready_afterwards(
    server: Server, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = gate_processing(server, monkeypatch)
    rid, _, host, _ = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    answer = expect(
        await client.post(
            "/api/media",
            params={"room": rid, "kind": "image", "name": "p.jpg"},
            content=picture(),
            headers=auth(host),
        ),
        201,
    )
    assert answer["state"] == "pending"
    server.clock.advance(stalled_after_s(server.settings) + 1)
    await collect(server)
    await sock.next_event("media.failed", where=lambda e: e["media"]["id"] == answer["id"])

    gate.set()
    await server.app.state.supervisor.settle(JOB_TASKS)
    got = expect(await client.get(f"/api/media/{answer['id']}", headers=auth(host)), 200)
    assert got["state"] == "failed"
    await sock.barrier()
    kinds = [e["type"] for e in sock.events if str(e.get("type", "")).startswith("media.")]
    assert "media.ready" not in kinds and kinds.count("media.failed") == 1


@pytest.mark.settings(media_inline_wait_s=0, media_job_timeout_s=0.2)
async def test_a_job_past_its_deadline_is_failed_by_its_own_node(
    server: Server, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What lets the collector fail old pending uploads safely: no live node runs a job
    longer than twice the job timeout (waiting for a worker and storing included)."""
    gate_processing(server, monkeypatch)  # never released
    rid, _, host, _ = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    answer = expect(
        await client.post(
            "/api/media",
            params={"room": rid, "kind": "image", "name": "p.jpg"},
            content=picture(),
            headers=auth(host),
        ),
        201,
    )
    event = await sock.next_event(
        "media.failed", where=lambda e: e["media"]["id"] == answer["id"], timeout=30
    )
    assert event["code"] == "media_processing_timeout"
    got = expect(await client.get(f"/api/media/{answer['id']}", headers=auth(host)), 200)
    assert got["state"] == "failed"


# -- the link-preview cache -------------------------------------------------------------


async def a_room_of(client: httpx.AsyncClient) -> tuple[str, str]:
    _, host = await make_user(client)
    return (await make_room(client, host))["room"]["id"], host


async def card_of(client: httpx.AsyncClient, token: str, room_id: str, seq: int) -> dict[str, Any]:
    page_ = expect(await client.get(f"/api/rooms/{room_id}/messages", headers=auth(token)), 200)
    return dict(next(m for m in page_["messages"] if m["seq"] == seq)["preview"])


async def delete(client: httpx.AsyncClient, token: str, room_id: str, seq: int) -> None:
    path = f"/api/rooms/{room_id}/messages/{seq}"
    assert (await client.delete(path, headers=auth(token))).status_code == 200


@LOOPBACK_ALLOWED
async def test_a_preview_past_its_ttl_is_fetched_again_when_next_needed(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host = await a_room_of(client)
    url = fake.serve("/article", page("Old title", image=None), content_type="text/html")
    first = await send_message(client, host, room_id, url)
    await settle(server)
    assert (await card_of(client, host, room_id, first["seq"]))["title"] == "Old title"

    fake.serve("/article", page("New title", image=None), content_type="text/html")
    server.clock.advance(server.settings.link_preview_ttl_s - 60)
    within = await send_message(client, host, room_id, url)
    await settle(server)
    assert (await card_of(client, host, room_id, within["seq"]))["title"] == "Old title"

    server.clock.advance(120)
    past = await send_message(client, host, room_id, url)
    await settle(server)
    assert (await card_of(client, host, room_id, past["seq"]))["title"] == "New title"
    assert paths(fake).count("/article") == 2


@LOOPBACK_ALLOWED
async def test_unused_previews_are_pruned_and_their_picture_goes_when_nothing_shows_it(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host = await a_room_of(client)
    fake.serve("/pic.png", picture((80, 40), color="teal"))
    a = fake.serve("/a", page("A"), content_type="text/html")
    b = fake.serve("/b", page("B"), content_type="text/html")
    keep = server.settings.link_preview_keep_s
    assert keep == 7 * DAY

    sent_a = await send_message(client, host, room_id, a)
    await settle(server)
    image = (await card_of(client, host, room_id, sent_a["seq"]))["image"]
    # Another page shows the same picture: one stored image, two previews using it.
    server.clock.advance(4 * DAY)
    sent_b = await send_message(client, host, room_id, b)
    await settle(server)
    assert (await card_of(client, host, room_id, sent_b["seq"]))["image"] == image
    assert paths(fake).count("/pic.png") == 2

    # A unused for 8 days: its entry goes, but the messages still show the picture.
    server.clock.advance(4 * DAY)
    await delete(client, host, room_id, sent_a["seq"])
    await collect(server)
    assert (await client.get(image)).status_code == 200  # B's preview and B's message
    await delete(client, host, room_id, sent_b["seq"])
    await collect(server)
    assert (await client.get(image)).status_code == 200  # B's preview is 4 days old

    server.clock.advance(4 * DAY)
    await collect(server)
    assert error_code(await client.get(image), 404) == "image_not_found"

    # The entry went too: the link is fetched again, and its picture stored again.
    again = await send_message(client, host, room_id, a)
    await settle(server)
    assert paths(fake).count("/a") == 2
    assert (await card_of(client, host, room_id, again["seq"]))["image"] == image
    assert (await client.get(image)).status_code == 200


@LOOPBACK_ALLOWED
async def test_a_preview_picture_a_message_shows_or_an_avatar_uses_is_kept(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host = await a_room_of(client)
    fake.serve("/shown.png", picture((80, 40), color="navy"))
    fake.serve("/avatar.png", picture((80, 40), color="olive"))
    shown = fake.serve("/shown", page("S", image="/shown.png"), content_type="text/html")
    also = fake.serve("/avatar", page("V", image="/avatar.png"), content_type="text/html")
    kept = await send_message(client, host, room_id, shown)
    other = await send_message(client, host, room_id, also)
    keep = server.settings.link_preview_keep_s
    await settle(server)
    shown_image = (await card_of(client, host, room_id, kept["seq"]))["image"]
    avatar_image = (await card_of(client, host, room_id, other["seq"]))["image"]
    # Someone uploads the very picture as their avatar: the same stored image.
    uploaded = await client.post(
        "/api/images", content=picture((80, 40), color="olive"), headers=auth(host)
    )
    assert expect(uploaded, 201)["url"] == avatar_image

    await delete(client, host, room_id, other["seq"])
    server.clock.advance(keep + DAY)
    await collect(server)
    # Every preview entry is gone; a message still shows one picture, an avatar the other.
    assert (await client.get(shown_image)).status_code == 200
    assert (await client.get(avatar_image)).status_code == 200
    assert (await card_of(client, host, room_id, kept["seq"]))["image"] == shown_image
