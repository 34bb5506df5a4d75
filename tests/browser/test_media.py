"""Photos, video, voice messages and files in the chat: one member attaches or records,
another sees and plays them; the media loads from signed URLs, with no token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab, Shot, Tab
from tests.browser.helpers import wait_online
from tests.conftest import Server
from tests.factories import join, make_room, make_user

pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]

PDF = b"%PDF-1.4\n" + b"0123456789abcdef" * 4_000 + b"\n%%EOF\n"


async def a_room_of_two(client: httpx.AsyncClient, open_tab: OpenTab) -> tuple[Tab, Tab, Any]:
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="Photo walk"))["room"]
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    await join(client, ann_token, room["link"], profile={"kind": "open", "nickname": "Ann"})
    await join(client, bo_token, room["link"], profile={"kind": "open", "nickname": "Bo"})
    ann = await open_tab(f"/#/room/{room['id']}", token=ann_token)
    bo = await open_tab(f"/#/room/{room['id']}", token=bo_token)
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
