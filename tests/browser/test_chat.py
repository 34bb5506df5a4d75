"""Two people in two browsers meet in a room through its link and chat live."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab, Shot
from tests.browser.helpers import join_main, join_open, message, send, sign_in, wait_online
from tests.conftest import Server
from tests.factories import PASSWORD, make_room, make_user

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]


async def test_korean_and_english_readers_join_by_link_and_chat_live(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _host, host_token = await make_user(client, "host", language="en")
    created = await make_room(
        client,
        host_token,
        name="Weekend hikers",
        description="Day hikes around Seoul and Tokyo.",
        tags=[{"name": "hiking", "category": "hobby"}, {"name": "seoul", "category": "place"}],
    )
    code = created["room"]["link"].removeprefix("/l/")
    await make_user(client, "alice", language="en", display_name="Alice")

    # A Korean reader opens the link signed out, signs up from there, and lands back on it.
    ko = await open_tab(f"/#/join/{code}", locale="ko-KR")
    await expect(ko.page.locator("#room-hero-name")).to_have_text("Weekend hikers")
    await ko.page.locator(".join-box a[href^='#/signup']").click()
    await ko.page.locator("input[name=username]").fill("minji")
    await ko.page.locator("input[name=display_name]").fill("민지")
    await ko.page.locator("input[name=password]").fill(PASSWORD)
    assert await ko.page.locator("select[name=language]").input_value() == "ko"
    await shot(ko.page, "signup-desktop-ko")
    await ko.page.locator("form.auth-form button[type=submit]").click()
    await expect(ko.page.locator("html")).to_have_attribute("lang", "ko")  # her language
    await join_open(ko, "등산러버")

    # An English reader signs in first, then follows the same link and joins as herself.
    en = await open_tab("/#/signin")
    await shot(en.page, "signin-desktop")
    await sign_in(en, "alice", PASSWORD)
    await en.page.goto(f"{server.url}/#/join/{code}")
    await expect(en.page.locator("#room-hero-name")).to_have_text("Weekend hikers")
    await expect(en.page.locator("[data-testid=preview-messages]")).to_contain_text("등산러버")
    await shot(en.page, "room-preview-desktop")
    await join_main(en)
    await wait_online(ko)

    await send(ko, "안녕하세요! 이번 주말에 같이 등산 가요.")
    arrived = message(en.page, "안녕하세요")
    await expect(arrived).to_be_visible()
    await expect(arrived.locator(".msg-lang")).to_have_attribute("data-lang", "ko")
    await expect(arrived.locator(".author-name")).to_have_text("등산러버")

    await send(en, "Sounds great, see you on Saturday!")
    back = message(ko.page, "Sounds great")
    await expect(back).to_be_visible()
    await expect(back.locator(".msg-lang")).to_have_attribute("data-lang", "en")
    await expect(back.locator(".author-name")).to_have_text("Alice")

    # No engine on this server: originals stand, and asking says why there is none.
    await expect(arrived.locator(".msg-translated")).to_have_count(0)
    await arrived.hover()
    await arrived.get_by_role("button", name="More actions").click()
    await en.page.get_by_role("menuitem", name="Translate").click()
    await expect(arrived.locator(".tr-error")).to_contain_text("no translation engine")
    await expect(en.page.get_by_test_id("room-sub")).to_contain_text("2 online")
    await shot(en.page, "chat-desktop-en")
    await shot(ko.page, "chat-desktop-ko")
    assert not en.errors and not ko.errors
