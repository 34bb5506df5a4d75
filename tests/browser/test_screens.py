"""A tour of the member's screens on the demo data: discover, a room's preview, joining
under a saved open profile, settings; with screenshots at desktop and phone width."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from openlink.demo import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import OpenTab, Shot
from tests.browser.helpers import message, wait_online
from tests.conftest import Server
from tests.factories import expect as expect_status

pytestmark = pytest.mark.browser

HIKING_JA = "週末ハイキング部"


async def sign_in_token(client: httpx.AsyncClient, username: str) -> str:
    body = expect_status(
        await client.post("/api/sessions", json={"username": username, "password": DEMO_PASSWORD}),
        200,
    )
    return body["token"]


async def test_discover_preview_join_and_settings(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    await seed_demo(server.app.state.ctx)
    token = await sign_in_token(client, "alex")
    tab = await open_tab("/#/discover", token=token)
    page = tab.page
    await wait_online(tab)

    # Discover: rooms for alex's interests, in any language, and what is trending.
    recommended = page.locator(".disc-section", has_text="Recommended for you")
    await expect(recommended.locator(".room-card", has_text=HIKING_JA)).to_be_visible()
    await expect(recommended.locator(".reason").first).to_be_visible()
    await expect(page.locator(".disc-section", has_text="Trending now")).to_be_visible()
    await expect(page.locator(".tag-row .tag").first).to_be_visible()
    await shot(page, "discover-desktop")
    await page.locator(".search-input").fill("등산")
    results = page.locator(".disc-section", has_text="Results")
    await expect(
        results.locator(".room-card", has_text="등산 좋아하는 사람들 모임")
    ).to_be_visible()
    await shot(page, "search-desktop")

    # A room alex is not in: preview first, then join under an open profile saved for later.
    await page.locator(".search-input").fill("")
    await recommended.locator(".room-card", has_text=HIKING_JA).click()
    await expect(page.locator("#room-hero-name")).to_have_text(HIKING_JA)
    await expect(page.locator("[data-testid=preview-messages]")).to_contain_text("高尾山")
    await shot(page, "room-preview-desktop-ja")
    await page.locator(".profile-option", has=page.locator("input[value=new]")).click()
    await page.locator(".new-profile input").first.fill("Trail Alex")
    await page.locator(".new-profile input[type=checkbox]").check()
    await page.locator("form.join-box button[type=submit]").click()
    await expect(page.get_by_test_id("composer")).to_be_visible()
    theirs = message(page, "高尾山")
    await expect(theirs.locator(".msg-lang")).to_have_attribute("data-lang", "ja")
    await expect(page.locator(".msg-system", has_text="Trail Alex joined")).to_be_visible()
    await expect(page.locator(f".room-item:has-text('{HIKING_JA}')")).to_be_visible()

    # Settings: the saved profile is listed; reading Korean turns the app Korean.
    await page.goto(f"{server.url}/#/settings")
    await expect(page.locator(".profile-row", has_text="Trail Alex")).to_be_visible()
    await shot(page, "settings-desktop")
    await page.get_by_test_id("reading-language").select_option("ko")
    await (
        page.locator(".settings-form", has=page.get_by_test_id("reading-language"))
        .get_by_role("button", name="Save")
        .click()
    )
    await expect(page.locator("html")).to_have_attribute("lang", "ko")
    await expect(page.locator(".page-head h2")).to_have_text("설정")
    await wait_online(tab)  # reconnected, to be sent Korean translations from now on
    await page.get_by_test_id("ui-language").select_option("ja")
    await expect(page.locator(".page-head h2")).to_have_text("設定")
    await shot(page, "settings-desktop-ja")
    me = expect_status(
        await client.get("/api/me", headers={"Authorization": f"Bearer {token}"}), 200
    )
    assert me["language"] == "ko"

    # The same screens at phone width.
    phone = await open_tab(
        f"/#/preview/{await room_id(client, token, HIKING_JA)}", token=token, phone=True
    )
    await expect(phone.page.locator("#room-hero-name")).to_have_text(HIKING_JA)
    # Alex is in it now: the page offers to open the chat instead of joining again.
    await expect(phone.page.locator(".join-box a[href^='#/room/']")).to_be_visible()
    await shot(phone.page, "room-preview-phone")
    assert tab.errors == [] and phone.errors == []


async def room_id(client: httpx.AsyncClient, token: str, name: str) -> str:
    body = expect_status(await client.get("/api/search", params={"q": name}), 200)
    return next(r["id"] for r in body["results"] if r["name"] == name)
