"""Photos, video, voice messages and files in the chat: one member attaches or records,
another sees and plays them; the media loads from signed URLs, with no token."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.api.media_processing_helpers import uploaded_ready
from tests.browser.conftest import OpenTab, Shot, Tab
from tests.browser.helpers import wait_online
from tests.conftest import Server
from tests.factories import auth, join, make_room, make_user, open_socket, send_message
from tests.media.inputs import camera_jpeg, video

pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]

#: How long processing may take on a busy machine before a test gives up.
PROCESSING_MS = 60_000
PDF = b"%PDF-1.4\n" + b"0123456789abcdef" * 4_000 + b"\n%%EOF\n"


async def a_room_of_two(
    client: httpx.AsyncClient, open_tab: OpenTab, *, bo_phone: bool = False
) -> tuple[Tab, Tab, Any]:
    """Ann and Bo in a room, each in a browser (Bo's a phone when ``bo_phone``)."""
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="Photo walk"))["room"]
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    await join(client, ann_token, room["link"], profile={"kind": "open", "nickname": "Ann"})
    await join(client, bo_token, room["link"], profile={"kind": "open", "nickname": "Bo"})
    ann = await open_tab(f"/#/room/{room['id']}", token=ann_token)
    bo = await open_tab(f"/#/room/{room['id']}", token=bo_token, phone=bo_phone)
    await wait_online(ann)
    await wait_online(bo)
    return ann, bo, room


async def attach(tab: Tab, name: str, mime: str, data: bytes) -> None:
    async with tab.page.expect_file_chooser() as chooser:
        await tab.page.get_by_test_id("attach-button").click()
    await (await chooser.value).set_files({"name": name, "mimeType": mime, "buffer": data})


async def test_a_file_goes_as_a_chip_that_downloads_at_another_member(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot, tmp_path: Path
) -> None:
    ann, bo, _room = await a_room_of_two(client, open_tab)
    await attach(ann, "route notes.pdf", "application/pdf", PDF)
    chip = ann.page.get_by_test_id("composer-tray").get_by_test_id("upload-chip")
    await expect(chip).to_have_attribute("data-state", "ready")
    await ann.page.get_by_test_id("composer").fill("the route")
    await ann.page.get_by_test_id("composer").press("Enter")

    file = bo.page.locator("[data-testid=messages] [data-testid=media-file]")
    await expect(file).to_contain_text("route notes.pdf")
    await expect(file).to_contain_text("KB")
    href = await file.get_attribute("href")
    assert href is not None and "?e=" in href and "&s=" in href
    await shot(bo.page, "media-file-desktop")
    async with bo.page.expect_download() as waiting:
        await file.click()
    download = await waiting.value
    assert download.suggested_filename == "route notes.pdf"
    saved = tmp_path / "got.pdf"
    await download.save_as(saved)
    assert saved.read_bytes() == PDF
    assert ann.errors == [] and bo.errors == []


@pytest.mark.settings(embedder="none", media_max_bytes=64 << 10)
async def test_a_refused_upload_says_why_and_can_be_removed(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    ann, _bo, _room = await a_room_of_two(client, open_tab)
    await attach(ann, "big.bin", "application/octet-stream", b"x" * (200 << 10))
    chip = ann.page.get_by_test_id("composer-tray").get_by_test_id("upload-chip")
    await expect(chip).to_have_attribute("data-state", "failed")
    await expect(chip).to_contain_text("too large")
    await chip.get_by_test_id("upload-cancel").click()
    await expect(chip).to_have_count(0)
    await expect(ann.page.get_by_test_id("composer-tray")).to_be_hidden()


def jpeg(tmp_path: Path, name: str, width: int, height: int) -> bytes:
    return camera_jpeg(tmp_path / name, width, height).read_bytes()


async def test_photos_sent_by_one_member_show_as_a_grid_and_a_lightbox_at_another(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot, tmp_path: Path
) -> None:
    ann, bo, _room = await a_room_of_two(client, open_tab, bo_phone=True)
    async with ann.page.expect_file_chooser() as chooser:
        await ann.page.get_by_test_id("attach-button").click()
    await (await chooser.value).set_files(
        [
            {
                "name": "ridge.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg(tmp_path, "a.jpg", 1200, 800),
            },
            {
                "name": "summit.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg(tmp_path, "b.jpg", 600, 900),
            },
        ]
    )
    chips = ann.page.get_by_test_id("composer-tray").get_by_test_id("upload-chip")
    await expect(chips).to_have_count(2)
    await ann.page.get_by_test_id("composer").fill("from the top")
    await ann.page.get_by_test_id("composer").press("Enter")  # sent once both are ready

    tiles = bo.page.locator("[data-testid=messages] [data-testid=media-photo]")
    # A photo may be answered `pending` when the workers are slow: it is sent when ready.
    await expect(tiles).to_have_count(2, timeout=PROCESSING_MS)
    for i in range(2):
        img = tiles.nth(i).locator("img")
        await expect(img).to_have_js_property("complete", True)
        assert await img.evaluate("i => i.naturalWidth") > 0  # loaded with no token
        src = await img.get_attribute("src")
        assert src is not None and "?e=" in src
    # Both readers are given the same URL (it names nobody).
    mine = ann.page.locator("[data-testid=messages] [data-testid=media-photo] img").first
    await expect(mine).to_have_attribute(
        "src", str(await tiles.first.locator("img").get_attribute("src"))
    )
    await shot(bo.page, "media-photos-phone")
    await shot(ann.page, "media-photos-desktop")

    await tiles.first.click()
    box = bo.page.get_by_test_id("lightbox")
    await expect(box).to_be_visible()
    count = box.locator(".lightbox-count")
    await expect(count).to_have_text("1 / 2")
    # A swipe to the left shows the next picture; the arrow keys go back and forth.
    await bo.page.mouse.move(300, 400)
    await bo.page.mouse.down()
    await bo.page.mouse.move(100, 410, steps=5)
    await bo.page.mouse.up()
    await expect(count).to_have_text("2 / 2")
    await expect(box.get_by_test_id("lightbox-img")).to_have_js_property("complete", True)
    await shot(bo.page, "media-lightbox-phone")
    await bo.page.keyboard.press("ArrowLeft")
    await expect(count).to_have_text("1 / 2")
    await box.get_by_test_id("lightbox-img").click()  # a tap zooms in
    await expect(box).to_have_class(re.compile(r"\bzoomed\b"))
    await bo.page.keyboard.press("Escape")
    await expect(box).to_have_count(0)
    assert ann.errors == [] and bo.errors == []


async def test_a_video_uploads_processes_and_plays_at_another_member(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot, tmp_path: Path
) -> None:
    ann, bo, _room = await a_room_of_two(client, open_tab)
    clip = video(tmp_path / "clip.mp4", seconds=3.0).read_bytes()
    await attach(ann, "waterfall.mp4", "video/mp4", clip)
    await ann.page.get_by_test_id("composer").press("Enter")  # no text: the video alone
    # Held, with its state, until the server has made it ready; then sent.
    held = ann.page.get_by_test_id("held-send")
    await expect(held).to_have_count(0, timeout=PROCESSING_MS)

    player = bo.page.locator("[data-testid=messages] [data-testid=media-video]")
    await expect(player).to_have_count(1)
    assert await player.get_attribute("preload") == "metadata"
    assert "?e=" in str(await player.get_attribute("poster"))
    await player.evaluate("v => { v.muted = true; return v.play(); }")
    await expect(player).to_have_js_property("paused", False)
    await bo.page.wait_for_function(
        "v => v.currentTime > 0.5", arg=await player.element_handle(), timeout=15_000
    )
    await shot(bo.page, "media-video-desktop")
    assert ann.errors == [] and bo.errors == []


async def test_a_voice_message_recorded_on_the_fake_microphone_plays_at_another_member(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    ann, bo, _room = await a_room_of_two(client, open_tab)
    await ann.page.get_by_test_id("record-button").click()  # a tap: recording goes on
    recorder = ann.page.locator(".recorder")
    await expect(recorder).to_be_visible()
    await expect(recorder.locator(".rec-time")).to_have_text("0:02")
    await shot(ann.page, "media-recording-desktop")
    await ann.page.get_by_test_id("record-send").click()

    voice = bo.page.locator("[data-testid=messages] [data-testid=media-voice]")
    await expect(voice).to_have_count(1, timeout=PROCESSING_MS)
    bars = voice.locator(".wave-bar")
    assert await bars.count() > 10
    heights = await bars.evaluate_all("bs => bs.map(b => parseFloat(b.style.height))")
    assert max(heights) > min(heights)  # a waveform, not a flat line
    await voice.get_by_test_id("voice-play").click()
    audio = voice.locator("audio")
    await bo.page.wait_for_function(
        "a => a.currentTime > 0.3", arg=await audio.element_handle(), timeout=15_000
    )
    await expect(voice.locator(".wave-bar.played").first).to_be_visible()
    await shot(bo.page, "media-voice-desktop")

    # A recording cancelled sends nothing; one made by holding the button goes on release.
    await ann.page.get_by_test_id("record-button").click()
    await expect(recorder).to_be_visible()
    await ann.page.get_by_test_id("record-cancel").click()
    await expect(recorder).to_be_hidden()
    await expect(ann.page.get_by_test_id("held-send")).to_have_count(0)
    box = await ann.page.get_by_test_id("record-button").bounding_box()
    assert box is not None
    await ann.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await ann.page.mouse.down()
    await expect(recorder.locator(".rec-time")).to_have_text("0:01")
    await ann.page.mouse.up()
    await expect(recorder).to_be_hidden()
    await expect(voice).to_have_count(2, timeout=PROCESSING_MS)
    assert ann.errors == [] and bo.errors == []


async def test_pictures_dropped_and_pasted_into_the_chat_go_as_one_message(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    ann, bo, _room = await a_room_of_two(client, open_tab)
    # Four pictures dropped on the chat, a fifth pasted into the box.
    await ann.page.evaluate(
        """async () => {
          const picture = (hue) => new Promise((done) => {
            const c = document.createElement("canvas");
            c.width = 320; c.height = 240;
            const g = c.getContext("2d");
            g.fillStyle = `hsl(${hue} 70% 50%)`; g.fillRect(0, 0, 320, 240);
            g.fillStyle = "#fff"; g.fillRect(40 + hue / 4, 60, 80, 80);
            c.toBlob((b) => done(new File([b], `p${hue}.png`, { type: "image/png" })), "image/png");
          });
          const dropped = new DataTransfer();
          for (const hue of [0, 70, 140, 210]) dropped.items.add(await picture(hue));
          const chat = document.querySelector("section.chat");
          const how = { bubbles: true, cancelable: true };
          chat.dispatchEvent(new DragEvent("dragover", { dataTransfer: dropped, ...how }));
          chat.dispatchEvent(new DragEvent("drop", { dataTransfer: dropped, ...how }));
          const pasted = new DataTransfer();
          pasted.items.add(await picture(280));
          document.querySelector("[data-testid=composer]").dispatchEvent(
            new ClipboardEvent("paste", { clipboardData: pasted, ...how }));
        }"""
    )
    chips = ann.page.get_by_test_id("composer-tray").get_by_test_id("upload-chip")
    await expect(chips).to_have_count(5)
    await ann.page.get_by_test_id("composer").press("Enter")

    grid = bo.page.locator("[data-testid=messages] .media-grid")
    await expect(grid).to_have_class(re.compile(r"\bn4\b"), timeout=PROCESSING_MS)
    await expect(grid.get_by_test_id("media-photo")).to_have_count(4)
    await expect(grid.locator(".media-more")).to_have_text("+1")
    await shot(bo.page, "media-grid-desktop")
    await grid.get_by_test_id("media-photo").last.click()
    await expect(bo.page.get_by_test_id("lightbox").locator(".lightbox-count")).to_have_text(
        "4 / 5"
    )
    await bo.page.keyboard.press("ArrowRight")
    await expect(bo.page.get_by_test_id("lightbox").locator(".lightbox-count")).to_have_text(
        "5 / 5"
    )
    assert ann.errors == [] and bo.errors == []


async def test_a_visitor_sees_a_public_rooms_photos_small_and_its_video_and_file_as_what_they_are(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot, tmp_path: Path
) -> None:
    """The room's preview, before joining: photos as small pictures that load with no
    token, a video as its poster with its length, a file as "File" and its size; no
    file name, no player, no download."""
    _host, host = await make_user(client)
    room = (await make_room(client, host, name="Photo walk"))["room"]
    sock = await open_socket(server.ws_url, host)
    ridge = jpeg(tmp_path, "a.jpg", 1200, 800)
    photo = await uploaded_ready(client, sock, host, room["id"], ridge, "image", "ann-ridge.jpg")
    clip_bytes = video(tmp_path / "c.mp4", seconds=2.0, width=320, height=240).read_bytes()
    clip = await uploaded_ready(
        client, sock, host, room["id"], clip_bytes, "video", "ann-falls.mp4"
    )
    notes = await client.post(
        "/api/media",
        params={"room": room["id"], "name": "ann-notes.pdf"},
        content=PDF,
        headers=auth(host),
    )
    assert notes.status_code == 201, notes.text
    media = [photo["id"], clip["id"], notes.json()["id"]]
    await send_message(client, host, room["id"], "from the trail", media=media)

    visitor = await open_tab(f"/#/preview/{room['id']}")
    shown = visitor.page.get_by_test_id("preview-messages")
    tile = shown.get_by_test_id("media-photo")
    await expect(tile).to_have_count(1)
    img = tile.locator("img")
    await expect(img).to_have_js_property("complete", True)
    assert await img.evaluate("i => i.naturalWidth") > 0  # loaded with no token
    assert re.search(r"/(small|medium)\?e=", str(await img.get_attribute("src")))
    placeholders = shown.get_by_test_id("media-placeholder")
    await expect(placeholders).to_have_count(2)
    await expect(placeholders.nth(0)).to_have_text(re.compile(r"^Video · 0:0[12]$"))
    await expect(placeholders.nth(1)).to_have_text(re.compile(r"^File · \d"))
    assert "?e=" in str(await placeholders.nth(0).evaluate("e => e.style.backgroundImage"))
    await expect(
        shown.locator("video, audio, a[download], [data-testid=media-file]")
    ).to_have_count(0)
    await expect(shown).not_to_contain_text("ann-")
    await placeholders.nth(1).scroll_into_view_if_needed()
    await shot(visitor.page, "media-room-preview-visitor")
    assert visitor.errors == []
