"""At phone width (375 px) the app shows one pane at a time and the chat stays usable."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, OpenTab, Shot
from tests.browser.helpers import message, send
from tests.conftest import Server
from tests.factories import join, make_room, make_user, send_message

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]

LONG = (
    "今週末は高尾山に行きます。" * 8
    + " https://example.org/a/very/long/path/that/should/wrap/nicely"
)


async def test_phone_width_shows_one_pane_and_a_usable_chat(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _host, host_token = await make_user(client, language="ja", display_name="はると")
    room = (
        await make_room(
            client,
            host_token,
            name="週末ハイキング部",
            description="高尾山や奥多摩など、東京から日帰りで行ける山を歩きます。",
            tags=[
                {"name": "ハイキング", "category": "hobby"},
                {"name": "東京", "category": "place"},
            ],
        )
    )["room"]
    _me, my_token = await make_user(client, language="ko")
    await join(client, my_token, room["link"], profile={"kind": "open", "nickname": "민지"})
    await send_message(client, host_token, room["id"], "ようこそ!")
    await send_message(client, host_token, room["id"], LONG)

    signed_out = await open_tab("/#/signin", phone=True)
    await expect(signed_out.page.locator("form.auth-form")).to_be_visible()
    await shot(signed_out.page, "signin-phone")

    tab = await open_tab("/", token=my_token, phone=True, locale="ko-KR")
    page = tab.page
    item = page.locator(f".room-item[data-room='{room['id']}']")
    await expect(item).to_be_visible()
    await expect(item.get_by_test_id("unread")).to_have_text("2")
    await expect(page.locator(".main-pane")).to_be_hidden()
    await shot(page, "rooms-phone")

    await item.click()
    await expect(page.locator(".sidebar")).to_be_hidden()
    composer = page.get_by_test_id("composer")
    await expect(composer).to_be_visible()
    await expect(message(page, "高尾山")).to_be_visible()
    await send(tab, "좋아요! 저도 갈래요 🙌")
    mine = message(page, "저도 갈래요", by="me")
    await expect(mine).to_be_visible()

    # Everything fits the width: no sideways scrolling, the box and the send button on screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in [
        await composer.bounding_box(),
        await page.get_by_role("button", name="보내기").bounding_box(),
        await message(page, "高尾山").locator(".msg-bubble").bounding_box(),
    ]:
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["y"] + box["height"] <= PHONE["height"]
    await shot(page, "chat-phone")

    # A tap shows a message's actions; reacting works with a finger.
    their = message(page, "ようこそ")
    await their.locator(".msg-bubble").tap()
    await their.get_by_role("button", name="반응하기").tap()
    await page.get_by_role("menuitem", name="👍").tap()
    await expect(their.locator(".reaction.mine")).to_contain_text("👍1")

    await page.get_by_role("link", name="채팅 목록으로").tap()
    await expect(item).to_be_visible()
    await expect(item.get_by_test_id("unread")).to_have_count(0)  # read while open

    await page.goto(f"{server.url}/#/discover")
    await expect(page.locator(".search-input")).to_be_visible()
    await shot(page, "discover-phone")
    await page.goto(f"{server.url}/#/settings")
    await expect(page.get_by_test_id("reading-language")).to_be_visible()
    await shot(page, "settings-phone")
    assert tab.errors == []
