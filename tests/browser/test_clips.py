"""Clips in the browser: one member posts a short vertical video through the form;
another opens the feed, sees it, and it plays (muted) once in view and pauses off it. A
clip shared in a room shows as a line in the room that leads to its clips."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab, Shot
from tests.browser.helpers import wait_online
from tests.conftest import Server
from tests.factories import auth, join, make_room, make_user, make_video
from tests.factories import expect as expect_status
from tests.media.inputs import video

pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]


async def test_a_clip_posted_by_one_member_plays_in_another_members_feed(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot, tmp_path: Path
) -> None:
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    found = expect_status(await client.get("/api/interests", params={"q": "cooking"}), 200)
    cooking = found["interests"][0]["id"]
    data = video(tmp_path / "v.mp4", seconds=2.0, width=144, height=256, rate=10).read_bytes()

    ann = await open_tab(f"/#/clips?interest={cooking}", token=ann_token)
    await wait_online(ann)
    await ann.page.get_by_test_id("clip-post-open").click()
    await ann.page.get_by_test_id("clip-file").set_input_files(
        {"name": "pasta.mp4", "mimeType": "video/mp4", "buffer": data}
    )
    await ann.page.get_by_test_id("clip-caption").fill("Fresh pasta in two seconds")
    await ann.page.get_by_test_id("clip-submit").click()
    await expect(ann.page.get_by_test_id("clip-status")).to_be_hidden(timeout=120_000)

    bo = await open_tab(f"/#/clips?interest={cooking}", token=bo_token)
    await wait_online(bo)
    card = bo.page.get_by_test_id("clip").first
    await expect(card).to_contain_text("Fresh pasta in two seconds")
    await expect(card).to_have_attribute("data-in-view", "true")
    player = card.get_by_test_id("clip-video")
    src = await player.get_attribute("src")
    assert src is not None and "?e=" in src and "&s=" in src  # signed: no token needed
    # It plays, muted, once in view.
    await bo.page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=clip-video]');"
        " return v && !v.paused && v.muted && v.currentTime > 0; }",
        timeout=20_000,
    )
    await shot(bo.page, "clips-feed-desktop")
    # A like counts, and space pauses it.
    await card.get_by_test_id("clip-like").click()
    await expect(card.get_by_test_id("clip-like")).to_have_attribute("aria-pressed", "true")
    await bo.page.keyboard.press(" ")
    await bo.page.wait_for_function(
        "() => document.querySelector('[data-testid=clip-video]').paused"
    )
    assert ann.errors == [] and bo.errors == []


async def test_a_room_shows_a_clip_shared_in_it_and_links_to_its_clips(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    room = (await make_room(client, ann_token, name="Pasta club"))["room"]
    await join(client, bo_token, room["link"], profile={"kind": "open", "nickname": "Noodle"})
    bo = await open_tab(f"/#/room/{room['id']}", token=bo_token)
    await wait_online(bo)

    media = await make_video(server.app.state.ctx, client, ann_token, room["id"])
    body = {"media": media, "room": room["id"], "caption": "Rolling it thin"}
    clip = expect_status(await client.post("/api/clips", json=body, headers=auth(ann_token)), 201)

    link = bo.page.get_by_test_id("clip-posted-link")
    await expect(link).to_be_visible()
    await expect(bo.page.locator(".msg-system", has=link)).to_contain_text("shared a clip")
    await link.click()
    card = bo.page.locator(f"[data-clip='{clip['id']}']")
    await expect(card).to_contain_text("Rolling it thin")
    assert bo.errors == []
