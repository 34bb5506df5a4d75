"""The emoji picker (emoji-picker-element, served by this server from web/vendor/): picked
from the composer by keyboard and put at the caret, picked for a reaction, seen by
another member; closed by Escape and by a click outside; fits a phone. The browser never
asks another host for anything: no CDN for the component nor for its emoji data."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from openlink import webvendor
from tests.browser.conftest import OpenTab, Shot, Tab
from tests.browser.helpers import message, wait_online
from tests.conftest import STRICT, Server
from tests.factories import join, make_room, make_user

MISSING = webvendor.missing()
#: A picker button's name: the emoji, then its annotation and shortcodes.
ROCKET = re.compile(r"^🚀,")
GRINNING = re.compile(r"^😀,")
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]
#: Without the fetched files these tests are skipped, except under .ci/run (whose install
#: fetches them): there they fail, as a skip would hide that nothing was tested.
needs_assets = pytest.mark.skipif(
    bool(MISSING) and not STRICT,
    reason=f"npm assets missing ({', '.join(MISSING)}): run `openlink assets fetch`",
)


def record_hosts(tab: Tab) -> list[str]:
    """Every URL the page asks for that is not this server's."""
    away: list[str] = []

    def on_request(request: object) -> None:
        url: str = request.url  # type: ignore[attr-defined]
        if urlsplit(url).hostname not in ("127.0.0.1", None) and not url.startswith("data:"):
            away.append(url)

    tab.page.on("request", on_request)
    return away


def panel(page: Page) -> Locator:
    return page.get_by_test_id("emoji-panel")


@needs_assets
async def test_an_emoji_picked_by_keyboard_lands_at_the_caret_and_reaches_the_other_member(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    assert not MISSING, f"npm assets missing: {MISSING}; run `openlink assets fetch`"
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="Emoji club"))["room"]
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    await join(client, ann_token, room["link"], profile={"kind": "open", "nickname": "Ann"})
    await join(client, bo_token, room["link"], profile={"kind": "open", "nickname": "Bo"})
    ann = await open_tab(f"/#/room/{room['id']}", token=ann_token)
    bo = await open_tab(f"/#/room/{room['id']}", token=bo_token)
    ann_away, bo_away = record_hosts(ann), record_hosts(bo)
    await wait_online(ann)
    await wait_online(bo)

    # Ann types, moves the caret back after "Hi", and opens the picker from the keyboard.
    composer = ann.page.get_by_test_id("composer")
    await composer.fill("Hi there")
    await composer.press("End")
    for _ in range(len(" there")):
        await composer.press("ArrowLeft")
    button = ann.page.get_by_test_id("emoji-button")
    await button.focus()
    await button.press("Enter")
    await expect(button).to_have_attribute("aria-expanded", "true")
    search = panel(ann.page).get_by_role("combobox")
    await expect(search).to_be_focused()
    # Escape closes it and gives the focus back; Enter opens it again.
    await search.press("Escape")
    await expect(panel(ann.page)).to_have_count(0)
    await expect(button).to_be_focused()
    await button.press("Enter")
    await expect(search).to_be_focused()
    await search.press_sequentially("grinning face")
    # The results follow the typing after a pause: the keys go once they show the face
    # (on a loaded machine, an earlier list could be replaced under the arrow key).
    await expect(panel(ann.page).get_by_role("option").first).to_have_accessible_name(GRINNING)
    await search.press("ArrowDown")
    await search.press("Enter")
    await expect(panel(ann.page)).to_have_count(0)
    await expect(composer).to_have_value("Hi😀 there")
    await expect(composer).to_be_focused()
    await composer.press("Enter")
    await expect(message(bo.page, "Hi😀 there")).to_be_visible()

    # Bo reacts with an emoji that is not among the quick ones, from the full picker.
    said = message(bo.page, "Hi😀 there")
    await said.hover()
    await said.get_by_role("button", name="React").click()
    await bo.page.get_by_role("menuitem", name="More emoji").click()
    await panel(bo.page).get_by_role("combobox").fill("rocket")
    await panel(bo.page).get_by_role("option", name=ROCKET).click()
    await expect(panel(bo.page)).to_have_count(0)
    await expect(said.locator(".reaction.mine")).to_contain_text("🚀1")
    await expect(message(ann.page, "Hi😀 there").locator(".reaction")).to_contain_text("🚀1")

    # A click outside closes the picker without picking anything.
    await bo.page.get_by_test_id("emoji-button").click()
    await expect(panel(bo.page).get_by_role("combobox")).to_be_visible()
    await bo.page.locator("[data-testid=messages]").click(position={"x": 5, "y": 5})
    await expect(panel(bo.page)).to_have_count(0)
    await expect(bo.page.get_by_test_id("composer")).to_have_value("")

    assert ann_away == [] and bo_away == []
    assert ann.errors == [] and bo.errors == []  # the CSP refused nothing


@needs_assets
async def test_the_picker_fits_a_phone_and_its_data_is_in_the_readers_language(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    assert not MISSING, f"npm assets missing: {MISSING}; run `openlink assets fetch`"
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="이모지"))["room"]
    _min, min_token = await make_user(client, language="ko")
    await join(client, min_token, room["link"], profile={"kind": "open", "nickname": "민"})
    tab = await open_tab(f"/#/room/{room['id']}", token=min_token, phone=True, locale="ko-KR")
    away = record_hosts(tab)
    data: list[str] = []
    tab.page.on("request", lambda r: data.append(r.url) if r.url.endswith("data.json") else None)
    await wait_online(tab)

    await tab.page.get_by_test_id("emoji-button").tap()
    search = panel(tab.page).get_by_role("combobox")
    await expect(search).to_be_visible()
    await expect(search).to_have_attribute("placeholder", "검색")
    box = await panel(tab.page).bounding_box()
    size = tab.page.viewport_size
    assert box is not None and size is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
    await expect(panel(tab.page).get_by_role("menuitem").first).to_be_visible()
    await shot(tab.page, "emoji-picker-phone")
    await search.fill("로켓")
    await panel(tab.page).get_by_role("option", name=ROCKET).tap()
    await expect(tab.page.get_by_test_id("composer")).to_have_value("🚀")
    assert data and all("/app/vendor/emoji-picker-element-data@" in u for u in data)
    assert all("/ko/cldr/data.json" in u for u in data)
    assert away == []
    assert tab.errors == []


async def test_without_the_assets_the_button_says_the_picker_is_not_installed(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="No picker here"))["room"]
    tab = await open_tab(f"/#/room/{room['id']}", token=host_token)
    away = record_hosts(tab)
    # As on a server where `openlink assets fetch` never ran.
    await tab.page.route("**/app/vendor/**", lambda route: route.fulfill(status=404))
    await wait_online(tab)

    button = tab.page.get_by_test_id("emoji-button")
    await button.click()
    await expect(panel(tab.page)).to_contain_text("not installed on this server")
    await expect(panel(tab.page).get_by_role("status")).to_be_focused()
    await tab.page.keyboard.press("Escape")
    await expect(panel(tab.page)).to_have_count(0)
    await expect(button).to_be_focused()
    # The rest of the composer works as before.
    composer = tab.page.get_by_test_id("composer")
    await composer.fill("still here")
    await composer.press("Enter")
    await expect(message(tab.page, "still here")).to_be_visible()
    assert away == []
